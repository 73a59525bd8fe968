package core

import (
	"debug/elf"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// FuzzParseAccess: ParseAccess never panics, and what it accepts are at
// most MaxAccessLen non-negative indexes that parse back from their
// canonical form.
func FuzzParseAccess(f *testing.F) {
	for _, s := range []string{"0", "0:1:2", "0:1:0:1", " 1:+2", "-0", "1:", ":1", "2147483648", strings.Repeat("0:", 64) + "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		idx, err := ParseAccess(s)
		if err != nil {
			return
		}
		if len(idx) == 0 || len(idx) > MaxAccessLen {
			t.Fatalf("ParseAccess(%q) = %d indexes", s, len(idx))
		}
		parts := make([]string, len(idx))
		for i, v := range idx {
			if v < 0 {
				t.Fatalf("ParseAccess(%q) = %v: negative index", s, idx)
			}
			parts[i] = strconv.Itoa(v)
		}
		again, err := ParseAccess(strings.Join(parts, ":"))
		if err != nil || !slices.Equal(again, idx) {
			t.Fatalf("ParseAccess(%q) = %v, but its canonical form gives %v, %v", s, idx, again, err)
		}
	})
}

// fuzzFixtures opens the unit tests' objects (see core_test.go).
func fuzzFixtures(f *testing.F) (*btf.Spec, *object.Object) {
	f.Helper()
	ef, err := elf.Open(filepath.Join("testdata", "target.bpf.o"))
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	raw, err := ef.Section(".BTF").Data()
	if err != nil {
		f.Fatal(err)
	}
	target, err := btf.Parse(raw)
	if err != nil {
		f.Fatal(err)
	}
	local, err := object.Open(filepath.Join("testdata", "local.bpf.o"))
	if err != nil {
		f.Fatal(err)
	}
	return target, local
}

// patchForms are one instruction of each form a record may point at.
var patchForms = [][]asm.Insn{
	{asm.Mov.Imm(asm.R1, 0)},
	{asm.LoadMem(asm.SizeW, asm.R1, asm.R2, 0)},
	{{Code: asm.OpLdImm64, Dst: 1}, {}},
}

// FuzzResolve resolves records of any type, kind and access string of
// local.bpf.o against target.bpf.o and patches each instruction form with
// the result: no panic, and a result is consistent.
func FuzzResolve(f *testing.F) {
	target, local := fuzzFixtures(f)
	for _, p := range local.Programs() {
		for _, relo := range p.CORERelos {
			access, _ := local.BTF.StringAt(relo.AccessStrOff)
			f.Add(uint32(relo.TypeID), uint32(relo.Kind), access)
		}
	}
	f.Fuzz(func(t *testing.T, id, kind uint32, access string) {
		lt, err := local.BTF.Type(btf.TypeID(id))
		if err != nil {
			return
		}
		r := NewRelocator(local.BTF, NewTarget(target, nil))
		relo := btf.CORERelo{TypeID: btf.TypeID(id), Kind: btf.COREKind(kind)}
		res, err := r.resolve(relo, lt, access)
		if err != nil {
			return
		}
		if res.Poison && res.Target != "" {
			t.Fatalf("poisoned result with a target: %+v", res)
		}
		for _, form := range patchForms {
			Patch(slices.Clone(form), 0, res)
		}
	})
}

// FuzzTarget resolves every record of local.bpf.o against fuzzed target
// BTF: no panic, no endless loop, whatever the target holds.
func FuzzTarget(f *testing.F) {
	target, local := fuzzFixtures(f)
	raw, err := target.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := btf.Parse(data)
		if err != nil {
			return
		}
		r := NewRelocator(local.BTF, NewTarget(spec, nil))
		for _, p := range local.Programs() {
			for _, relo := range p.CORERelos {
				if res, err := r.Resolve(relo); err == nil {
					insns := slices.Clone(p.Insns)
					Patch(insns, int(relo.InsnOff), res)
				}
			}
		}
	})
}
