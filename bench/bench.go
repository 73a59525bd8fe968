// Package bench measures bpfgen against the loaders a user would otherwise
// pick (libbpf's light and regular skeletons, cilium/ebpf): load time, the
// kernel's own share of it, generation time, binary size and memory.
//
// This package holds the in-process contenders, shared by the Go benchmarks
// (go test -bench) and by the harness program that bench/cmd/bench
// generates around each object's light skeleton. `bench/run.sh` (what
// `make bench` runs) drives the whole comparison and writes
// bench/REPORT.md; `bench/run.sh --quick` is the smoke test.
package bench

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Timed is a load.Backend that carries out every call with a direct
// backend and adds up the time spent in it. With the direct backend's
// caches warm (kernel BTF, kallsyms) that time is the bpf(2) and close(2)
// system calls plus the few microseconds of attribute marshalling around
// each: the floor that no loader of the same object can beat.
type Timed struct {
	D *load.Direct
	// Total is the time spent in the backend's methods since the last Reset.
	Total time.Duration
	// Calls counts the calls since the last Reset.
	Calls int

	ksyms map[string]ksym
}

var _ load.Backend = (*Timed)(nil)

// Reset zeroes Total and Calls.
func (t *Timed) Reset() { t.Total, t.Calls = 0, 0 }

func (t *Timed) since(start time.Time) {
	t.Total += time.Since(start)
	t.Calls++
}

// LoadBTF implements load.Backend.
func (t *Timed) LoadBTF(raw []byte) (load.Handle, error) {
	defer t.since(time.Now())
	return t.D.LoadBTF(raw)
}

// CreateMap implements load.Backend.
func (t *Timed) CreateMap(m *load.MapSpec) (load.Handle, error) {
	defer t.since(time.Now())
	return t.D.CreateMap(m)
}

// ResolveKconfig implements load.Backend. It is not timed: it makes no
// bpf(2) call (the kernel config is read once and cached).
func (t *Timed) ResolveKconfig(m *object.Map, externs []*object.Extern, image []byte) ([]byte, error) {
	return t.D.ResolveKconfig(m, externs, image)
}

// UpdateElem implements load.Backend.
func (t *Timed) UpdateElem(m load.Handle, mapIndex int, key []byte, value load.Value) error {
	defer t.since(time.Now())
	return t.D.UpdateElem(m, mapIndex, key, value)
}

// Freeze implements load.Backend.
func (t *Timed) Freeze(m load.Handle, mapIndex int) error {
	defer t.since(time.Now())
	return t.D.Freeze(m, mapIndex)
}

// StructOpsLayout implements load.Backend (untimed: it reads BTF, not
// the kernel).
func (t *Timed) StructOpsLayout(name string) (*load.KernelStruct, error) {
	return t.D.StructOpsLayout(name)
}

// StructOpsValue implements load.Backend.
func (t *Timed) StructOpsValue(m load.Handle, s *load.StructOpsSpec) ([]byte, error) {
	return t.D.StructOpsValue(m, s)
}

// LoadProgram implements load.Backend. Typeless ksyms are resolved
// before the clock starts, from a cache that also remembers missing
// symbols (the direct backend reads /proc/kallsyms again for every weak
// symbol that is not there), so that only the kernel's work is timed.
func (t *Timed) LoadProgram(p *load.ProgSpec) (load.Handle, error) {
	p, err := t.resolveKsyms(p)
	if err != nil {
		return load.NoHandle, err
	}
	defer t.since(time.Now())
	return t.D.LoadProgram(p)
}

