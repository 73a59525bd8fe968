// Command skelgen writes the Go light skeleton of a BPF object through the
// skeleton package, exactly what `bpfgen skeleton` does. The benchmark
// uses it only while the bpfgen command line has no skeleton command, so
// that it can still time whole-process skeleton generation.
//
// Usage: skelgen OBJ -package P -ident I -o FILE
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/skeleton"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "skelgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: skelgen OBJ -package P -ident I -o FILE")
	}
	path := args[0]
	fs := flag.NewFlagSet("skelgen", flag.ContinueOnError)
	pkg := fs.String("package", "", "Go package name")
	ident := fs.String("ident", "", "identifier")
	out := fs.String("o", "", "output file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	obj, err := object.Open(path)
	if err != nil {
		return err
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		return fmt.Errorf("generate loader of %s: %w", path, err)
	}
	src, err := skeleton.Generate(obj, l, skeleton.Options{Package: *pkg, Ident: *ident, ObjectPath: path})
	if err != nil {
		return fmt.Errorf("skeleton of %s: %w", path, err)
	}
	if *out == "" {
		_, err = os.Stdout.Write(src)
		return err
	}
	return os.WriteFile(*out, src, 0o644)
}
