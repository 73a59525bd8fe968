package load

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/core"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Direct is the backend that performs every call now: handles are real
// file descriptors owned by the caller once Load returns.
type Direct struct {
	// LogLevel is the verifier log level of the first attempt (0: load
	// without a log and retry with level 1 only on failure).
	LogLevel uint32
	// KernelBTF, if set, is used instead of /sys/kernel/btf/vmlinux to
	// resolve ksyms, kfuncs and attach targets.
	KernelBTF *btf.Spec
	// Kconfig, if set, is used instead of the running kernel's config.
	Kconfig *kconfig.Config
	// PinRoot is where maps declared with LIBBPF_PIN_BY_NAME are pinned
	// and looked for (default /sys/fs/bpf, as with libbpf).
	PinRoot string
	// CORE says who applies CO-RE relocations (default COREAuto).
	CORE COREMode

	// btfRaw is the object's BTF as loaded, for user-space CO-RE, and
	// relocator resolves its records (made on first use, per load).
	btfRaw    []byte
	relocator *core.Relocator
	// ownVmlinux: KernelBTF was parsed here, not set by the caller.
	ownVmlinux bool

	kallsyms map[string]uint64
	// vmlinuxTypes caches helper lookups answered by vmlinux (no fd to
	// own); types found in modules come with a fresh fd and are looked up
	// for each program.
	vmlinuxTypes map[typeKey]typeResult
	// progTypes holds the lookups of the program being loaded.
	progTypes map[typeKey]typeResult
	pinned    map[Handle]string // pins this load made, undone on failure
	reused    map[Handle]bool   // maps taken from a pin, not created
}

// COREMode says who applies an object's CO-RE relocations.
type COREMode int

const (
	// COREAuto leaves CO-RE to the kernel where BPF_PROG_LOAD takes
	// core_relos (Linux 5.17+, probed once per process) and relocates in
	// user space elsewhere.
	COREAuto COREMode = iota
	// COREKernel always hands the records to the kernel.
	COREKernel
	// COREUser relocates in user space (package core) against KernelBTF
	// if set (and no module BTF), else the running kernel's BTF (vmlinux,
	// parsed once per process, and its modules), and loads programs
	// without core_relos. Loaders (package gen) always leave CO-RE to
	// the kernel.
	COREUser
)

// DefaultPinRoot is where pinned-by-name maps live unless told otherwise.
const DefaultPinRoot = "/sys/fs/bpf"

var _ Backend = (*Direct)(nil)

// LoadDirect opens nothing new: it loads obj with a Direct backend and
// returns the fds.
func LoadDirect(obj *object.Object, opts *Options) (*Result, error) {
	return Load(obj, &Direct{}, opts)
}

// LoadBTF implements Backend.
func (d *Direct) LoadBTF(raw []byte) (Handle, error) {
	d.btfRaw, d.relocator = raw, nil
	if err := kernel.RaiseMemlock(); err != nil {
		return NoHandle, err
	}
	// A kernel older than a BTF kind the object uses refuses the whole
	// blob: rewrite those types the way libbpf does, keeping every type id
	// (d.btfRaw stays the object's own BTF, for user-space CO-RE). The
	// probes run once per process; a kernel with every feature loads raw
	// as it is.
	if f, partial := KernelBTFFeatures(); partial {
		san, err := btf.SanitizeRaw(raw, f)
		if err != nil {
			return NoHandle, fmt.Errorf("rewriting BTF for this kernel's BTF features: %w", err)
		}
		raw = san
	}
	fd, err := kernel.BTFLoad(raw, nil, 0)
	if err == nil {
		return Handle(fd), nil
	}
	buf := make([]byte, 1<<20)
	fd2, err2 := kernel.BTFLoad(raw, buf, 1)
	if err2 == nil {
		// Loaded the second time; keep it rather than fail.
		return Handle(fd2), nil
	}
	return NoHandle, &kernel.VerifierError{Errno: kernel.ErrnoOf(err), Log: kernel.CString(buf)}
}

