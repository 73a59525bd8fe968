package gen

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bpfgen/bpfgen/kernel"
)

// cmdNames are the bpf(2) commands a table loader replays.
var cmdNames = map[uint32]string{
	uint32(cmdMapCreate):     "BPF_MAP_CREATE",
	uint32(cmdMapUpdateElem): "BPF_MAP_UPDATE_ELEM",
	uint32(cmdMapFreeze):     "BPF_MAP_FREEZE",
	uint32(cmdProgLoad):      "BPF_PROG_LOAD",
	uint32(cmdBTFLoad):       "BPF_BTF_LOAD",
}

// Records decodes the records of a table loader (Loader.Table) into one
// line per record, as the list of the calls it replays: "step 3: create
// map counts", then what the step fills in and the bpf(2) call. Blob
// offsets are named by the table of contents (an attr field by its
// bpf_attr name, an fd table slot). The cleanup records, run only after a
// failure, follow a line that says so.
func (l *Loader) Records(bo binary.ByteOrder) ([]string, error) {
	if !l.Table {
		return nil, errors.New("records: not a table loader")
	}
	if len(l.Data) < elemSize {
		return nil, fmt.Errorf("records: blob of %d bytes has no header", len(l.Data))
	}
	n := int(bo.Uint32(l.Data[hdrNumOps:]))
	cleanup := int(bo.Uint32(l.Data[hdrCleanupStart:]))
	off := int(bo.Uint32(l.Data[hdrOpsElem:])) * elemSize
	if off < 0 || n < 0 || off > len(l.Data) || n > (len(l.Data)-off)/tableOpSize {
		return nil, fmt.Errorf("records: %d records at blob offset %d do not fit a blob of %d bytes", n, off, len(l.Data))
	}
	note := func(o uint32) string {
		if s := l.blobNote(int(o), false); s != "" {
			return fmt.Sprintf("blob[%d] (%s)", o, s)
		}
		return fmt.Sprintf("blob[%d]", o)
	}
	addr := func(o uint32) string {
		if s := l.blobNote(int(o), true); s != "" {
			return fmt.Sprintf("&blob[%d] (%s)", o, s)
		}
		return fmt.Sprintf("&blob[%d]", o)
	}
	ctx := func(o uint32) string { return fmt.Sprintf("context[%d]", o) }
	var lines []string
	for i := 0; i < n; i++ {
		r := l.Data[off+i*tableOpSize:]
		var f [6]uint32
		for k := range f {
			f[k] = bo.Uint32(r[4*k:])
		}
		code, a, b, c, d, e := f[0], f[1], f[2], f[3], f[4], f[5]
		if i == cleanup {
			lines = append(lines, "cleanup, after a failure:")
		}
		weak := ""
		if e != 0 {
			weak = ", weak: a miss reads 0"
		}
		var s string
		switch code {
		case opStep:
			name := ""
			if int(a) < len(l.Steps) {
				name = l.Steps[a]
			}
			lines = append(lines, fmt.Sprintf("step %d: %s", a, name))
			continue
		case opFail:
			s = fmt.Sprintf("fail with errno %d (injected)", a)
		case opCopy32:
			s = fmt.Sprintf("%s = %s", note(a), note(b))
		case opPtr:
			s = fmt.Sprintf("%s = %s", note(a), addr(b))
		case opCtx, opCtx64:
			s = fmt.Sprintf("%s = %s", note(a), ctx(b))
			if d&ctxNonZero != 0 {
				s += " unless 0"
			}
			if d&ctxLog != 0 {
				s += " if this step gets the log, else 0"
			}
		case opCopyUser:
			s = fmt.Sprintf("copy_from_user(%s, %d, user pointer at %s + %d) unless the pointer is 0", addr(a), c, ctx(b), d)
		case opSys:
			cmd := cmdNames[a]
			if cmd == "" {
				cmd = fmt.Sprintf("command %d", a)
			}
			s = fmt.Sprintf("bpf(%s, %s, %d)", cmd, addr(b), c)
			if d != 0 {
				s += " -> " + note(d)
			}
		case opClose:
			s = fmt.Sprintf("close(%s)", note(a))
		case opFindBTF:
			s = fmt.Sprintf("%s = bpf_btf_find_by_name_kind(%q, kind %d)%s", note(d), l.cString(a, b), c, weak)
		case opKallsyms:
			s = fmt.Sprintf("%s = bpf_kallsyms_lookup_name(%q)%s", note(d), l.cString(a, b), weak)
		case opSkipIf:
			cond := "is 0"
			if d != 0 {
				cond = "is not 0"
			}
			s = fmt.Sprintf("skip %d records if the %d bytes at %s %s", c, b, note(a), cond)
		case opStore:
			s = fmt.Sprintf("%d bytes at %s = %d", b, note(a), int32(c))
		default:
			s = fmt.Sprintf("unknown record %d", code)
		}
		lines = append(lines, "  "+s)
	}
	return lines, nil
}

// cString is the NUL-terminated string of size bytes at blob offset off,
// empty when it lies outside the blob.
func (l *Loader) cString(off, size uint32) string {
	if uint64(off)+uint64(size) > uint64(len(l.Data)) || size == 0 {
		return ""
	}
	b := l.Data[off : off+size]
	return kernel.CString(b)
}
