package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

func init() {
	withStderr := func(f func([]string, io.Writer, io.Writer) error) func([]string, io.Writer) error {
		return func(args []string, stdout io.Writer) error { return f(args, stdout, os.Stderr) }
	}
	register("load", command{usage: "load OBJ [--pin DIR] [--json]", summary: "load an object directly into the kernel and print what it created", run: withStderr(cmdLoad)})
	register("loader", command{usage: "loader OBJ -o FILE", summary: "write the loader program of an object", run: withStderr(cmdLoader)})
	register("run", command{usage: "run FILE|OBJ [--pin DIR] [--json]", summary: "run a loader and print what it created", run: withStderr(cmdRun)})
	register("dump", command{usage: "dump FILE|OBJ", summary: "disassemble a loader, each step annotated", run: withStderr(cmdDump)})
}

// created is what `load` and `run` print: one line (or JSON object) per
// kernel object.
type created struct {
	Kind string `json:"kind"` // "map" or "program"
	Name string `json:"name"`
	ID   uint32 `json:"id"`
	Type uint32 `json:"type"`
	Pin  string `json:"pin,omitempty"`
}

// report pins (when asked) and prints what was created, then closes the
// fds: pinned objects stay in the kernel, the rest go away with the
// process, as with `bpftool prog loadall`.
func report(w io.Writer, asJSON bool, pinDir string, maps []namedFD, progs []namedFD) (err error) {
	var out []created
	defer func() {
		// All or nothing: a failure unpins what this run pinned, so that no
		// kernel object outlives a failed command.
		if err != nil {
			for _, c := range out {
				if c.Pin != "" {
					os.Remove(c.Pin)
				}
			}
		}
	}()
	add := func(kind string, n namedFD) error {
		c := created{Kind: kind, Name: n.name}
		if kind == "map" {
			info, err := kernel.GetMapInfo(n.fd)
			if err != nil {
				return fmt.Errorf("map %s: %w", n.name, err)
			}
			c.ID, c.Type = info.ID, info.Type
		} else {
			info, err := kernel.GetProgInfo(n.fd)
			if err != nil {
				return fmt.Errorf("program %s: %w", n.name, err)
			}
			c.ID, c.Type = info.ID, info.Type
		}
		if pinDir != "" {
			c.Pin = filepath.Join(pinDir, pinName(n.pin))
			if err := kernel.ObjPin(n.fd, c.Pin); err != nil {
				return fmt.Errorf("pin %s %s at %s: %w", kind, n.name, c.Pin, err)
			}
		}
		out = append(out, c)
		return nil
	}
	for _, m := range maps {
		if err := add("map", m); err != nil {
			return err
		}
	}
	for _, p := range progs {
		if err := add("program", p); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Version int       `json:"version"`
			Objects []created `json:"objects"`
		}{1, out})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tID\tTYPE\tPIN")
	for _, c := range out {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", c.Kind, c.Name, c.ID, c.Type, c.Pin)
	}
	return tw.Flush()
}

type namedFD struct {
	name string
	fd   int
	pin  string // the name to pin under, before sanitising
}

// pinName makes a bpffs file name: bpffs refuses names with '.', which
// libbpf and bpftool replace with '_' ("minimal.rodata" → "minimal_rodata").
func pinName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// mapPinName is the name a map is pinned under: global-data maps go by
// their kernel name ("minimal.rodata"), as with bpftool, since their
// section names (".rodata") would clash between objects.
func mapPinName(name, kernelName string, internal bool) string {
	if internal {
		return kernelName
	}
	return name
}

func preparePinDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pin directory: %w", err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("pin directory %s: %w", dir, err)
	}
	if st.Type != unix.BPF_FS_MAGIC {
		return fmt.Errorf("pin directory %s is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)", dir)
	}
	return nil
}

