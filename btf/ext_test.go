package btf

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// marshalExt encodes ext as a .BTF.ext section with a 32-byte header and
// the standard record sizes.
func marshalExt(ext *Ext) []byte {
	bo := ext.ByteOrder
	// Every section goes into every subsection, with zero records where it
	// has none, so that the order of sections survives a re-parse.
	sub := func(recSize int, recs func(sec *ExtSection) (int, []byte)) []byte {
		b := appendU32(bo, nil, uint32(recSize))
		for i := range ext.Sections {
			n, data := recs(&ext.Sections[i])
			b = appendU32(bo, b, ext.Sections[i].NameOff)
			b = appendU32(bo, b, uint32(n))
			b = append(b, data...)
		}
		return b
	}
	fi := sub(FuncInfoSize, func(s *ExtSection) (int, []byte) {
		return len(s.FuncInfos), MarshalFuncInfos(s.FuncInfos, bo)
	})
	li := sub(LineInfoSize, func(s *ExtSection) (int, []byte) {
		return len(s.LineInfos), MarshalLineInfos(s.LineInfos, bo)
	})
	cr := sub(CORERelocSize, func(s *ExtSection) (int, []byte) {
		return len(s.CORERelos), MarshalCORERelos(s.CORERelos, bo)
	})
	return extBlob(bo, 32, fi, li, cr)
}

// extBlob lays out a .BTF.ext with the given header length (24 leaves
// out core_relo) and subsections.
func extBlob(bo binary.ByteOrder, hdrLen int, fi, li, cr []byte) []byte {
	h := make([]byte, hdrLen)
	bo.PutUint16(h, 0xeB9F)
	h[2] = 1
	bo.PutUint32(h[4:], uint32(hdrLen))
	bo.PutUint32(h[8:], 0)
	bo.PutUint32(h[12:], uint32(len(fi)))
	bo.PutUint32(h[16:], uint32(len(fi)))
	bo.PutUint32(h[20:], uint32(len(li)))
	if hdrLen >= 32 {
		bo.PutUint32(h[24:], uint32(len(fi)+len(li)))
		bo.PutUint32(h[28:], uint32(len(cr)))
	}
	out := append(h, fi...)
	out = append(out, li...)
	if hdrLen >= 32 {
		out = append(out, cr...)
	}
	return out
}

func words(bo binary.ByteOrder, vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = appendU32(bo, b, v)
	}
	return b
}

// extSpec is a small BTF with a FUNC and the strings a .BTF.ext needs.
func extSpec(t testing.TB) (*Spec, map[string]uint32) {
	t.Helper()
	b := newBuilder(binary.LittleEndian)
	i := b.intType("int", 4, IntSigned, 32)
	proto := b.typ("", KindFuncProto, false, 0, uint32(i))
	b.typ("main", KindFunc, false, LinkageGlobal, uint32(proto))
	strs := map[string]uint32{}
	for _, s := range []string{"xdp", ".text", "prog.c", "return 0;", "0:1"} {
		strs[s] = b.str(s)
	}
	return mustParse(t, b.bytes()), strs
}

