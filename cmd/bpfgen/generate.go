package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/cc"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/skeleton"
)

func init() {
	register("generate", command{
		usage:   "generate [flags] IDENT FILE.c [-- CFLAGS]",
		summary: "compile BPF C with clang and write one object and one Go file per target, as bpf2go does (works from //go:generate)",
		run:     cmdGenerate,
	})
}

// generateOpts are bpfgen generate's settings, from its flags and
// bpf2go's environment variables.
type generateOpts struct {
	cc, strip, cflags, targets, outDir, outStem, outSuffix, pkg, makeBase, api, btf string
	noStrip, noGlobalTypes, verbose                                                 bool
	types, tags                                                                     listFlag
	ident, source                                                                   string
	extraCFlags                                                                     []string
	// kernelBTF is -btf's, parsed.
	kernelBTF *btf.Spec
}

// listFlag is a repeatable string flag; each value may hold several,
// comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func cmdGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate")
	o := &generateOpts{}
	fs.StringVar(&o.cc, "cc", os.Getenv("BPF2GO_CC"), "C compiler `command` (default $BPF2GO_CC, else clang or the newest clang-NN)")
	fs.StringVar(&o.strip, "strip", os.Getenv("BPF2GO_STRIP"), "`program` that strips DWARF (default $BPF2GO_STRIP, else llvm-strip of the compiler's version)")
	fs.BoolVar(&o.noStrip, "no-strip", false, "keep the DWARF in the objects")
	fs.StringVar(&o.cflags, "cflags", os.Getenv("BPF2GO_CFLAGS"), "compiler flags, shell-quoted (default $BPF2GO_CFLAGS); flags after -- come after these")
	fs.StringVar(&o.targets, "target", "bpfel,bpfeb", "comma-separated targets: bpf, bpfel, bpfeb, native or a GOARCH ("+strings.Join(cc.ArchTargets(), ", ")+")")
	fs.Var(&o.types, "type", "C type `NAME` to declare as a Go type (repeatable)")
	fs.Var(&o.tags, "tags", "Go build tags the generated files also require (comma-separated, repeatable)")
	fs.BoolVar(&o.noGlobalTypes, "no-global-types", false, "declare no Go types for maps and variables, only -type ones")
	fs.StringVar(&o.outDir, "output-dir", "", "`directory` of the generated files (default: the current directory)")
	fs.StringVar(&o.outStem, "output-stem", "", "file name stem of the generated files (default: IDENT in lower case)")
	defSuffix := ""
	if strings.HasSuffix(os.Getenv("GOFILE"), "_test.go") {
		defSuffix = "_test"
	}
	fs.StringVar(&o.outSuffix, "output-suffix", defSuffix, "file name suffix such as _test (default _test when $GOFILE is a test file)")
	fs.StringVar(&o.pkg, "go-package", "", "Go package of the generated files (default $GOPACKAGE)")
	fs.StringVar(&o.makeBase, "makebase", os.Getenv("BPF2GO_MAKEBASE"), "write make dependencies (FILE.go.d) relative to `directory` (default $BPF2GO_MAKEBASE)")
	fs.BoolVar(&o.verbose, "verbose", os.Getenv("V") != "" && os.Getenv("V") != "0", "tell each file written or left unchanged (default $V)")
	fs.StringVar(&o.btf, "btf", os.Getenv("BPFGEN_BTF"), "lay struct_ops values out with the kernel BTF in `FILE` (the target's /sys/kernel/btf/vmlinux; default $BPFGEN_BTF, else this machine's); the loader checks it on the target")
	fs.StringVar(&o.api, "api", string(skeleton.APIBpfgen), "interface of the Go files: bpfgen (light skeleton) or cilium (bpf2go's names over cilium/ebpf)")
	pos, cflags := splitCFlags(args)
	if err := parseFlags(fs, pos, 2, stdout); err != nil {
		return err
	}
	o.ident, o.source, o.extraCFlags = fs.Arg(0), fs.Arg(1), cflags
	if err := o.check(fs); err != nil {
		return err
	}
	return o.run(stdout, stderr)
}

