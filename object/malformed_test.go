package object_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/object"
)

// elfEdit locates section headers of a copy of an object for corruption.
type elfEdit struct {
	t   *testing.T
	raw []byte
	f   *elf.File
}

func newEdit(t *testing.T, path string) *elfEdit {
	t.Helper()
	raw := readFile(t, path)
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return &elfEdit{t: t, raw: raw, f: f}
}

func (e *elfEdit) index(name string) int {
	e.t.Helper()
	for i, s := range e.f.Sections {
		if s.Name == name {
			return i
		}
	}
	e.t.Fatalf("no section %q", name)
	return 0
}

// shdr returns the bytes of section header i.
func (e *elfEdit) shdr(i int) []byte {
	shoff := binary.LittleEndian.Uint64(e.raw[0x28:])
	return e.raw[shoff+uint64(i)*64 : shoff+uint64(i+1)*64]
}

// sectionData returns the file bytes of section i.
func (e *elfEdit) sectionData(i int) []byte {
	s := e.f.Sections[i]
	return e.raw[s.Offset : s.Offset+s.Size]
}

func TestMalformed(t *testing.T) {
	const obj = "../testdata/minimal.bpf.o"
	const progSec = "tp/syscalls/sys_enter_getpid"
	le := binary.LittleEndian
	tests := []struct {
		name    string
		corrupt func(e *elfEdit) []byte
		want    []string // substrings of the error
	}{
		{
			name:    "truncated header",
			corrupt: func(e *elfEdit) []byte { return e.raw[:40] },
			want:    []string{"minimal: truncated ELF (file header cut short at 40 bytes)"},
		},
		{
			name:    "truncated sections",
			corrupt: func(e *elfEdit) []byte { return e.raw[:len(e.raw)/2] },
			want:    []string{"minimal: truncated ELF (section headers past the end of the file)"},
		},
		{
			name:    "empty",
			corrupt: func(e *elfEdit) []byte { return nil },
			want:    []string{"minimal: empty file"},
		},
		{
			name:    "text",
			corrupt: func(e *elfEdit) []byte { return []byte("SEC(\"xdp\")\n") },
			want:    []string{"minimal: not an ELF file"},
		},
		{
			name:    "magic only",
			corrupt: func(e *elfEdit) []byte { return e.raw[:4] },
			want:    []string{"minimal: truncated ELF (file header cut short at 4 bytes)"},
		},
		{
			name: "32-bit",
			corrupt: func(e *elfEdit) []byte {
				e.raw[elf.EI_CLASS] = byte(elf.ELFCLASS32)
				return e.raw
			},
			want: []string{"minimal: not a 64-bit ELF file"},
		},
		{
			name: "unknown byte order",
			corrupt: func(e *elfEdit) []byte {
				e.raw[elf.EI_DATA] = 7
				return e.raw
			},
			want: []string{"minimal: malformed ELF: unknown byte order 7"},
		},
		{
			name: "shared object",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint16(e.raw[16:], uint16(elf.ET_DYN))
				return e.raw
			},
			want: []string{"minimal: not a relocatable object (ELF type ET_DYN)"},
		},
		{
			name: "relocation target section out of range",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint32(e.shdr(e.index(".rel" + progSec))[44:], 999)
				return e.raw
			},
			want: []string{`section ".rel` + progSec, "target section index 999 out of range"},
		},
		{
			name: "relocation against a missing symbol",
			corrupt: func(e *elfEdit) []byte {
				rel := e.sectionData(e.index(".rel" + progSec))
				le.PutUint32(rel[16+12:], 9999) // relocation 1, high half of r_info
				return e.raw
			},
			want: []string{`section ".rel` + progSec, "relocation 1 at offset", "symbol index 9999 out of range"},
		},
		{
			name: "relocation offset out of range",
			corrupt: func(e *elfEdit) []byte {
				rel := e.sectionData(e.index(".rel" + progSec))
				le.PutUint64(rel[0:], 0x100000)
				return e.raw
			},
			want: []string{"relocation 0 at offset 0x100000", "not an instruction"},
		},
		{
			name: "relocation offset misaligned",
			corrupt: func(e *elfEdit) []byte {
				rel := e.sectionData(e.index(".rel" + progSec))
				le.PutUint64(rel[0:], le.Uint64(rel[0:])+4)
				return e.raw
			},
			want: []string{"relocation 0 at offset", "not an instruction"},
		},
		{
			name: "relocation of an ALU instruction",
			corrupt: func(e *elfEdit) []byte {
				rel := e.sectionData(e.index(".rel" + progSec))
				le.PutUint64(rel[0:], 8)
				return e.raw
			},
			want: []string{"relocation 0 at offset 0x8", "neither a call nor an ld_imm64"},
		},
		{
			name: "section beyond the end of the file",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint64(e.shdr(e.index(".symtab"))[32:], 1<<40)
				return e.raw
			},
			want: []string{`section ".symtab"`, "beyond the end of the file"},
		},
		{
			name: "huge .bss",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint64(e.shdr(e.index(".bss"))[32:], 1<<40)
				return e.raw
			},
			want: []string{`".bss"`},
		},
		{
			name: "DATASEC does not match its section",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint64(e.shdr(e.index(".bss"))[32:], 4) // calls is 8 bytes
				return e.raw
			},
			want: []string{`DATASEC ".bss"`, `VAR "calls"`, "does not fit"},
		},
		{
			name: "unknown program section",
			corrupt: func(e *elfEdit) []byte {
				// Every copy of the name (section names, BTF.ext's
				// section names) so that only the table misses it.
				return bytes.ReplaceAll(e.raw, []byte(progSec+"\x00"), []byte("zz/syscalls/sys_enter_getpid\x00"))
			},
			want: []string{"program handle_getpid", `section "zz/syscalls/sys_enter_getpid": unknown program section name`},
		},
		{
			name: "function crosses its section",
			corrupt: func(e *elfEdit) []byte {
				syms, _ := e.f.Symbols()
				st := e.sectionData(e.index(".symtab"))
				for i, s := range syms {
					if s.Name == "handle_getpid" {
						le.PutUint64(st[(i+1)*24+16:], s.Size+8)
					}
				}
				return e.raw
			},
			want: []string{"function handle_getpid", "crosses the end of the section"},
		},
		{
			name: "not BPF",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint16(e.raw[18:], uint16(elf.EM_X86_64))
				return e.raw
			},
			want: []string{"minimal: ELF for x86-64, not BPF"},
		},
		{
			name: "not BPF, unusual machine",
			corrupt: func(e *elfEdit) []byte {
				le.PutUint16(e.raw[18:], uint16(elf.EM_SPARCV9))
				return e.raw
			},
			want: []string{"minimal: ELF for SPARCV9, not BPF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.corrupt(newEdit(t, obj))
			o, err := object.OpenBytes("minimal", raw)
			if err == nil {
				t.Fatalf("no error; got %d functions", len(o.Functions))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestTruncations opens every prefix length of a small object in steps:
// each must fail cleanly, never panic.
func TestTruncations(t *testing.T) {
	raw := readFile(t, "../testdata/minimal.bpf.o")
	for n := 0; n < len(raw); n += 7 {
		if _, err := object.OpenBytes("minimal", raw[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
}

// TestOpenFileErrors checks that Open names the file once, with what is
// wrong with it, and that errors still unwrap to the operating system's.
func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "nope.o")
	tests := []struct {
		path     string
		want     string
		notExist bool
	}{
		{missing, missing + ": no such file or directory", true},
		{dir, dir + ": is a directory", false},
		{write("empty.o", nil), filepath.Join(dir, "empty.o") + ": empty file", false},
		{write("notes.txt", []byte("hello\n")), filepath.Join(dir, "notes.txt") + ": not an ELF file", false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			_, err := object.Open(tt.path)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v", got)
			}
		})
	}
}
