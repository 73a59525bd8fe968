package gen

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/sign"
)

// FileMagic starts every loader file; FileVersion is the format version
// this package writes for unsigned loaders, FileVersionSigned the one for
// signed loaders (two more sections: the signatures), FileVersionTable
// the one for table loaders (the version-2 layout, with "table": true
// in the header, which a reader of version 2 would not honour),
// FileVersionSignedTable the one for signed table loaders (the version-4
// layout with the two signature sections). All are read. The format is
// described in docs/loader-format.md.
const (
	FileMagic         = "BPFGENLD"
	FileVersion       = 2
	FileVersionSigned = 3
	FileVersionTable  = 4
	// FileVersionSignedTable: a signed table loader.
	FileVersionSignedTable = 5
	maxSection             = 1 << 30
)

// fileHeader is the JSON part of a loader file.
type fileHeader struct {
	abi.Loader
	ByteOrder string     `json:"byte_order"`
	Comments  []string   `json:"comments,omitempty"`
	TOC       []BlobItem `json:"toc"`
}

// WriteFile writes l in the loader file format.
func (l *Loader) WriteFile(w io.Writer, bo binary.ByteOrder) error {
	h := fileHeader{Loader: l.Loader, ByteOrder: byteOrderName(bo), TOC: l.TOC}
	h.Comments = trimComments(l.Comments)
	js, err := json.Marshal(&h)
	if err != nil {
		return fmt.Errorf("encoding loader header: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(FileMagic)
	version := FileVersion
	secs := [][]byte{l.Data, l.Insns}
	if l.Table {
		version = FileVersionTable
	}
	if l.Signed {
		version = FileVersionSigned
		if l.Table {
			version = FileVersionSignedTable
		}
		secs = append(secs, l.Signatures[abi.SchemeV1], l.Signatures[abi.SchemeV2])
	}
	for _, n := range []int{version, len(js)} {
		binary.Write(&buf, binary.LittleEndian, uint32(n))
	}
	buf.Write(js)
	for _, sec := range secs {
		binary.Write(&buf, binary.LittleEndian, uint32(len(sec)))
		buf.Write(sec)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// ReadFile parses a loader file.
func ReadFile(raw []byte) (*Loader, binary.ByteOrder, error) {
	r := bytes.NewReader(raw)
	magic := make([]byte, len(FileMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != FileMagic {
		return nil, nil, errors.New("not a bpfgen loader file (bad magic)")
	}
	var version uint32
	if err := binary.Read(r, binary.LittleEndian, &version); err != nil {
		return nil, nil, fmt.Errorf("loader file: %w", err)
	}
	if version < FileVersion || version > FileVersionSignedTable {
		return nil, nil, fmt.Errorf("loader file version %d, this bpfgen reads versions %d to %d", version, FileVersion, FileVersionSignedTable)
	}
	signed := version == FileVersionSigned || version == FileVersionSignedTable
	table := version == FileVersionTable || version == FileVersionSignedTable
	section := func(what string) ([]byte, error) {
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("loader file: %s length: %w", what, err)
		}
		if int64(n) > int64(r.Len()) || n > maxSection {
			return nil, fmt.Errorf("loader file: %s of %d bytes exceeds the %d bytes left", what, n, r.Len())
		}
		b := make([]byte, n)
		io.ReadFull(r, b)
		return b, nil
	}
	js, err := section("header")
	if err != nil {
		return nil, nil, err
	}
	var h fileHeader
	if err := json.Unmarshal(js, &h); err != nil {
		return nil, nil, fmt.Errorf("loader file header: %w", err)
	}
	if h.Data, err = section("data"); err != nil {
		return nil, nil, err
	}
	if h.Insns, err = section("instructions"); err != nil {
		return nil, nil, err
	}
	if signed {
		for s, what := range []string{"v1 signature", "v2 signature"} {
			sig, err := section(what)
			if err != nil {
				return nil, nil, err
			}
			if len(sig) > sign.MaxSize {
				return nil, nil, fmt.Errorf("loader file: %s of %d bytes, larger than a signature can be (%d)", what, len(sig), sign.MaxSize)
			}
			if len(sig) > 0 {
				h.Signatures[s] = sig
			}
		}
	}
	if h.Table != table {
		return nil, nil, fmt.Errorf("loader file version %d with table %v in its header", version, h.Table)
	}
	if h.Signed != signed {
		return nil, nil, fmt.Errorf("loader file version %d with signed %v in its header", version, h.Signed)
	}
	if len(h.Insns)%asm.InsnSize != 0 {
		return nil, nil, fmt.Errorf("loader file: instructions of %d bytes are not whole instructions", len(h.Insns))
	}
	var bo binary.ByteOrder
	switch h.ByteOrder {
	case "little":
		bo = binary.LittleEndian
	case "big":
		bo = binary.BigEndian
	default:
		return nil, nil, fmt.Errorf("loader file: unknown byte order %q", h.ByteOrder)
	}
	return &Loader{Loader: h.Loader, Comments: h.Comments, TOC: h.TOC}, bo, nil
}

func byteOrderName(bo binary.ByteOrder) string {
	if bo == binary.ByteOrder(binary.BigEndian) {
		return "big"
	}
	return "little"
}

// trimComments drops trailing empty comments so the file stays small.
func trimComments(c []string) []string {
	n := len(c)
	for n > 0 && c[n-1] == "" {
		n--
	}
	return c[:n]
}
