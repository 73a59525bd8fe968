// Package cc drives the C compiler that turns BPF C into the ELF objects
// bpfgen loads: it finds clang, maps a target name (bpfel, bpfeb, a Go
// architecture) to clang's target and the __TARGET_ARCH_<arch> macro that
// libbpf's bpf_tracing.h reads, compiles one source file and strips its
// DWARF while keeping BTF.
//
// The flags and targets are those of cilium/ebpf's bpf2go, so that a
// //go:generate line written for bpf2go compiles the same object here.
package cc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MinClangVersion is the oldest clang whose objects bpfgen loads: BTF-defined
// maps, CO-RE relocations and BTF for global data need clang 11.
const MinClangVersion = 11

// Options describe one compilation.
type Options struct {
	// CC is the compiler command, possibly with leading arguments
	// ("ccache clang"); empty means FindClang's choice.
	CC string
	// Strip is the program that removes DWARF (run as "Strip -g FILE");
	// empty means llvm-strip with the compiler's version suffix
	// (clang-19 → llvm-strip-19), else llvm-strip, else StripDWARF.
	Strip string
	// NoStrip keeps the DWARF.
	NoStrip bool
	// Flags go to the compiler before the ones Compile sets (which the
	// caller cannot override: target, -g, -c, -o).
	Flags []string
	// Target is what to compile for.
	Target Target
	// Dir is the compiler's working directory; empty means the current one.
	Dir string
	// Source is the C file.
	Source string
	// DepFile, when set, receives make-style dependencies (-MD -MP -MF).
	DepFile string
}

// Compile compiles opts.Source and returns the object's bytes. The
// compiler's own messages are in the error.
func Compile(opts Options) ([]byte, error) {
	ccArgs, err := resolveCC(opts.CC)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "bpfgen-cc")
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", opts.Source, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out.o")
	src, err := filepath.Abs(opts.Source)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", opts.Source, err)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("compile %s: %w", opts.Source, err)
		}
	}
	args := append(ccArgs[1:len(ccArgs):len(ccArgs)], commandFlags(opts, src, out, dir)...)
	if err := runTool(dir, ccArgs[0], args); err != nil {
		return nil, fmt.Errorf("compile %s: %w", opts.Source, err)
	}
	strip := ""
	if !opts.NoStrip {
		if strip, err = findStrip(opts.Strip, ccArgs[0]); err != nil {
			return nil, err
		}
	}
	if strip != "" {
		if err := runTool(dir, strip, []string{"-g", out}); err != nil {
			return nil, fmt.Errorf("strip the DWARF of %s: %w", opts.Source, err)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", opts.Source, err)
	}
	if !opts.NoStrip && strip == "" {
		return StripDWARF(b)
	}
	return b, nil
}

// commandFlags are the compiler's arguments after the command itself:
// the defaults a user may override (-O2, -mcpu=v1, as bpf2go), the user's
// flags, then what must hold for bpfgen to load the result.
func commandFlags(opts Options, src, out, dir string) []string {
	flags := []string{"-O2", "-mcpu=v1"}
	flags = append(flags, opts.Flags...)
	if opts.Target.Arch != "" {
		flags = append(flags, "-D__TARGET_ARCH_"+opts.Target.Arch)
	}
	clangTarget := opts.Target.Clang
	if clangTarget == "" {
		clangTarget = "bpf"
	}
	// Reproducible objects: no compiler version, no absolute paths, and
	// a command line that does not change with where the checkout is:
	// clang-19 orders some BTF types differently when the length of a
	// path on its command line changes (the -fdebug-prefix-map of
	// /work/a and of /work/bb gave objects with types permuted). So a
	// source under dir is named relative to it, without a prefix map.
	srcArg, prefixMap := src, ""
	if rel, err := filepath.Rel(dir, src); err == nil && filepath.IsLocal(rel) {
		srcArg = rel
	} else if rel, err := filepath.Rel(dir, filepath.Dir(src)); err == nil {
		prefixMap = "-fdebug-prefix-map=" + filepath.Dir(src) + "=" + rel
	} else {
		prefixMap = "-fdebug-prefix-map=" + filepath.Dir(src) + "=."
	}
	flags = append(flags,
		"-Wunused-command-line-argument",
		"-target", clangTarget,
		"-c", srcArg, "-o", out,
		"-fno-ident",
		"-fdebug-compilation-dir", ".",
		// BTF comes with debug information.
		"-g",
		// Programs that read registers through bpf_tracing.h need an
		// architecture; say so at compile time rather than at load.
		`-D__BPF_TARGET_MISSING="GCC error \"the BPF program uses architecture-specific macros: compile with a -target naming an architecture, not bpf, bpfel or bpfeb\""`,
	)
	if prefixMap != "" {
		flags = append(flags, prefixMap)
	}
	if opts.DepFile != "" {
		flags = append(flags, "-MD", "-MP", "-MF"+opts.DepFile)
	}
	return flags
}

