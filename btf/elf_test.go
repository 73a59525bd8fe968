package btf

import (
	"debug/elf"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// objectBTF returns the .BTF and .BTF.ext section contents of an ELF
// object, and the file for symbol lookups.
func objectBTF(t testing.TB, path string) (btfRaw, extRaw []byte, f *elf.File) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	read := func(name string) []byte {
		sec := f.Section(name)
		if sec == nil {
			return nil
		}
		b, err := sec.Data()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		return b
	}
	btfRaw = read(".BTF")
	if btfRaw == nil {
		t.Fatalf("%s: no .BTF section", path)
	}
	return btfRaw, read(".BTF.ext"), f
}

// fixDatasecs fills in DATASEC sizes and var offsets from the ELF section
// sizes and symbol values, as the loader does.
func fixDatasecs(t testing.TB, s *Spec, f *elf.File) {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for id, typ := range s.Types() {
		if typ.Kind != KindDatasec {
			continue
		}
		sec := f.Section(typ.Name)
		if sec == nil {
			t.Fatalf("DATASEC %q has no ELF section", typ.Name)
		}
		vars := slices.Clone(typ.Vars)
		for i, v := range vars {
			vt, err := s.Type(v.Type)
			if err != nil {
				t.Fatal(err)
			}
			j := slices.IndexFunc(syms, func(sym elf.Symbol) bool {
				return sym.Name == vt.Name && int(sym.Section) < len(f.Sections) && f.Sections[sym.Section] == sec
			})
			if j < 0 {
				t.Fatalf("DATASEC %q: no symbol for var %q", typ.Name, vt.Name)
			}
			vars[i].Offset = uint32(syms[j].Value)
		}
		if err := s.SetDatasec(id, uint32(sec.Size), vars); err != nil {
			t.Fatal(err)
		}
	}
}

func TestObjectBTF(t *testing.T) {
	btfRaw, extRaw, f := objectBTF(t, "testdata/prog.bpf.o")
	s := mustParse(t, btfRaw)
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, btfRaw) {
		t.Error("object .BTF does not round-trip byte for byte")
	}

	ext, err := ParseExt(extRaw, s)
	if err != nil {
		t.Fatal(err)
	}
	const tp = "tracepoint/syscalls/sys_enter_getpid"
	wantFuncs := map[string][]string{tp: {"on_getpid"}, "xdp": {"pass"}, ".text": {"add", "mul"}}
	if len(ext.Sections) != len(wantFuncs) {
		t.Errorf("%d ext sections, want %d", len(ext.Sections), len(wantFuncs))
	}
	for _, sec := range ext.Sections {
		want, ok := wantFuncs[sec.Name]
		if !ok {
			t.Errorf("unexpected ext section %q", sec.Name)
			continue
		}
		if name, err := s.StringAt(sec.NameOff); err != nil || name != sec.Name {
			t.Errorf("section %q: NameOff %#x gives %q, %v", sec.Name, sec.NameOff, name, err)
		}
		var got []string
		for _, fi := range sec.FuncInfos {
			typ, err := s.Type(fi.TypeID)
			if err != nil || typ.Kind != KindFunc {
				t.Errorf("section %q: func_info type %d: %v %v", sec.Name, fi.TypeID, typ, err)
				continue
			}
			got = append(got, typ.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("section %q: funcs %v, want %v", sec.Name, got, want)
		}
		if len(sec.FuncInfos) > 0 && sec.FuncInfos[0].InsnOff != 0 {
			t.Errorf("section %q: first func_info at %d, want 0", sec.Name, sec.FuncInfos[0].InsnOff)
		}
	}
	tpSec := ext.Sections[slices.IndexFunc(ext.Sections, func(e ExtSection) bool { return e.Name == tp })]
	kinds := map[COREKind]bool{}
	for _, r := range tpSec.CORERelos {
		kinds[r.Kind] = true
		access, err := s.StringAt(r.AccessStrOff)
		if err != nil || access == "" {
			t.Errorf("CO-RE relo %+v: access string %q, %v", r, access, err)
		}
		if typ, _ := s.Type(r.TypeID); typ.Name != "task_struct" {
			t.Errorf("CO-RE relo %+v on %q, want task_struct", r, typ.Name)
		}
	}
	for _, k := range []COREKind{COREFieldByteOffset, COREFieldExists, CORETypeSize} {
		if !kinds[k] {
			t.Errorf("no %v CO-RE relocation in %q (have %v)", k, tp, kinds)
		}
	}
	checkExtInvariants(t, s, ext)

	// The loader's DATASEC fix-ups, then the kernel must accept it.
	fixDatasecs(t, s, f)
	out, err = s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s2 := mustParse(t, out)
	_, d, err := s2.TypeByName(".bss", KindDatasec)
	if err != nil {
		t.Fatal(err)
	}
	if d.Size != 24 || d.Vars[0].Offset != 0 || d.Vars[1].Offset != 8 {
		t.Errorf(".bss after fix-up: size %d vars %+v", d.Size, d.Vars)
	}
	mustLoad(t, "prog.bpf.o BTF with fixed DATASECs", out)
}

// checkExtInvariants checks what holds for any clang-built .BTF.ext.
func checkExtInvariants(t *testing.T, s *Spec, ext *Ext) {
	t.Helper()
	if len(ext.Sections) == 0 {
		t.Error("no .BTF.ext sections")
	}
	for _, sec := range ext.Sections {
		if len(sec.FuncInfos) == 0 {
			t.Errorf("section %q: no func_info", sec.Name)
		}
		if len(sec.LineInfos) == 0 {
			t.Errorf("section %q: no line_info", sec.Name)
		}
		for i := 1; i < len(sec.LineInfos); i++ {
			if sec.LineInfos[i].InsnOff <= sec.LineInfos[i-1].InsnOff {
				t.Errorf("section %q: line_info %d insn_off %d not after %d", sec.Name, i, sec.LineInfos[i].InsnOff, sec.LineInfos[i-1].InsnOff)
				break
			}
		}
		for i := 1; i < len(sec.FuncInfos); i++ {
			if sec.FuncInfos[i].InsnOff <= sec.FuncInfos[i-1].InsnOff {
				t.Errorf("section %q: func_info %d insn_off not ascending", sec.Name, i)
			}
		}
		for _, li := range sec.LineInfos {
			if li.InsnOff%8 != 0 {
				t.Errorf("section %q: line_info insn_off %d not a multiple of 8", sec.Name, li.InsnOff)
				break
			}
			if _, err := s.StringAt(li.FileNameOff); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestSharedObjects parses every object under the repository's testdata:
// round-trips its .BTF and checks its .BTF.ext.
func TestSharedObjects(t *testing.T) {
	paths, err := filepath.Glob("../testdata/*.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "testdata/prog.bpf.o")
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			btfRaw, extRaw, _ := objectBTF(t, path)
			s := mustParse(t, btfRaw)
			out, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, btfRaw) {
				t.Error(".BTF does not round-trip byte for byte")
			}
			if extRaw == nil {
				return // no .BTF.ext: nothing more to check
			}
			ext, err := ParseExt(extRaw, s)
			if err != nil {
				t.Fatal(err)
			}
			checkExtInvariants(t, s, ext)
			// Re-encoding the records and parsing them again gives the same.
			ext2, err := ParseExt(marshalExt(ext), s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ext, ext2) {
				t.Error("re-encoded .BTF.ext parses differently")
			}
		})
	}
}