// cmdLoad is `bpfgen load OBJ [--pin DIR] [--json]`.
func cmdLoad(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pin := fs.String("pin", "", "pin maps and programs in `DIR` (on bpffs)")
	asJSON := fs.Bool("json", false, "print JSON")
	logLevel := fs.Uint("log-level", 0, "verifier log level of the first attempt")
	coreMode := fs.String("core", "auto", "who applies CO-RE relocations: `auto` (the kernel where it can, else bpfgen), kernel or user")
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: bpfgen load OBJ [--pin DIR] [--core auto|kernel|user] [--json]")
	}
	modes := map[string]load.COREMode{"auto": load.COREAuto, "kernel": load.COREKernel, "user": load.COREUser}
	mode, ok := modes[*coreMode]
	if !ok {
		return fmt.Errorf("--core %q: want auto, kernel or user", *coreMode)
	}
	if err := preparePinDir(*pin); err != nil {
		return err
	}
	obj, err := object.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	res, err := load.Load(obj, &load.Direct{LogLevel: uint32(*logLevel), CORE: mode}, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	defer func() {
		for _, h := range res.Handles() {
			unix.Close(int(h))
		}
	}()
	var maps, progs []namedFD
	for i, m := range obj.Maps {
		maps = append(maps, namedFD{m.Name, int(res.Maps[i]), mapPinName(m.Name, m.KernelName, m.Internal != object.NotInternal)})
	}
	for j, p := range obj.Programs() {
		if res.Programs[j] != load.NoHandle {
			progs = append(progs, namedFD{p.Name, int(res.Programs[j]), p.Name})
		}
	}
	return report(stdout, *asJSON, *pin, maps, progs)
}

// generate opens an object and generates its loader.
func generate(path string) (*gen.Loader, binary.ByteOrder, error) {
	obj, err := object.Open(path)
	if err != nil {
		return nil, nil, err
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		return nil, nil, err
	}
	return l, obj.ByteOrder, nil
}

// cmdLoader is `bpfgen loader OBJ -o FILE`.
func cmdLoader(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loader", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the loader to `FILE` (default: OBJ with .loader)")
	sf := addSignFlags(fs)
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: bpfgen loader OBJ -o FILE")
	}
	l, obj, err := generateWith(fs.Arg(0), sf)
	if err != nil {
		return err
	}
	bo := obj.ByteOrder
	path := *out
	if path == "" {
		path = trimObjExt(fs.Arg(0)) + ".loader"
	}
	var buf bytes.Buffer
	if err := l.WriteFile(&buf, bo); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d instructions, %d bytes of data, %d maps, %d programs\n",
		path, len(l.Insns)/8, len(l.Data), len(l.Maps), len(l.Progs))
	return nil
}

func trimObjExt(p string) string {
	for _, ext := range []string{".o", ".bpf"} {
		if filepath.Ext(p) == ext {
			p = p[:len(p)-len(ext)]
		}
	}
	return p
}

// readLoader reads a loader file, or generates the loader of an object.
func readLoader(path string) (*gen.Loader, binary.ByteOrder, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if bytes.HasPrefix(raw, []byte(gen.FileMagic)) {
		l, bo, err := gen.ReadFile(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return l, bo, nil
	}
	return generate(path)
}

// cmdRun is `bpfgen run FILE [--pin DIR] [--json]`.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pin := fs.String("pin", "", "pin maps and programs in `DIR` (on bpffs)")
	asJSON := fs.Bool("json", false, "print JSON")
	logLevel := fs.Uint("log-level", 0, "verifier log level")
	rf := addRunFlags(fs)
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: bpfgen run FILE [--pin DIR] [--json]")
	}
	if err := preparePinDir(*pin); err != nil {
		return err
	}
	l, _, err := readLoader(fs.Arg(0))
	if err != nil {
		return err
	}
	ro := &lskel.RunOptions{LogLevel: uint32(*logLevel), Kconfig: kconfig.Resolve, FuncBTFID: lskel.FuncBTFID}
	undo, err := rf.options(ro)
	if err != nil {
		return err
	}
	defer undo()
	res, err := lskel.Run(&l.Loader, ro)
	if err != nil {
		return err
	}
	defer res.Close()
	var maps, progs []namedFD
	for i, m := range l.Maps {
		maps = append(maps, namedFD{m.Name, res.Map(i).FD(), mapPinName(m.Name, m.KernelName, m.Section != "")})
	}
	for j, p := range l.Progs {
		if p.Loaded {
			progs = append(progs, namedFD{p.Name, res.Program(j).FD(), p.Name})
		}
	}
	return report(stdout, *asJSON, *pin, maps, progs)
}

// cmdDump is `bpfgen dump FILE|OBJ`.
func cmdDump(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: bpfgen dump FILE|OBJ")
	}
	l, bo, err := readLoader(fs.Arg(0))
	if err != nil {
		return err
	}
	dumpSignatures(stdout, l)
	return l.Dump(stdout, bo)
}

// interleave lets flags follow positional arguments (`bpfgen load OBJ
// --json`), as users of bpftool expect.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := a
			for len(name) > 0 && name[0] == '-' {
				name = name[1:]
			}
			if f := fs.Lookup(name); f != nil && !isBool(f) && i+1 < len(args) && !strings.Contains(a, "=") {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