func TestParseExt(t *testing.T) {
	le := binary.LittleEndian
	s, str := extSpec(t)
	fi := words(le, 12, // rec_size 12: longer than known, the tail is skipped
		str["xdp"], 2, 0, 3, 0xdead, 16, 3, 0xbeef,
		str[".text"], 1, 0, 3, 0)
	li := words(le, 16,
		str["xdp"], 2, 0, str["prog.c"], str["return 0;"], 5<<10|2, 8, str["prog.c"], 0, 6<<10)
	cr := words(le, 16,
		str[".text"], 1, 8, 1, str["0:1"], uint32(COREFieldByteOffset))

	ext, err := ParseExt(extBlob(le, 32, fi, li, cr), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(ext.Sections) != 2 || ext.Sections[0].Name != "xdp" || ext.Sections[1].Name != ".text" {
		t.Fatalf("sections: %+v", ext.Sections)
	}
	x, tx := ext.Sections[0], ext.Sections[1]
	if len(x.FuncInfos) != 2 || x.FuncInfos[1] != (FuncInfo{InsnOff: 16, TypeID: 3}) {
		t.Errorf("xdp func_info: %+v", x.FuncInfos)
	}
	if len(x.LineInfos) != 2 || x.LineInfos[0] != (LineInfo{0, str["prog.c"], str["return 0;"], 5<<10 | 2}) {
		t.Errorf("xdp line_info: %+v", x.LineInfos)
	}
	if len(tx.CORERelos) != 1 || tx.CORERelos[0] != (CORERelo{8, 1, str["0:1"], COREFieldByteOffset}) {
		t.Errorf(".text core_relo: %+v", tx.CORERelos)
	}
	if len(tx.FuncInfos) != 1 || len(tx.LineInfos) != 0 {
		t.Errorf(".text: %+v", tx)
	}

	// An old 24-byte header has no core_relo.
	old, err := ParseExt(extBlob(le, 24, fi, li, nil), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range old.Sections {
		if len(sec.CORERelos) != 0 {
			t.Errorf("old header: CO-RE relos in %q", sec.Name)
		}
	}
	if len(old.Sections) != 2 {
		t.Errorf("old header: %d sections", len(old.Sections))
	}

	// Round trip through the standard encoders.
	re := marshalExt(ext)
	ext2, err := ParseExt(re, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshalExt(ext2), re) {
		t.Error("re-marshalled .BTF.ext differs")
	}
}

func TestMarshalRecords(t *testing.T) {
	be := binary.BigEndian
	if got, want := MarshalFuncInfos([]FuncInfo{{1, 2}, {3, 4}}, be), words(be, 1, 2, 3, 4); !bytes.Equal(got, want) {
		t.Errorf("func infos: %x, want %x", got, want)
	}
	if got, want := MarshalLineInfos([]LineInfo{{1, 2, 3, 4}}, be), words(be, 1, 2, 3, 4); !bytes.Equal(got, want) {
		t.Errorf("line infos: %x, want %x", got, want)
	}
	if got, want := MarshalCORERelos([]CORERelo{{1, 2, 3, CORETypeMatches}}, be), words(be, 1, 2, 3, 12); !bytes.Equal(got, want) {
		t.Errorf("core relos: %x, want %x", got, want)
	}
	if got := MarshalFuncInfos(nil, be); len(got) != 0 {
		t.Errorf("no records: %x", got)
	}
}

func TestParseExtMalformed(t *testing.T) {
	le := binary.LittleEndian
	s, str := extSpec(t)
	fi := words(le, 8, str["xdp"], 1, 0, 3)
	valid := extBlob(le, 32, fi, nil, nil)
	put := func(off int, v uint32) []byte {
		b := bytes.Clone(valid)
		le.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "header"},
		{"bad magic", append([]byte{1, 2}, valid[2:]...), "bad magic"},
		{"big endian", func() []byte { b := bytes.Clone(valid); b[0], b[1] = 0xeb, 0x9f; return b }(), "byte order"},
		{"hdr_len too small", put(4, 20), "hdr_len 20 is less than 24"},
		{"hdr_len too large", put(4, 1000), "exceeds section size"},
		{"func_info beyond end", put(12, 100), "func_info subsection"},
		{"func_info offset overflow", put(8, math.MaxUint32), "func_info subsection"},
		{"rec_size 0", extBlob(le, 32, words(le, 0, str["xdp"], 1, 0, 3), nil, nil), "record size 0 is less than 8"},
		{"line rec_size too small", extBlob(le, 32, nil, words(le, 8, str["xdp"], 1, 0, 3), nil), "line_info at offset 0x20: record size 8 is less than 16"},
		{"core rec_size too small", extBlob(le, 32, nil, nil, words(le, 4, str["xdp"], 1, 0)), "core_relo at offset 0x20: record size 4"},
		{"huge count", extBlob(le, 32, words(le, 8, str["xdp"], math.MaxUint32, 0, 3), nil, nil), "4294967295 records of 8 bytes exceed remaining 8 bytes"},
		{"huge rec_size", extBlob(le, 32, words(le, math.MaxUint32, str["xdp"], 1, 0, 3), nil, nil), "exceed remaining"},
		{"truncated rec_size", extBlob(le, 32, []byte{8, 0}, nil, nil), "truncated record size"},
		{"truncated section header", extBlob(le, 32, words(le, 8, str["xdp"]), nil, nil), "truncated section header"},
		{"section name out of range", extBlob(le, 32, words(le, 8, 0x9999, 1, 0, 3), nil, nil), "section name"},
		{"func type out of range", extBlob(le, 32, words(le, 8, str["xdp"], 1, 0, 77), nil, nil), "type id 77 out of range"},
		{"line string out of range", extBlob(le, 32, nil, words(le, 16, str["xdp"], 1, 0, 0x9999, 0, 0), nil), "file name"},
		{"core access string out of range", extBlob(le, 32, nil, nil, words(le, 16, str["xdp"], 1, 0, 1, 0x9999, 0)), "access string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseExt(tc.raw, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := ParseExt(valid, nil); err == nil {
		t.Error("ParseExt without a Spec: no error")
	}
}

func appendU32(bo binary.ByteOrder, b []byte, v uint32) []byte {
	b = append(b, 0, 0, 0, 0)
	bo.PutUint32(b[len(b)-4:], v)
	return b
}
