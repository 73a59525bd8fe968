package btf_test

import (
	"debug/elf"
	"fmt"

	"github.com/bpfgen/bpfgen/btf"
)

// Parse reads raw BTF, here an object's .BTF section, and looks a type up
// by name.
func ExampleParse() {
	f, err := elf.Open("../testdata/minimal.bpf.o")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	raw, err := f.Section(".BTF").Data()
	if err != nil {
		panic(err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		panic(err)
	}
	id, typ, err := spec.TypeByName("handle_getpid", btf.KindFunc)
	if err != nil {
		panic(err)
	}
	fmt.Println(typ.Kind, typ.Name, id > 0)
	// Output: FUNC handle_getpid true
}
