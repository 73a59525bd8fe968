package skeleton_test

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/skeleton"
)

// Generate writes the Go light skeleton of an object: what
// `bpfgen skeleton` writes, from go:generate.
func ExampleGenerate() {
	path := "../testdata/minimal.bpf.o"
	obj, err := object.Open(path)
	if err != nil {
		panic(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		panic(err)
	}
	src, err := skeleton.Generate(obj, l, skeleton.Options{Package: "main", Ident: "minimal", ObjectPath: path})
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		if line := sc.Text(); bytes.HasPrefix([]byte(line), []byte("func Load")) {
			fmt.Println(line)
		}
	}
	// Output: func LoadMinimal(opts *MinimalOptions) (*MinimalObjects, error) {
}
