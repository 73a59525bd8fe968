package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/bpfgen/bpfgen/skeleton"
)

func init() {
	register("skeleton", command{
		usage:   "skeleton OBJ [-package P] [-ident I] [-record MAP=TYPE]... [-type TYPE]... [-o FILE]",
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
	skeleton.Prepare() // while the object is opened and its loader generated
	fs := newFlags("skeleton")
	pkg := fs.String("package", skeleton.DefaultPackage(), "Go package name (default $GOPACKAGE, else main)")
	ident := fs.String("ident", "", "identifier the generated names start with (default: the object's file name)")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	records := recordFlag{}
	fs.Var(records, "record", "read the ring buffer or perf event array MAP as records of the C type TYPE, in `MAP=TYPE` (repeatable)")
	var types typeFlag
	fs.Var(&types, "type", "declare the C type `TYPE` (struct, union, enum or typedef) in Go too (repeatable)")
	sf := addSignFlags(fs)
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	path := fs.Arg(0)
	if *ident == "" {
		*ident = skeleton.DefaultIdent(path)
	}
	opts := skeleton.Options{
		Package: *pkg, Ident: *ident, ObjectPath: path, RecordTypes: records, Types: types,
		Note: func(msg string) { fmt.Fprintf(stderr, "bpfgen skeleton: note: %s\n", msg) },
	}
	if err := opts.Validate(); err != nil {
		var oe *skeleton.OptionError
		if errors.As(err, &oe) {
			return fmt.Errorf("%s %q is not a Go identifier", skeletonFlags[oe.Field], oe.Value)
		}
		return err
	}
	l, obj, err := generateWith(path, sf)
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

// recordFlag is the repeatable -record MAP=TYPE flag.
type recordFlag map[string]string

func (r recordFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r)) {
		parts = append(parts, k+"="+r[k])
	}
	return strings.Join(parts, ",")
}

func (r recordFlag) Set(v string) error {
	name, typ, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(typ) == "" {
		return fmt.Errorf("%q is not MAP=TYPE", v)
	}
	if _, dup := r[name]; dup {
		return fmt.Errorf("map %s given twice", name)
	}
	r[name] = strings.TrimSpace(typ)
	return nil
}

// typeFlag is the repeatable -type TYPE flag.
type typeFlag []string

func (t *typeFlag) String() string { return strings.Join(*t, ",") }

func (t *typeFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty type name")
	}
	*t = append(*t, strings.TrimSpace(v))
	return nil
}
