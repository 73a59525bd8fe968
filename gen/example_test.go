package gen_test

import (
	"fmt"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
)

// Generate records what loading an object would do as a loader program;
// each step is named so that a failure can be attributed.
func ExampleGenerate() {
	obj, err := object.Open("../testdata/minimal.bpf.o")
	if err != nil {
		panic(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		panic(err)
	}
	for i, s := range l.Steps {
		fmt.Println(i, s)
	}
	// Output:
	// 0 load BTF
	// 1 create map counts
	// 2 create map .rodata
	// 3 write initial value of .rodata
	// 4 freeze .rodata
	// 5 create map .bss
	// 6 write initial value of .bss
	// 7 load program handle_getpid
}
