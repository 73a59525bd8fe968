package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bpfgen/bpfgen/skeleton"
)

func init() {
	register("skeleton", command{
		usage:   "skeleton OBJ [-package P] [-ident I] [-o FILE]",
		summary: "write the Go light skeleton of an object (works from //go:generate)",
		run:     cmdSkeleton,
	})
}

// skeletonFlags names the flag that sets each skeleton.Options field, so
// that the package's validation errors speak of flags.
var skeletonFlags = map[string]string{"Package": "-package", "Ident": "-ident"}

// cmdSkeleton is `bpfgen skeleton OBJ [-package P] [-ident I] [-o FILE]`.
// What the skeleton cannot type or had to rename goes to stderr as notes.
func cmdSkeleton(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("skeleton")
	pkg := fs.String("package", skeleton.DefaultPackage(), "Go package name (default $GOPACKAGE, else main)")
	ident := fs.String("ident", "", "identifier the generated names start with (default: the object's file name)")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	kbtf := fs.String("btf", "", "lay struct_ops values out with the kernel BTF in `FILE` (the target's /sys/kernel/btf/vmlinux; default this machine's); the loader checks it on the target")
	sf := addSignFlags(fs)
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	path := fs.Arg(0)
	if *ident == "" {
		*ident = skeleton.DefaultIdent(path)
	}
	opts := skeleton.Options{
		Package: *pkg, Ident: *ident, ObjectPath: path,
		Note: func(msg string) { fmt.Fprintf(stderr, "bpfgen skeleton: note: %s\n", msg) },
	}
	if err := opts.Validate(); err != nil {
		var oe *skeleton.OptionError
		if errors.As(err, &oe) {
			return fmt.Errorf("%s %q is not a Go identifier", skeletonFlags[oe.Field], oe.Value)
		}
		return err
	}
	l, obj, err := generateWith(path, sf, *kbtf)
	if err != nil {
		return err
	}
	src, err := skeleton.Generate(obj, l, opts)
	if err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		_, err = stdout.Write(src)
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("write the skeleton: %w", err)
	}
	return nil
}
