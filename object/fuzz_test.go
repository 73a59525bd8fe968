package object_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/skeleton"
)

// FuzzOpen feeds arbitrary bytes to the open phase: it must return an
// object or an error, never panic or allocate without bound. The committed
// corpus in testdata/fuzz/FuzzOpen holds small objects and truncations.
func FuzzOpen(f *testing.F) {
	for _, p := range []string{"../testdata/minimal.bpf.o", "../testdata/subprogs.bpf.o", "../testdata/mapinmap.bpf.o", "../testdata/structops.bpf.o"} {
		raw := readFileF(f, p)
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := object.OpenBytes("fuzz", data)
		if err != nil {
			return
		}
		// A successfully opened object is self-consistent.
		for _, fn := range obj.Functions {
			for _, r := range fn.Relocs {
				if r.Insn < 0 || r.Insn >= len(fn.Insns) {
					t.Fatalf("function %s: relocation at %d of %d instructions", fn.Name, r.Insn, len(fn.Insns))
				}
				if (r.Kind == object.RelocMap || r.Kind == object.RelocMapValue) && (r.Map < 0 || r.Map >= len(obj.Maps)) {
					t.Fatalf("function %s: map index %d of %d", fn.Name, r.Map, len(obj.Maps))
				}
			}
		}
		if obj.BTF != nil {
			_, _ = obj.BTF.Marshal()
		}
		// Whatever Open accepts, generating its loader and skeleton must
		// give a result or an error, never a panic.
		if l, err := gen.Generate(obj, nil); err == nil {
			_, _ = skeleton.Generate(obj, l, skeleton.Options{Package: "p", Ident: "fuzz", ObjectPath: "fuzz.o"})
		}
	})
}

func readFileF(f *testing.F, path string) []byte {
	f.Helper()
	b, err := readFileErr(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