// CreateMap implements Backend.
func (d *Direct) CreateMap(m *MapSpec) (Handle, error) {
	if err := kernel.RaiseMemlock(); err != nil {
		return NoHandle, err
	}
	attr := &kernel.MapCreateAttr{
		Type:           m.Type,
		KeySize:        m.KeySize,
		ValueSize:      m.ValueSize,
		MaxEntries:     m.MaxEntries,
		Flags:          m.Flags,
		NumaNode:       m.NumaNode,
		Name:           m.Name,
		MapExtra:       m.MapExtra,
		BTFKeyTypeID:   uint32(m.BTFKeyID),
		BTFValueTypeID: uint32(m.BTFValueID),
	}
	if m.BTF != NoHandle {
		attr.BTFFD = uint32(m.BTF)
	}
	if m.Inner != NoHandle {
		attr.InnerMapFD = uint32(m.Inner)
	}
	if m.StructOps != nil {
		id, modFD, err := d.findKernelType(StructOpsValuePrefix+m.StructOps.Name, btf.KindStruct)
		if err != nil {
			return NoHandle, fmt.Errorf("struct_ops value type %s%s: %w", StructOpsValuePrefix, m.StructOps.Name, err)
		}
		attr.BTFVmlinuxValueTypeID = id
		if modFD > 0 {
			defer kernel.Close(modFD)
			attr.ValueTypeBTFObjFD = int32(modFD)
			attr.Flags |= kernel.BPF_F_VTYPE_BTF_OBJ_FD
		}
	}
	if object.MapType(m.Type) == object.MapTypePerfEventArray && attr.MaxEntries == 0 {
		// One slot per possible CPU, counted on this machine.
		n, err := kernel.PossibleCPUs()
		if err != nil {
			return NoHandle, err
		}
		attr.MaxEntries = uint32(n)
	}
	if m.Index >= 0 && m.Map.Pinning == pinByName {
		return d.createPinned(m, attr)
	}
	fd, err := kernel.MapCreate(attr)
	if err != nil {
		return NoHandle, err
	}
	return Handle(fd), nil
}

const pinByName = abi.PinByName

// createPinned reuses a compatible map pinned under the map's name, or
// creates the map and pins it there.
func (d *Direct) createPinned(m *MapSpec, attr *kernel.MapCreateAttr) (Handle, error) {
	root := d.PinRoot
	if root == "" {
		root = DefaultPinRoot
	}
	path := filepath.Join(root, m.Map.Name)
	fd, err := kernel.ObjGet(path, 0)
	if err == nil {
		if err := kernel.CheckMapReuse(fd, attr); err != nil {
			kernel.Close(fd)
			return NoHandle, fmt.Errorf("pinned map %s: %w", path, err)
		}
		if d.reused == nil {
			d.reused = make(map[Handle]bool)
		}
		d.reused[Handle(fd)] = true
		return Handle(fd), nil
	}
	if !errors.Is(err, syscall.ENOENT) {
		return NoHandle, fmt.Errorf("pinned map %s: %w", path, err)
	}
	fd, err = kernel.MapCreate(attr)
	if err != nil {
		return NoHandle, err
	}
	if err := kernel.ObjPin(fd, path); err != nil {
		kernel.Close(fd)
		return NoHandle, fmt.Errorf("pin map at %s: %w", path, err)
	}
	if d.pinned == nil {
		d.pinned = make(map[Handle]string)
	}
	d.pinned[Handle(fd)] = path
	return Handle(fd), nil
}

