package core

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/bpfgen/bpfgen/btf"
)

// Target is the BTF relocations are resolved against: vmlinux, and the
// kernel modules' BTF searched when vmlinux has no candidate for a type
// (as libbpf and the kernel do). A Target is safe for concurrent use.
type Target struct {
	vmlinux *btf.Spec
	modules func() ([]Module, error)

	names nameCache
}

// Module is one kernel module's BTF, split BTF on top of vmlinux.
type Module struct {
	Name string
	BTF  *btf.Spec
}

// NewTarget returns a target over vmlinux. modules, if not nil, returns
// the BTF of the kernel's modules; it is called at most once per
// Relocator, and only when a type has no candidate in vmlinux. With nil
// modules, vmlinux is all there is, as with libbpf's custom target BTF.
func NewTarget(vmlinux *btf.Spec, modules func() ([]Module, error)) *Target {
	return &Target{vmlinux: vmlinux, modules: modules}
}

// VMLinux returns the target's vmlinux BTF.
func (t *Target) VMLinux() *btf.Spec { return t.vmlinux }

// Paths of the running kernel's BTF.
const (
	SysBTFDir   = "/sys/kernel/btf"
	VmlinuxPath = SysBTFDir + "/vmlinux"
)

var running struct {
	mu     sync.Mutex
	target *Target
}

// RunningKernel returns the running kernel as a target: its
// /sys/kernel/btf/vmlinux, parsed once per process (a failure is not
// remembered), and its modules' BTF from /sys/kernel/btf, read when a
// Relocator first needs them.
func RunningKernel() (*Target, error) {
	running.mu.Lock()
	defer running.mu.Unlock()
	if running.target != nil {
		return running.target, nil
	}
	raw, err := os.ReadFile(VmlinuxPath)
	if err != nil {
		return nil, fmt.Errorf("kernel BTF: %w", err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kernel BTF %s: %w", VmlinuxPath, err)
	}
	running.target = NewTarget(spec, func() ([]Module, error) { return ReadModules(SysBTFDir, spec) })
	return running.target, nil
}

// ReadModules parses the BTF of every module in dir (a /sys/kernel/btf
// tree: one file per module, beside "vmlinux") as split BTF on vmlinux,
// in name order.
func ReadModules(dir string, vmlinux *btf.Spec) ([]Module, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("module BTF: %w", err)
	}
	var mods []Module
	for _, e := range entries {
		if e.Name() == "vmlinux" || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("module BTF: %w", err)
		}
		spec, err := btf.ParseSplit(raw, vmlinux)
		if err != nil {
			return nil, fmt.Errorf("module BTF %s: %w", path, err)
		}
		mods = append(mods, Module{Name: e.Name(), BTF: spec})
	}
	return mods, nil
}

// nameCache remembers, per essential name, the types of one BTF blob
// with that name, in id order. It is filled one name at a time by a
// linear scan, as libbpf searches, so a process pays only for the names
// its objects use; the blob never changes, so an answer is kept.
type nameCache struct {
	mu    sync.Mutex
	names map[string][]btf.TypeID
}

// lookup returns the types of s from id start on whose essential name is
// name.
func (c *nameCache) lookup(s *btf.Spec, start btf.TypeID, name string) []btf.TypeID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ids, ok := c.names[name]; ok {
		return ids
	}
	var ids []btf.TypeID
	n := s.NumTypes()
	for id := start; int(id) < n; id++ {
		t, err := s.Type(id)
		if err != nil || len(t.Name) < len(name) || t.Name[:len(name)] != name {
			continue
		}
		if EssentialName(t.Name) == name {
			ids = append(ids, id)
		}
	}
	if c.names == nil {
		c.names = make(map[string][]btf.TypeID)
	}
	c.names[name] = ids
	return ids
}

// candidate is a target type a local type may correspond to.
type candidate struct {
	btf    *btf.Spec
	id     btf.TypeID
	module string // "" for vmlinux
}

// addCandidates appends the types among ids of s whose kind is
// compatible with local's.
func addCandidates(cands []candidate, s *btf.Spec, ids []btf.TypeID, module string, local *btf.Type) []candidate {
	for _, id := range ids {
		t, err := s.Type(id)
		if err != nil || !kindsCompatible(t, local) {
			continue
		}
		cands = append(cands, candidate{btf: s, id: id, module: module})
	}
	return cands
}
