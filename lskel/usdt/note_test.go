package usdt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// target is the path of testdata/NAME (usdt_target, usdt_target_nopie).
func target(name string) string { return strings.TrimSuffix(testutil.Object(name), ".bpf.o") }

func TestOpen(t *testing.T) {
	for _, tt := range []struct {
		name    string
		dynamic bool
	}{{"usdt_target", true}, {"usdt_target_nopie", false}} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(target(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != int(elf.EM_X86_64) || f.Dynamic != tt.dynamic {
				t.Fatalf("machine %d dynamic %v, want %d %v", f.Machine, f.Dynamic, elf.EM_X86_64, tt.dynamic)
			}
			args := f.Find("bpfgen", "args")
			if len(args) != 1 || args[0].Args != "-4@%esi -1@%dl 2@%cx -8@%rax -4@8(%rdi) -4@$-9" || args[0].Semaphore != 0 {
				t.Fatalf("bpfgen:args = %+v", args)
			}
			if sites := f.Find("bpfgen", "site"); len(sites) != 2 || sites[0].Offset == sites[1].Offset {
				t.Fatalf("bpfgen:site = %+v, want two sites", sites)
			}
			g := f.Find("bpfgen", "guarded")
			if len(g) != 1 || g[0].Semaphore == 0 || g[0].SemaphoreOffset == 0 {
				t.Fatalf("bpfgen:guarded = %+v, want a semaphore", g)
			}
			// The offsets are where the code and the semaphore are in the
			// file: a nop at each site, the zeroed counter.
			raw := readFile(t, target(tt.name))
			for _, p := range f.Probes {
				if raw[p.Offset] != 0x90 {
					t.Errorf("%s:%s: byte %#x at file offset %#x, want a nop (0x90)", p.Provider, p.Name, raw[p.Offset], p.Offset)
				}
			}
			if v := binary.LittleEndian.Uint16(raw[g[0].SemaphoreOffset:]); v != 0 {
				t.Errorf("semaphore at file offset %#x holds %d", g[0].SemaphoreOffset, v)
			}
			if f.Find("bpfgen", "none") != nil {
				t.Error("found a probe that does not exist")
			}
		})
	}
}

// TestPrelinkBase checks the .stapsdt.base adjustment: a note recorded
// against another address of .stapsdt.base (the binary was moved after
// linking, as prelink does) has its addresses moved by the difference.
func TestPrelinkBase(t *testing.T) {
	path := target("usdt_target_nopie")
	orig, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	raw := readFile(t, path)
	ef, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	notes := ef.Section(".note.stapsdt")
	// Each note: 12-byte header, "stapsdt\0", then pc, base, semaphore.
	// Raise every base field by 0x10: the sites appear 0x10 lower.
	const delta = 0x10
	off := notes.Offset
	for end := off + notes.Size; off < end; {
		namesz := uint64(binary.LittleEndian.Uint32(raw[off:]))
		descsz := uint64(binary.LittleEndian.Uint32(raw[off+4:]))
		desc := off + 12 + align4(namesz)
		base := binary.LittleEndian.Uint64(raw[desc+8:])
		binary.LittleEndian.PutUint64(raw[desc+8:], base+delta)
		off = desc + align4(descsz)
	}
	moved, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(moved)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Probes) != len(orig.Probes) {
		t.Fatalf("%d probes, want %d", len(got.Probes), len(orig.Probes))
	}
	for i, p := range got.Probes {
		o := orig.Probes[i]
		if p.Addr != o.Addr-delta || p.Offset != o.Offset-delta {
			t.Errorf("%s:%s at %#x (offset %#x), want %#x (%#x)", p.Provider, p.Name, p.Addr, p.Offset, o.Addr-delta, o.Offset-delta)
		}
		if o.Semaphore != 0 && p.Semaphore != o.Semaphore-delta {
			t.Errorf("%s:%s semaphore at %#x, want %#x", p.Provider, p.Name, p.Semaphore, o.Semaphore-delta)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("/no/such/file"); err == nil || !strings.Contains(err.Error(), "/no/such/file") {
		t.Errorf("missing file: %v", err)
	}
	// A binary without notes has no probes, and that is no error.
	f, err := Open(target("usdt_target") + "_none")
	if err == nil {
		t.Errorf("missing target: %+v", f)
	}
	sh, err := Open("/bin/sh")
	if err != nil || len(sh.Probes) != 0 && sh.Find("bpfgen", "args") != nil {
		t.Errorf("/bin/sh: %+v, %v", sh, err)
	}
}

// note builds one stapsdt note of a 64-bit little-endian binary.
func stapNote(pc, base, sema uint64, strs string) []byte {
	desc := binary.LittleEndian.AppendUint64(nil, pc)
	desc = binary.LittleEndian.AppendUint64(desc, base)
	desc = binary.LittleEndian.AppendUint64(desc, sema)
	desc = append(desc, strs...)
	b := binary.LittleEndian.AppendUint32(nil, 8)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
	b = binary.LittleEndian.AppendUint32(b, ntStapsdt)
	b = append(b, "stapsdt\x00"...)
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestNotes(t *testing.T) {
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"short header", "unexpected EOF", []byte{1, 2, 3}},
		{"past the section", "run past the section", stapNote(1, 2, 3, "p\x00n\x00\x00")[:30]},
		{"short descriptor", "shorter than its three addresses", func() []byte {
			b := stapNote(1, 2, 3, "")
			binary.LittleEndian.PutUint32(b[4:], 8)
			return b
		}()},
		{"unterminated", "not NUL-terminated", stapNote(1, 2, 3, "p\x00n")},
		{"empty name", "empty provider or probe name", stapNote(1, 2, 3, "p\x00\x00\x00")},
	}
	for _, tt := range tests {
		var err error
		data := tt.data
		for len(data) > 0 && err == nil {
			var desc []byte
			_, desc, _, data, err = nextNote(data, binary.LittleEndian)
			if err == nil {
				_, err = parseNote(desc, binary.LittleEndian)
			}
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	// A good note parses.
	owner, desc, typ, rest, err := nextNote(stapNote(0x1000, 0x2000, 0x3000, "prov\x00name\x00-4@%eax\x00"), binary.LittleEndian)
	if err != nil || string(owner) != "stapsdt" || typ != ntStapsdt || len(rest) != 0 {
		t.Fatalf("nextNote: %q %d %d %v", owner, typ, len(rest), err)
	}
	n, err := parseNote(desc, binary.LittleEndian)
	if err != nil || n.Provider != "prov" || n.Name != "name" || n.Args != "-4@%eax" || n.Addr != 0x1000 || n.base != 0x2000 || n.Semaphore != 0x3000 {
		t.Fatalf("parseNote: %+v, %v", n, err)
	}
}

// FuzzRead parses ELF files' USDT notes: a corrupt file is an error,
// never a panic.
func FuzzRead(f *testing.F) {
	f.Add(readFile(f, target("usdt_target_nopie")))
	f.Add(stapNote(1, 2, 3, "p\x00n\x00\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ef, err := elf.NewFile(bytes.NewReader(raw))
		if err != nil {
			// The notes alone, as a section's contents.
			for len(raw) > 0 {
				var desc []byte
				if _, desc, _, raw, err = nextNote(raw, binary.LittleEndian); err != nil {
					return
				}
				_, _ = parseNote(desc, binary.LittleEndian)
			}
			return
		}
		u, err := Read(ef)
		if err != nil {
			return
		}
		for _, p := range u.Probes {
			_, _ = ParseArgs(u.Machine, p.Args)
		}
	})
}
