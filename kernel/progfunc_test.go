package kernel

import (
	"os"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
)

// findFunc finds every function of the running kernel's BTF at the id the
// btf package's parser gives it (the first of its name), and misses
// names that are not functions.
func TestFindFuncAgreesWithParser(t *testing.T) {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]btf.TypeID{}
	for id, ty := range spec.Types() {
		if _, seen := first[ty.Name]; ty.Kind == btf.KindFunc && !seen {
			first[ty.Name] = id
		}
	}
	if len(first) < 1000 {
		t.Fatalf("only %d functions in vmlinux BTF", len(first))
	}
	checked := 0
	for name, want := range first {
		if checked++; checked > 300 { // each look-up walks the whole BTF
			break
		}
		got, ok, err := findFunc(raw, name)
		if err != nil || !ok || got != uint32(want) {
			t.Fatalf("findFunc(%q) = %d, %v, %v; want %d", name, got, ok, err, want)
		}
	}
	for _, name := range []string{"task_struct", "bpfgen_no_such_function", ""} {
		if id, ok, err := findFunc(raw, name); ok || err != nil {
			t.Errorf("findFunc(%q) = %d, %v, %v; want not found", name, id, ok, err)
		}
	}
}

// Malformed BTF is an error, never a panic.
func FuzzFindFunc(f *testing.F) {
	f.Add(probeBTF(), "probe")
	f.Add([]byte{0x9f, 0xeb, 1, 0, 24, 0, 0, 0}, "x")
	f.Fuzz(func(t *testing.T, raw []byte, name string) {
		findFunc(raw, name)
	})
}