// runTool runs name with args in dir; its standard error goes into the
// error.
func runTool(dir, name string, args []string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return fmt.Errorf("%s: %w\n%s", filepath.Base(name), err, msg)
		}
		return fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	return nil
}

// resolveCC splits cc into the command and its leading arguments and
// finds the command; an empty cc is FindClang's choice.
func resolveCC(cc string) ([]string, error) {
	parts := strings.Fields(cc)
	if len(parts) == 0 {
		path, _, err := FindClang()
		if err != nil {
			return nil, err
		}
		return []string{path}, nil
	}
	path, err := exec.LookPath(parts[0])
	if err != nil {
		return nil, fmt.Errorf("the C compiler %q: %w", parts[0], err)
	}
	parts[0] = path
	return parts, nil
}

// ErrNoClang is the error of FindClang when no usable clang is on PATH.
var ErrNoClang = fmt.Errorf("no clang %d or newer on PATH (looked for clang and clang-NN): install one (Debian: apt install clang-19) or name it with -cc or $BPF2GO_CC", MinClangVersion)

var clangVersionRE = regexp.MustCompile(`clang version (\d+)\.`)

// ClangVersion runs "path --version" and returns clang's major version.
func ClangVersion(path string) (int, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", path, err)
	}
	m := clangVersionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version does not say \"clang version N.\": %q", path, firstLine(out))
	}
	return strconv.Atoi(string(m[1]))
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

// FindClang finds the compiler: "clang" on PATH when it is at least
// MinClangVersion, else the newest "clang-NN" on PATH that is. The error
// wraps ErrNoClang and names the versions it found too old.
func FindClang() (path string, version int, err error) {
	var tooOld []string
	try := func(p string) bool {
		v, err := ClangVersion(p)
		if err != nil {
			return false
		}
		if v < MinClangVersion {
			tooOld = append(tooOld, fmt.Sprintf("%s is clang %d", p, v))
			return false
		}
		path, version = p, v
		return true
	}
	if p, err := exec.LookPath("clang"); err == nil && try(p) {
		return path, version, nil
	}
	for _, c := range versionedOnPath("clang") {
		if try(c.path) {
			return path, version, nil
		}
	}
	if len(tooOld) > 0 {
		return "", 0, fmt.Errorf("%w (%s)", ErrNoClang, strings.Join(tooOld, "; "))
	}
	return "", 0, ErrNoClang
}

type versioned struct {
	path    string
	version int
}

// versionedOnPath lists the executables "prefix-NN" on PATH, newest
// first; of two with the same name, the one earlier on PATH.
func versionedOnPath(prefix string) []versioned {
	seen := map[string]bool{}
	var out []versioned
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			num, ok := strings.CutPrefix(name, prefix+"-")
			if !ok || seen[name] {
				continue
			}
			v, err := strconv.Atoi(num)
			if err != nil {
				continue
			}
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue
			}
			seen[name] = true
			out = append(out, versioned{p, v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].version > out[j].version })
	return out
}

// findStrip finds the DWARF stripper: strip when set, else llvm-strip
// with the version suffix of the compiler (clang-19 → llvm-strip-19),
// else llvm-strip, else the newest llvm-strip-NN; "" when there is none,
// for StripDWARF.
func findStrip(strip, compiler string) (string, error) {
	if strip != "" {
		p, err := exec.LookPath(strip)
		if err != nil {
			return "", fmt.Errorf("strip program %q: %w", strip, err)
		}
		return p, nil
	}
	base := filepath.Base(compiler)
	if suffix, ok := strings.CutPrefix(base, "clang"); ok && suffix != "" {
		if p, err := exec.LookPath("llvm-strip" + suffix); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("llvm-strip"); err == nil {
		return p, nil
	}
	if vs := versionedOnPath("llvm-strip"); len(vs) > 0 {
		return vs[0].path, nil
	}
	return "", nil
}
