package cc

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// Target is what clang compiles for.
type Target struct {
	// Clang is clang's -target: bpf, bpfel or bpfeb.
	Clang string
	// Arch is the Linux architecture of __TARGET_ARCH_<Arch> (x86, arm64,
	// s390 ...); empty for generic BPF.
	Arch string
}

// Suffix is the part of generated file names that tells the target:
// "bpfel", or "x86_bpfel" for an architecture. It never reads as a Go
// file-name build constraint (_GOOS, _GOARCH).
func (t Target) Suffix() string {
	if t.Arch == "" {
		return t.Clang
	}
	return t.Arch + "_" + t.Clang
}

// goArches maps each Go architecture to its target, as bpf2go does. The
// architectures without a Linux name compile only as generic BPF.
var goArches = map[string]Target{
	"386":      {"bpfel", "x86"},
	"amd64":    {"bpfel", "x86"},
	"arm":      {"bpfel", "arm"},
	"arm64":    {"bpfel", "arm64"},
	"loong64":  {"bpfel", "loongarch"},
	"mips":     {"bpfeb", "mips"},
	"mipsle":   {"bpfel", ""},
	"mips64":   {"bpfeb", ""},
	"mips64le": {"bpfel", ""},
	"ppc64":    {"bpfeb", "powerpc"},
	"ppc64le":  {"bpfel", "powerpc"},
	"riscv64":  {"bpfel", "riscv"},
	"s390x":    {"bpfeb", "s390"},
	"wasm":     {"bpfel", ""},
}

// FindTarget turns one -target name into a target and the Go
// architectures its output builds for (sorted):
//
//   - bpfel, bpfeb: generic BPF of that byte order, for every Go
//     architecture of that byte order;
//   - bpf: generic BPF in the byte order of the compiling host, with no
//     architecture constraint (as bpf2go: the output builds everywhere);
//   - native: the host's Go architecture;
//   - a Go architecture with a Linux name (amd64, arm64 ...): BPF for it,
//     for every Go architecture with the same target (amd64 and 386).
func FindTarget(name string) (Target, []string, error) {
	switch name {
	case "bpf", "bpfel", "bpfeb":
		return Target{Clang: name}, archesWhere(func(t Target) bool { return t.Clang == name }), nil
	case "native":
		name = runtime.GOARCH
	}
	t, ok := goArches[name]
	if !ok || t.Arch == "" {
		return Target{}, nil, fmt.Errorf("unknown target %q: want bpf, bpfel, bpfeb, native or one of %s", name, strings.Join(ArchTargets(), ", "))
	}
	return t, archesWhere(func(u Target) bool { return u == t }), nil
}

// ArchTargets lists the Go architectures FindTarget accepts by name.
func ArchTargets() []string {
	return archesWhere(func(t Target) bool { return t.Arch != "" })
}

func archesWhere(keep func(Target) bool) []string {
	var out []string
	for a, t := range goArches {
		if keep(t) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}
