package main

import (
	"errors"
	"flag"
	"io"
	"os"

	"github.com/bpfgen/bpfgen/skeleton"
)

func init() {
	register("skeleton", command{
		usage:   "skeleton OBJ [-package P] [-ident I] [-o FILE]",
		summary: "write the Go light skeleton of an object (works from //go:generate)",
		run: func(args []string, stdout io.Writer) error {
			return cmdSkeleton(args, stdout, os.Stderr)
		},
	})
}

// cmdSkeleton is `bpfgen skeleton OBJ [-package P] [-ident I] [-o FILE]`.
func cmdSkeleton(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("skeleton", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pkg := fs.String("package", skeleton.DefaultPackage(), "Go package name (default $GOPACKAGE, else main)")
	ident := fs.String("ident", "", "identifier the generated names start with (default: the object's name)")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	sf := addSignFlags(fs)
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: bpfgen skeleton OBJ [-package P] [-ident I] [-o FILE]")
	}
	path := fs.Arg(0)
	if *ident == "" {
		*ident = skeleton.DefaultIdent(path)
	}
	l, obj, err := generateWith(path, sf)
	if err != nil {
		return err
	}
	src, err := skeleton.Generate(obj, l, skeleton.Options{Package: *pkg, Ident: *ident, ObjectPath: path})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(src)
		return err
	}
	return os.WriteFile(*out, src, 0o644)
}