// resolveKsyms returns p with its typeless-ksym fix-ups applied the way
// the direct backend applies them (the address in the ld_imm64 pair, 0
// for a missing weak symbol).
func (t *Timed) resolveKsyms(p *load.ProgSpec) (*load.ProgSpec, error) {
	var names []string
	for _, fx := range p.Fixups {
		if _, ok := t.ksyms[fx.Name]; fx.Kind == load.FixupKsymAddr && !ok {
			names = append(names, fx.Name)
		}
	}
	if len(names) > 0 {
		found, err := kernel.ReadKallsyms(names...)
		if err != nil {
			return nil, fmt.Errorf("timed backend: %w", err)
		}
		if t.ksyms == nil {
			t.ksyms = make(map[string]ksym)
		}
		for _, n := range names {
			addr, ok := found[n]
			t.ksyms[n] = ksym{addr, ok}
		}
	}
	if !hasKsymAddr(p) {
		return p, nil
	}
	q := *p
	q.Insns = append([]asm.Insn(nil), p.Insns...)
	q.Fixups = nil
	for _, fx := range p.Fixups {
		if fx.Kind != load.FixupKsymAddr {
			q.Fixups = append(q.Fixups, fx)
			continue
		}
		k := t.ksyms[fx.Name]
		if !k.found && !fx.Weak {
			return p, nil // let the direct backend report it
		}
		q.Insns[fx.Insn].Src = 0
		q.Insns[fx.Insn].Imm, q.Insns[fx.Insn+1].Imm = int32(uint32(k.addr)), int32(uint32(k.addr>>32))
	}
	return &q, nil
}

func hasKsymAddr(p *load.ProgSpec) bool {
	for _, fx := range p.Fixups {
		if fx.Kind == load.FixupKsymAddr {
			return true
		}
	}
	return false
}

// ksym is a cached kallsyms lookup.
type ksym struct {
	addr  uint64
	found bool
}

// Close implements load.Backend.
func (t *Timed) Close(h load.Handle) error {
	defer t.since(time.Now())
	return t.D.Close(h)
}

// Floor measures the kernel's share of a direct load. It keeps one direct
// backend across loads so that its caches (kernel BTF, kallsyms) are warm
// and only system calls are timed.
type Floor struct {
	t Timed
}

// NewFloor returns a Floor with the running kernel's BTF already parsed.
func NewFloor() (*Floor, error) {
	spec, err := load.VmlinuxBTF()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	return NewFloorWithBTF(spec), nil
}

// NewFloorWithBTF returns a Floor that resolves kernel types in spec.
func NewFloorWithBTF(spec *btf.Spec) *Floor {
	// The first lookup by name builds the spec's name index: do it now,
	// not inside a timed call.
	spec.TypeByName("bpf_prog_put", btf.KindFunc)
	return &Floor{t: Timed{D: &load.Direct{KernelBTF: spec}}}
}

// Once loads obj directly, closes everything it created and returns the
// time spent in system calls (load and close).
func (f *Floor) Once(obj *object.Object) (time.Duration, error) {
	f.t.Reset()
	res, err := load.Load(obj, &f.t, nil)
	if err != nil {
		return 0, fmt.Errorf("floor: load %s: %w", obj.Name, err)
	}
	for _, h := range res.Handles() {
		f.t.Close(h)
	}
	return f.t.Total, nil
}

// Direct loads an object from its bytes with bpfgen's direct backend, as a
// user of `load` would (a fresh backend each time), then closes it.
func Direct(name string, data []byte) error {
	obj, err := object.OpenBytes(name, data)
	if err != nil {
		return err
	}
	res, err := load.Load(obj, &load.Direct{}, nil)
	if err != nil {
		return err
	}
	return closeHandles(res.Handles())
}

func closeHandles(hs []load.Handle) error {
	var errs []error
	for _, h := range hs {
		if err := unix.Close(int(h)); err != nil {
			errs = append(errs, fmt.Errorf("close fd %d: %w", h, err))
		}
	}
	return errors.Join(errs...)
}

// Loader runs a loader program (what a light skeleton's Load does, without
// the typed wrappers) and closes what it created.
func Loader(l *abi.Loader, kconfig func([]byte, []abi.KconfigVar) error) error {
	res, err := lskel.Run(l, &lskel.RunOptions{Kconfig: kconfig})
	if err != nil {
		return err
	}
	return res.Close()
}

// Cilium loads an object from its bytes with cilium/ebpf, as bpf2go's
// generated code does (LoadCollectionSpecFromReader, NewCollection), then
// closes it. cilium/ebpf memory-maps global-data maps and unmaps them when
// the mapping is garbage collected, so those maps outlive Close until the
// next GC.
func Cilium(data []byte) error {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("cilium/ebpf: spec: %w", err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return fmt.Errorf("cilium/ebpf: collection: %w", err)
	}
	coll.Close()
	return nil
}