// ResolveKconfig implements Backend: the running kernel's config.
func (d *Direct) ResolveKconfig(m *object.Map, externs []*object.Extern, image []byte) ([]byte, error) {
	vars := KconfigVars(externs)
	if len(vars) == 0 {
		return image, nil
	}
	if d.Kconfig == nil {
		cfg, err := kconfig.ReadRunning()
		if err != nil {
			return nil, err
		}
		d.Kconfig = cfg
	}
	out := append([]byte(nil), image...)
	if err := kconfig.Fill(out, vars, d.Kconfig, binary.NativeEndian); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateElem implements Backend.
func (d *Direct) UpdateElem(m Handle, _ int, key []byte, v Value) error {
	if v.Init && d.reused[m] {
		return nil
	}
	value := v.Bytes
	if value == nil {
		value = make([]byte, 4)
		binary.NativeEndian.PutUint32(value, uint32(v.FD))
	}
	return kernel.MapUpdateElem(int(m), key, value, 0)
}

// Freeze implements Backend.
func (d *Direct) Freeze(m Handle, _ int) error {
	if d.reused[m] {
		return nil
	}
	return kernel.MapFreeze(int(m))
}

// Close implements Backend.
func (d *Direct) Close(h Handle) error {
	if h < 0 {
		return nil
	}
	if path, ok := d.pinned[h]; ok {
		os.Remove(path)
		delete(d.pinned, h)
	}
	delete(d.reused, h)
	return kernel.Close(int(h))
}

// LoadProgram implements Backend: it resolves the fix-ups against this
// kernel, loads, and on failure retries with a growing verifier log.
func (d *Direct) LoadProgram(p *ProgSpec) (Handle, error) {
	insns := append([]asm.Insn(nil), p.Insns...)
	coreRelos := p.CORERelos
	if len(coreRelos) > 0 && p.BTF != NoHandle && d.userCORE() {
		if err := d.relocateCORE(p, insns); err != nil {
			return NoHandle, err
		}
		coreRelos = nil
	}
	var fdArray []int32
	var modFDs []int
	defer func() {
		for _, fd := range modFDs {
			kernel.Close(fd)
		}
	}()
	kfuncSlot := make(map[int]int16) // module BTF fd → fd_array index
	if err := d.resolveKsyms(p); err != nil {
		return NoHandle, err
	}
	modFDs = d.resolveKernelTypes(p)
	for _, fx := range p.Fixups {
		ins := &insns[fx.Insn]
		switch fx.Kind {
		case FixupMap:
			ins.Src, ins.Imm = asm.PseudoMapFD, int32(fx.Map)
		case FixupMapValue:
			ins.Src, ins.Imm = asm.PseudoMapValue, int32(fx.Map)
		case FixupKsymAddr:
			addr, err := d.ksymAddr(fx.Name)
			if err != nil && !fx.Weak {
				return NoHandle, fmt.Errorf("ksym %s: %w", fx.Name, err)
			}
			ins.Src = 0
			ins.Imm, insns[fx.Insn+1].Imm = int32(uint32(addr)), int32(uint32(addr>>32))
		case FixupKsymBTF, FixupKfunc:
			id, modFD, err := d.findKernelType(fx.Name, fx.BTFKind)
			if modFD > 0 && !slices.Contains(modFDs, modFD) {
				modFDs = append(modFDs, modFD)
			}
			if err != nil {
				if !fx.Weak {
					what := "ksym"
					if fx.Kind == FixupKfunc {
						what = "kfunc"
					}
					return NoHandle, fmt.Errorf("%s %s: %w", what, fx.Name, err)
				}
				if fx.Kind == FixupKfunc {
					ins.Src, ins.Imm, ins.Off = 0, KfuncPoison, 0
				} else {
					ins.Src, ins.Imm, insns[fx.Insn+1].Imm = 0, 0, 0
				}
				continue
			}
			if fx.Kind == FixupKfunc {
				ins.Imm, ins.Off = int32(id), 0
				if modFD > 0 {
					slot, ok := kfuncSlot[modFD]
					if !ok {
						if len(fdArray) == 0 {
							fdArray = append(fdArray, 0) // index 0 means vmlinux
						}
						slot = int16(len(fdArray))
						fdArray = append(fdArray, int32(modFD))
						kfuncSlot[modFD] = slot
					}
					ins.Off = slot
				}
			} else {
				ins.Src, ins.Imm, insns[fx.Insn+1].Imm = asm.PseudoBTFID, int32(id), int32(modFD)
			}
		default:
			return NoHandle, fmt.Errorf("instruction %d: unknown fix-up %d", fx.Insn, fx.Kind)
		}
	}

	bo := binary.NativeEndian
	attr := &kernel.ProgLoadAttr{
		Type:               p.Type,
		Insns:              asm.Encode(insns, bo),
		License:            p.License,
		KernVersion:        p.KernVersion,
		Flags:              p.Flags,
		Name:               p.Name,
		ExpectedAttachType: p.AttachType,
		FDArray:            fdArray,
	}
	if p.BTF != NoHandle {
		attr.BTFFD = uint32(p.BTF)
		if len(p.FuncInfos) > 0 {
			attr.FuncInfo = btf.MarshalFuncInfos(p.FuncInfos, bo)
			attr.FuncInfoRecSize = btf.FuncInfoSize
		}
		if len(p.LineInfos) > 0 {
			attr.LineInfo = btf.MarshalLineInfos(p.LineInfos, bo)
			attr.LineInfoRecSize = btf.LineInfoSize
		}
		if len(coreRelos) > 0 {
			attr.CoreRelos = btf.MarshalCORERelos(coreRelos, bo)
			attr.CoreReloRecSize = btf.CORERelocSize
		}
	}
	if p.Target.Name != "" {
		id, modFD, err := d.findKernelType(p.Target.Name, p.Target.Kind)
		if modFD > 0 && !slices.Contains(modFDs, modFD) {
			modFDs = append(modFDs, modFD)
		}
		if err != nil {
			return NoHandle, fmt.Errorf("attach target %s: %w", p.Target.Name, err)
		}
		attr.AttachBTFID = id
		attr.AttachBTFObjFD = uint32(modFD)
	}
	if t := p.TargetProg; t != nil {
		if t.FD < 0 {
			return NoHandle, fmt.Errorf("freplace: no program to replace %s in: set Options.AttachTargets[%q]", t.Func, p.Func.Name)
		}
		id, err := kernel.ProgFuncBTFID(t.FD, t.Func)
		if err != nil {
			return NoHandle, fmt.Errorf("freplace target %s: %w", t.Func, err)
		}
		attr.AttachBTFID = id
		attr.AttachBTFObjFD = uint32(t.FD) // attach_prog_fd shares the field
	}

	if d.LogLevel != 0 {
		return d.loadWithLog(p, attr, d.LogLevel)
	}
	fd, _, err := kernel.ProgLoad(attr)
	if err == nil {
		return Handle(fd), nil
	}
	return d.loadWithLog(p, attr, 1)
}

// userCORE reports whether CO-RE relocations are applied here rather
// than by the kernel.
func (d *Direct) userCORE() bool {
	switch d.CORE {
	case COREUser:
		return true
	case COREKernel:
		return false
	}
	return !kernel.HaveKernelCORE()
}

// relocateCORE applies p's CO-RE records to insns in user space.
func (d *Direct) relocateCORE(p *ProgSpec, insns []asm.Insn) error {
	if d.relocator == nil {
		local, err := btf.Parse(d.btfRaw)
		if err != nil {
			return fmt.Errorf("CO-RE: object BTF: %w", err)
		}
		var target *core.Target
		if d.KernelBTF != nil && !d.ownVmlinux {
			target = core.NewTarget(d.KernelBTF, nil)
		} else if target, err = core.RunningKernel(); err != nil {
			return fmt.Errorf("CO-RE: %w", err)
		}
		d.relocator = core.NewRelocator(local, target)
	}
	return d.relocator.Relocate(p.Func.Name, insns, p.CORERelos)
}

// loadWithLog loads with a verifier log, growing the buffer while the
// kernel says it was too small, and turns a failure into a *kernel.VerifierError.
func (d *Direct) loadWithLog(p *ProgSpec, attr *kernel.ProgLoadAttr, level uint32) (Handle, error) {
	const maxLog = 64 << 20
	size := 256 << 10
	for {
		attr.LogLevel = level
		attr.LogBuf = make([]byte, size)
		fd, trueSize, err := kernel.ProgLoad(attr)
		if err == nil {
			return Handle(fd), nil
		}
		if errors.Is(err, syscall.ENOSPC) && size < maxLog {
			size = max(size*4, int(trueSize)+1)
			size = min(size, maxLog)
			continue
		}
		return NoHandle, &kernel.VerifierError{Errno: kernel.ErrnoOf(err), Log: kernel.CString(attr.LogBuf)}
	}
}

// ErrNotInKernel is wrapped when a ksym, kfunc or attach target is not in
// the kernel's BTF or symbols.
var ErrNotInKernel = errors.New("not found in the running kernel")

// resolveKernelTypes looks up, in one go through the kernel's
// bpf_btf_find_by_name_kind, the ksyms, kfuncs and attach target of p that
// are not known yet, and returns the module BTF fds it obtained (the
// caller closes them after the load). Without syscall programs, or with
// KernelBTF set, findKernelType falls back to searching parsed BTF.
func (d *Direct) resolveKernelTypes(p *ProgSpec) []int {
	d.progTypes = nil
	if d.KernelBTF != nil {
		return nil
	}
	if d.vmlinuxTypes == nil {
		d.vmlinuxTypes = make(map[typeKey]typeResult)
	}
	var keys []typeKey
	want := func(k typeKey) {
		if _, ok := d.vmlinuxTypes[k]; ok || slices.Contains(keys, k) {
			return
		}
		if r, ok := vmlinuxFound.Load(k); ok {
			d.vmlinuxTypes[k] = r.(typeResult)
			return
		}
		keys = append(keys, k)
	}
	for _, fx := range p.Fixups {
		if fx.Kind == FixupKsymBTF || fx.Kind == FixupKfunc {
			want(typeKey{fx.Name, fx.BTFKind})
		}
	}
	if p.Target.Name != "" {
		want(typeKey{p.Target.Name, p.Target.Kind})
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := btfIDsViaHelper(keys)
	if err != nil {
		return nil
	}
	var fds []int
	d.progTypes = make(map[typeKey]typeResult)
	for k, r := range found {
		if r.objFD > 0 {
			d.progTypes[k] = r
			fds = append(fds, r.objFD)
		} else {
			d.vmlinuxTypes[k] = r
			if r.err == nil {
				vmlinuxFound.Store(k, r)
			}
		}
	}
	return fds
}

// vmlinuxFound remembers, for the whole process, the types found in
// vmlinux BTF: their ids do not change while the kernel runs, so later
// loads skip the look-up. Misses are not remembered (a module loaded since
// may have the name), nor module types (they come with an fd).
var vmlinuxFound sync.Map // typeKey → typeResult

// findKernelType looks name up in vmlinux BTF, then in module BTF. For a
// module it returns a BTF object fd that is closed after the program's
// load.
func (d *Direct) findKernelType(name string, kind btf.Kind) (uint32, int, error) {
	k := typeKey{name, kind}
	if r, ok := d.progTypes[k]; ok {
		return r.id, r.objFD, r.err
	}
	if r, ok := d.vmlinuxTypes[k]; ok {
		return r.id, 0, r.err
	}
	spec, err := d.vmlinux()
	if err != nil {
		return 0, 0, err
	}
	id, _, err := spec.TypeByName(name, kind)
	if err == nil {
		return uint32(id), 0, nil
	}
	if !errors.Is(err, btf.ErrNotFound) {
		return 0, 0, err
	}
	return findModuleType(spec, name, kind)
}

func (d *Direct) vmlinux() (*btf.Spec, error) {
	if d.KernelBTF != nil {
		return d.KernelBTF, nil
	}
	spec, err := VmlinuxBTF()
	if err != nil {
		return nil, err
	}
	d.KernelBTF, d.ownVmlinux = spec, true
	return spec, nil
}

// VmlinuxBTF parses the running kernel's BTF.
func VmlinuxBTF() (*btf.Spec, error) {
	const path = "/sys/kernel/btf/vmlinux"
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kernel BTF: %w", err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kernel BTF %s: %w", path, err)
	}
	return spec, nil
}