// splitCFlags cuts args at the first "--": what follows goes to the
// compiler.
func splitCFlags(args []string) (pos, cflags []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

// check completes and validates the settings.
func (o *generateOpts) check(fs *flag.FlagSet) error {
	if o.pkg == "" {
		o.pkg = os.Getenv("GOPACKAGE")
	}
	if o.pkg == "" {
		return &usageError{fs, errors.New("no Go package: run from go generate (which sets $GOPACKAGE) or pass -go-package")}
	}
	switch skeleton.API(o.api) {
	case skeleton.APIBpfgen, skeleton.APICilium:
	default:
		return &usageError{fs, fmt.Errorf("-api %q: want bpfgen or cilium", o.api)}
	}
	opts := skeleton.Options{Package: o.pkg, Ident: o.ident}
	if err := opts.Validate(); err != nil {
		var oe *skeleton.OptionError
		if errors.As(err, &oe) && oe.Field == "Package" {
			return fmt.Errorf("the Go package name %q is not a Go identifier", oe.Value)
		}
		return fmt.Errorf("IDENT %q is not a Go identifier", o.ident)
	}
	for _, s := range []struct{ flag, v string }{{"-output-stem", o.outStem}, {"-output-suffix", o.outSuffix}} {
		if strings.ContainsAny(s.v, `/\`) {
			return fmt.Errorf("%s %q must be a file name, not a path", s.flag, s.v)
		}
	}
	for _, f := range o.extraCFlags {
		if strings.HasPrefix(f, "-M") {
			return fmt.Errorf("compiler flag %q: use -makebase for make dependencies", f)
		}
	}
	if o.outDir == "" {
		o.outDir = "."
	}
	if o.btf != "" {
		raw, err := object.ReadFile(o.btf)
		if err != nil {
			return fmt.Errorf("-btf: %w", err)
		}
		if o.kernelBTF, err = btf.Parse(raw); err != nil {
			return fmt.Errorf("-btf %s: %w", o.btf, err)
		}
	}
	if o.outStem == "" {
		o.outStem = strings.ToLower(o.ident)
	}
	return nil
}

// run compiles for every target and writes what changed.
func (o *generateOpts) run(stdout, stderr io.Writer) error {
	flags, err := splitQuoted(o.cflags)
	if err != nil {
		return fmt.Errorf("-cflags: %w", err)
	}
	flags = append(flags, o.extraCFlags...)
	ccParts := strings.Fields(o.cc)
	if o.cc != "" && len(ccParts) == 0 {
		return errors.New("-cc: no compiler named")
	}
	type job struct {
		t      cc.Target
		arches []string
	}
	var jobs []job
	seen := map[cc.Target]bool{}
	for _, name := range strings.Split(o.targets, ",") {
		t, arches, err := cc.FindTarget(strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("-target: %w", err)
		}
		if !seen[t] {
			seen[t] = true
			jobs = append(jobs, job{t, arches})
		}
	}
	for _, j := range jobs {
		if err := o.generateTarget(j.t, j.arches, flags, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// generateTarget writes <stem>_<suffix>.o and .go for one target.
func (o *generateOpts) generateTarget(t cc.Target, arches, flags []string, stdout, stderr io.Writer) error {
	write := func(path string, b []byte) error {
		changed, err := writeIfChanged(path, b)
		if err == nil && o.verbose {
			what := "wrote"
			if !changed {
				what = "unchanged"
			}
			fmt.Fprintf(stdout, "%s %s\n", what, path)
		}
		return err
	}
	stem := o.outStem + "_" + t.Suffix() + o.outSuffix
	objPath := filepath.Join(o.outDir, stem+".o")
	goPath := filepath.Join(o.outDir, stem+".go")
	var depFile string
	if o.makeBase != "" {
		f, err := os.CreateTemp("", "bpfgen-deps")
		if err != nil {
			return err
		}
		f.Close()
		depFile = f.Name()
		defer os.Remove(depFile)
	}
	b, err := cc.Compile(cc.Options{CC: o.cc, Strip: o.strip, NoStrip: o.noStrip, Flags: flags, Target: t, Source: o.source, DepFile: depFile})
	if err != nil {
		return err
	}
	if err := write(objPath, b); err != nil {
		return err
	}
	obj, err := object.Open(objPath)
	if err != nil {
		return err
	}
	if len(arches) == 0 {
		// -target bpf: the host's byte order. bpf2go's file then builds
		// for every GOARCH, but a loader program is of one byte order.
		order := "bpfel"
		if obj.ByteOrder == binary.BigEndian {
			order = "bpfeb"
		}
		if _, arches, err = cc.FindTarget(order); err != nil {
			return err
		}
	}
	l, err := gen.GenerateWith(obj, nil, gen.Options{KernelBTF: o.kernelBTF})
	if err != nil {
		return err
	}
	sopts := skeleton.Options{
		Package: o.pkg, Ident: o.ident,
		ObjectPath:      filepath.Base(objPath),
		ObjectFile:      filepath.Base(objPath),
		Command:         o.command(),
		Generator:       o.generator(),
		BuildConstraint: constraint(arches, o.tags),
		Types:           o.types,
		NoGlobalTypes:   o.noGlobalTypes,
		GlobalTypes:     true,
		API:             skeleton.API(o.api),
		Note:            func(msg string) { fmt.Fprintf(stderr, "bpfgen generate: note: %s\n", msg) },
	}
	src, err := skeleton.Generate(obj, l, sopts)
	if err != nil {
		return err
	}
	if err := write(goPath, src); err != nil {
		return err
	}
	if depFile != "" {
		return writeDeps(goPath+".d", depFile, goPath, o.makeBase)
	}
	return nil
}

// command is the generate command line for the header comment, without
// the directories of this machine.
func (o *generateOpts) command() string {
	parts := []string{o.generator()}
	if o.targets != "bpfel,bpfeb" {
		parts = append(parts, "-target "+o.targets)
	}
	if len(o.tags) > 0 {
		parts = append(parts, "-tags "+o.tags.String())
	}
	if o.btf != "" {
		parts = append(parts, "-btf "+filepath.Base(o.btf))
	}
	for _, t := range o.types {
		parts = append(parts, "-type "+t)
	}
	if o.noGlobalTypes {
		parts = append(parts, "-no-global-types")
	}
	parts = append(parts, o.ident, filepath.ToSlash(o.source))
	return strings.Join(parts, " ")
}

// generator is the "Code generated by" name of the files.
func (o *generateOpts) generator() string {
	if o.api != string(skeleton.APIBpfgen) {
		return "bpfgen generate -api " + o.api
	}
	return "bpfgen generate"
}

// constraint is the //go:build expression of a target's file: one of its
// architectures, and every tag.
func constraint(arches, tags []string) string {
	var terms []string
	if len(arches) > 0 {
		terms = append(terms, "("+strings.Join(arches, " || ")+")")
	}
	terms = append(terms, tags...)
	return strings.Join(terms, " && ")
}

// writeIfChanged writes b to path unless path holds b already, so that an
// unchanged output keeps its modification time, and reports whether it
// wrote.
func writeIfChanged(path string, b []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}

// writeDeps turns clang's dependency file into one whose target is
// goFile and whose paths are relative to base.
func writeDeps(path, clangDeps, goFile, base string) error {
	raw, err := os.ReadFile(clangDeps)
	if err != nil {
		return fmt.Errorf("make dependencies: %w", err)
	}
	// A rule is "target: dep dep \" continued over lines; -MP adds
	// "dep:" lines that need nothing.
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	seen := map[string]bool{}
	var deps []string
	for _, line := range strings.Split(text, "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, d := range strings.Fields(rest) {
			if !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
	}
	rel := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		if r, err := filepath.Rel(base, abs); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", rel(goFile))
	for _, d := range deps {
		fmt.Fprintf(&b, " \\\n %s", rel(d))
	}
	b.WriteString("\n")
	others := append([]string(nil), deps...)
	if len(others) > 0 {
		others = others[1:] // the source itself is not phony
	}
	sort.Strings(others)
	for _, d := range others {
		fmt.Fprintf(&b, "\n%s:\n", rel(d))
	}
	_, err = writeIfChanged(path, []byte(b.String()))
	return err
}

// splitQuoted splits s at spaces outside single or double quotes, as
// bpf2go reads -cflags: `-I "a dir" -DX` gives -I, a dir, -DX.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
