package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

func init() {
	register("load", command{usage: "load OBJ [--pin DIR] [--pin-root DIR] [--core auto|kernel|user] [--json]", summary: "load an object directly into the kernel and print what it created", run: cmdLoad})
	register("loader", command{usage: "loader OBJ [-o FILE]", summary: "write the loader program of an object to FILE (default: standard output)", run: cmdLoader})
	register("run", command{usage: "run FILE|OBJ [--pin DIR] [--pin-root DIR] [--json]", summary: "run a loader and print what it created", run: cmdRun})
	register("dump", command{usage: "dump FILE|OBJ [--json]", summary: "disassemble a loader, each step annotated", run: cmdDump})
}

// created is what `load` and `run` print: one line (or JSON object) per
// kernel object.
type created struct {
	Kind string `json:"kind"` // "map" or "program"
	Name string `json:"name"`
	ID   uint32 `json:"id"`
	Type uint32 `json:"type"`
	Pin  string `json:"pin,omitempty"`
	// Reused is set for a map taken from its pin by name instead of
	// created.
	Reused bool `json:"reused,omitempty"`
}

// report pins (when asked) and prints what was created, then closes the
// fds: pinned objects stay in the kernel, the rest go away with the
// process, as with `bpftool prog loadall`. Maps pinned by name are at
// their pin already (byName) and are not pinned again.
func report(w io.Writer, asJSON bool, pinDir string, byName *namePins, maps []namedFD, progs []namedFD) (err error) {
	var out []created
	defer func() {
		// All or nothing: a failure unpins what this run pinned, so that no
		// kernel object outlives a failed command.
		if err != nil {
			for _, c := range out {
				if c.Pin != "" && !c.Reused {
					os.Remove(c.Pin)
				}
			}
			byName.undo()
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
		if path, ok := byName.paths[n.name]; ok && kind == "map" {
			c.Pin, c.Reused = path, byName.existed[path]
		} else if pinDir != "" {
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

// namePins are the pin paths of the maps an object pins by name, and
// which of them were there before the command: a failed command removes
// the others.
type namePins struct {
	paths   map[string]string // map name → pin path
	existed map[string]bool
}

// pinsByName lists the pin paths under root of the maps pinned by name
// (pinned: the object's pinning of each map, by name).
func pinsByName(root string, pinned map[string]uint32) *namePins {
	p := &namePins{paths: map[string]string{}, existed: map[string]bool{}}
	for name, pinning := range pinned {
		if pinning != abi.PinByName {
			continue
		}
		path := filepath.Join(root, name)
		p.paths[name] = path
		if _, err := os.Stat(path); err == nil {
			p.existed[path] = true
		}
	}
	return p
}

// undo removes the pins by name the command made.
func (p *namePins) undo() {
	for _, path := range p.paths {
		if !p.existed[path] {
			os.Remove(path)
		}
	}
}

// pinRoot is where maps pinned by name go: --pin-root, else the --pin
// directory, else /sys/fs/bpf as with libbpf.
func pinRoot(root, pin string) (string, error) {
	switch {
	case root != "":
		return root, preparePinDir(root)
	case pin != "":
		return pin, nil
	}
	return lskel.DefaultPinPath, nil
}

func preparePinDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pin directory: %w", err)
	}
	bpffs, err := isBPFFS(dir)
	if err != nil {
		return fmt.Errorf("pin directory %s: %w", dir, err)
	}
	if !bpffs {
		return fmt.Errorf("pin directory %s is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)", dir)
	}
	return nil
}

// cmdLoad is `bpfgen load OBJ [--pin DIR] [--json]`.
func cmdLoad(args []string, stdout, stderr io.Writer) error {
	if err := needKernel(); err != nil {
		return err
	}
	fs := newFlags("load")
	pin := fs.String("pin", "", "pin maps and programs in `DIR` (on bpffs)")
	root := fs.String("pin-root", "", "where maps pinned by name are pinned and reused: `DIR` (default: the --pin DIR, else /sys/fs/bpf)")
	asJSON := fs.Bool("json", false, "print JSON")
	logLevel := fs.Uint("log-level", 0, "verifier log level of the first attempt")
	coreMode := fs.String("core", "auto", "who applies CO-RE relocations: `auto` (the kernel where it can, else bpfgen), kernel or user")
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	modes := map[string]load.COREMode{"auto": load.COREAuto, "kernel": load.COREKernel, "user": load.COREUser}
	mode, ok := modes[*coreMode]
	if !ok {
		return fmt.Errorf("--core %q: want auto, kernel or user", *coreMode)
	}
	if err := preparePinDir(*pin); err != nil {
		return err
	}
	pinRootDir, err := pinRoot(*root, *pin)
	if err != nil {
		return err
	}
	obj, err := object.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	pinning := map[string]uint32{}
	for _, m := range obj.Maps {
		pinning[m.Name] = m.Pinning
	}
	byName := pinsByName(pinRootDir, pinning)
	res, err := load.Load(obj, &load.Direct{LogLevel: uint32(*logLevel), CORE: mode, PinRoot: pinRootDir}, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	defer func() {
		for _, h := range res.Handles() {
			kernel.Close(int(h))
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
	return report(stdout, *asJSON, *pin, byName, maps, progs)
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

// cmdLoader is `bpfgen loader OBJ [-o FILE]`. The loader goes to FILE or,
// without -o (or with -o -), to stdout, which must then not be a
// terminal; with a FILE a one-line summary goes to stdout.
func cmdLoader(args []string, stdout, _ io.Writer) error {
	fs := newFlags("loader")
	out := fs.String("o", "-", "write the loader to `FILE`; - is standard output")
	kbtf := fs.String("btf", "", "lay struct_ops values out with the kernel BTF in `FILE` (the target's /sys/kernel/btf/vmlinux; default this machine's); the loader checks it on the target")
	sf := addSignFlags(fs)
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	toStdout := *out == "-" || *out == ""
	if toStdout && isTerminal(stdout) {
		return errors.New("refusing to write a binary loader to a terminal: use -o FILE or redirect standard output")
	}
	l, obj, err := generateWith(fs.Arg(0), sf, *kbtf)
	if err != nil {
		return err
	}
	bo := obj.ByteOrder
	var buf bytes.Buffer
	if err := l.WriteFile(&buf, bo); err != nil {
		return fmt.Errorf("encode the loader: %w", err)
	}
	if toStdout {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("write the loader: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the loader: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d instructions, %d bytes of data, %d maps, %d programs\n",
		*out, len(l.Insns)/8, len(l.Data), len(l.Maps), len(l.Progs))
	return nil
}

// readLoader reads a loader file, or generates the loader of an object.
func readLoader(path string) (*gen.Loader, binary.ByteOrder, error) {
	raw, err := object.ReadFile(path)
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
	if err := needKernel(); err != nil {
		return err
	}
	fs := newFlags("run")
	pin := fs.String("pin", "", "pin maps and programs in `DIR` (on bpffs)")
	root := fs.String("pin-root", "", "where maps pinned by name are pinned and reused: `DIR` (default: the --pin DIR, else /sys/fs/bpf)")
	asJSON := fs.Bool("json", false, "print JSON")
	logLevel := fs.Uint("log-level", 0, "verifier log level")
	rf := addRunFlags(fs)
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	if err := preparePinDir(*pin); err != nil {
		return err
	}
	pinRootDir, err := pinRoot(*root, *pin)
	if err != nil {
		return err
	}
	l, _, err := readLoader(fs.Arg(0))
	if err != nil {
		return err
	}
	pinning := map[string]uint32{}
	for _, m := range l.Maps {
		pinning[m.Name] = m.Pinning
	}
	byName := pinsByName(pinRootDir, pinning)
	ro := &lskel.RunOptions{LogLevel: uint32(*logLevel), Kconfig: kconfig.Resolve, FuncBTFID: lskel.FuncBTFID, StructOps: new(lskel.StructOpsContext).Prepare, Table: lskel.Table}
	undo, err := rf.options(ro)
	if err != nil {
		return err
	}
	defer undo()
	res, err := (&lskel.MapSharing{PinPath: pinRootDir}).Run(&l.Loader, ro)
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
	return report(stdout, *asJSON, *pin, byName, maps, progs)
}

// cmdDump is `bpfgen dump FILE|OBJ [--json]`.
func cmdDump(args []string, stdout, _ io.Writer) error {
	fs := newFlags("dump")
	asJSON := fs.Bool("json", false, "print JSON (docs/cli-json.md)")
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	l, bo, err := readLoader(fs.Arg(0))
	if err != nil {
		return err
	}
	if !*asJSON {
		dumpSignatures(stdout, l)
		return l.Dump(stdout, bo)
	}
	doc, err := describeLoader(l, bo)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