// findModuleType searches the BTF of loaded modules (split BTF on top of
// vmlinux) and returns a BTF object fd for the module that has name.
func findModuleType(base *btf.Spec, name string, kind btf.Kind) (uint32, int, error) {
	for mod, spec := range ModuleBTFs(base) {
		id, _, err := spec.TypeByName(name, kind)
		if err != nil {
			continue
		}
		fd, err := moduleBTFFD(mod)
		if err != nil {
			return 0, 0, fmt.Errorf("module %s: %w", mod, err)
		}
		return uint32(id), fd, nil
	}
	return 0, 0, ErrNotInKernel
}

// moduleBTFFD finds the kernel BTF object of a module by name.
func moduleBTFFD(module string) (int, error) {
	var id uint32
	for {
		next, err := kernel.NextBTFID(id)
		if err != nil {
			return -1, fmt.Errorf("BTF of module %s not found: %w", module, err)
		}
		id = next
		fd, err := kernel.BTFFDByID(id)
		if err != nil {
			continue
		}
		info, err := kernel.GetBTFInfo(fd)
		if err == nil && info.KernelBTF && info.Name == module {
			return fd, nil
		}
		kernel.Close(fd)
	}
}

// resolveKsyms looks up, in one go, the addresses of the typeless ksyms
// of p that are not known yet.
func (d *Direct) resolveKsyms(p *ProgSpec) error {
	if d.kallsyms == nil {
		d.kallsyms = make(map[string]uint64)
	}
	var names []string
	for _, fx := range p.Fixups {
		if _, known := d.kallsyms[fx.Name]; fx.Kind == FixupKsymAddr && !known && !slices.Contains(names, fx.Name) {
			names = append(names, fx.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	found, err := lookupKallsyms(names)
	if err != nil {
		return err
	}
	for _, n := range names {
		d.kallsyms[n] = found[n] // 0: not in the kernel
	}
	return nil
}

func (d *Direct) ksymAddr(name string) (uint64, error) {
	if addr := d.kallsyms[name]; addr != 0 {
		return addr, nil
	}
	return 0, ErrNotInKernel
}

// KernelBTFFeatures returns the BTF kinds the running kernel accepts, and
// whether it has BTF but lacks some kinds (so that BTF must be sanitized
// before it loads).
func KernelBTFFeatures() (f btf.Features, partial bool) {
	kf := kernel.BTFFeatures()
	f = btf.Features{
		Func: kf.Func, GlobalFunc: kf.GlobalFunc,
		Datasec: kf.Datasec, QmarkDatasec: kf.QmarkDatasec,
		Float: kf.Float, DeclTag: kf.DeclTag, TypeTag: kf.TypeTag, Enum64: kf.Enum64,
	}
	return f, kf.BTF && !kf.Complete()
}

// StructOpsLayout implements Backend from this kernel's BTF: vmlinux, then
// the loaded modules'.
func (d *Direct) StructOpsLayout(name string) (*KernelStruct, error) {
	spec, err := d.vmlinux()
	if err != nil {
		return nil, err
	}
	var modules iter.Seq2[string, *btf.Spec]
	if d.ownVmlinux {
		modules = ModuleBTFs(spec)
	}
	return FindKernelStruct(spec, modules, name)
}

// ModuleBTFs yields the BTF of each loaded module with BTF, by name, split
// on top of vmlinux.
func ModuleBTFs(vmlinux *btf.Spec) iter.Seq2[string, *btf.Spec] {
	return func(yield func(string, *btf.Spec) bool) {
		entries, err := os.ReadDir("/sys/kernel/btf")
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Name() == "vmlinux" {
				continue
			}
			raw, err := os.ReadFile("/sys/kernel/btf/" + e.Name())
			if err != nil {
				continue
			}
			spec, err := btf.ParseSplit(raw, vmlinux)
			if err != nil {
				continue
			}
			if !yield(e.Name(), spec) {
				return
			}
		}
	}
}

// StructOpsValue implements Backend: the value with the programs' fds in
// their slots.
func (d *Direct) StructOpsValue(_ Handle, s *StructOpsSpec) ([]byte, error) {
	v := append([]byte(nil), s.Image...)
	for _, p := range s.Progs {
		binary.NativeEndian.PutUint64(v[p.Offset:], uint64(p.Prog))
	}
	return v, nil
}
