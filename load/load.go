// Package load is the load phase: it turns an opened object into kernel
// objects in libbpf's order — BTF, maps (inner templates first) with their
// initial data, externs, relocated programs, then map-in-map and
// program-array slots — by asking a Backend for each kernel call.
//
// The direct backend (this package) performs each call at once; the
// generator (package gen) records the same calls as a loader program. The
// load phase decides everything about the object, so both come out the
// same.
package load

import (
	"errors"
	"fmt"
	"slices"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Options tune a load.
type Options struct {
	// MaxEntries overrides max_entries of maps by name.
	MaxEntries map[string]uint32
	// Skip lists programs (by name) not to load, on top of those marked
	// "?" in their section.
	Skip map[string]bool
	// AttachTargets gives freplace programs (by name) the program whose
	// function they replace, as libbpf's bpf_program__set_attach_target
	// does. A loader takes the target when it runs instead
	// (lskel.RunOptions.AttachTargets).
	AttachTargets map[string]ProgTarget
}

// ProgTarget is a function of a loaded BPF program: what an freplace
// program replaces.
type ProgTarget struct {
	FD int // the target program; -1 when it is only known at run time
	// Func is the function to replace; empty means the one the
	// program's section names.
	Func string
}

// Result holds the handles the load created, by index.
type Result struct {
	BTF Handle
	// Maps by index in object.Object.Maps.
	Maps []Handle
	// Programs by index in object.Object.Programs(); NoHandle for programs
	// that were not loaded.
	Programs []Handle
	// StructOps holds, by map index, the value of each struct_ops map
	// with its programs' fds in place, ready to register
	// (AttachStructOps); set by the direct backend only.
	StructOps map[int][]byte
}

// Handles lists every handle in Result, for closing.
func (r *Result) Handles() []Handle {
	var hs []Handle
	if r.BTF != NoHandle {
		hs = append(hs, r.BTF)
	}
	for _, h := range r.Maps {
		if h != NoHandle {
			hs = append(hs, h)
		}
	}
	for _, h := range r.Programs {
		if h != NoHandle {
			hs = append(hs, h)
		}
	}
	return hs
}

// fail is the error of a failed step: a *kernel.LoadError naming the
// object and the step, as a loader names its steps.
func (l *loader) fail(step string, err error) error {
	return &kernel.LoadError{Object: l.obj.Name, Step: step, Err: err}
}

// Load runs the load phase of obj through b. On failure every handle it
// created is closed through b before the error is returned.
func Load(obj *object.Object, b Backend, opts *Options) (res *Result, err error) {
	if opts == nil {
		opts = &Options{}
	}
	l := &loader{obj: obj, b: b, opts: opts}
	res = &Result{BTF: NoHandle}
	defer func() {
		if err != nil {
			// Newest first: programs before the maps they use.
			for i := len(l.created) - 1; i >= 0; i-- {
				b.Close(l.created[i])
			}
			res = nil
		}
	}()
	if err := l.run(res); err != nil {
		return nil, err
	}
	return res, nil
}

type loader struct {
	obj     *object.Object
	b       Backend
	opts    *Options
	created []Handle // in creation order, closed in reverse on failure

	structOps      map[int]*StructOpsSpec // by map index
	structOpsProgs map[int]progTarget     // by program index
}

func (l *loader) keep(h Handle) Handle {
	l.created = append(l.created, h)
	return h
}

func (l *loader) run(res *Result) error {
	obj := l.obj
	if obj.BTF != nil {
		raw, err := obj.BTF.Marshal()
		if err != nil {
			return l.fail("marshal BTF", err)
		}
		h, err := l.b.LoadBTF(raw)
		if err != nil {
			return l.fail("load BTF", err)
		}
		res.BTF = l.keep(h)
	}

	structOps, structOpsProgs, err := l.prepareStructOps()
	if err != nil {
		return err
	}
	l.structOps, l.structOpsProgs = structOps, structOpsProgs

	res.Maps = make([]Handle, len(obj.Maps))
	for i := range res.Maps {
		res.Maps[i] = NoHandle
	}
	for i, m := range obj.Maps {
		h, err := l.createMap(i, m, res.BTF)
		if err != nil {
			return err
		}
		res.Maps[i] = h
	}
	// Map-in-map slots need every map to exist; libbpf fills them right
	// after creating the maps, before any program.
	for i, m := range obj.Maps {
		if m.Type == object.MapTypeProgArray {
			continue
		}
		if err := l.fillSlots(i, m, res); err != nil {
			return err
		}
	}

	progs := obj.Programs()
	for name := range l.opts.AttachTargets {
		if i := slices.IndexFunc(progs, func(p *object.Function) bool { return p.Name == name }); i < 0 || progs[i].Type != object.ProgTypeExt {
			return l.fail("load program "+name, errors.New("AttachTargets names no freplace program of the object"))
		}
	}
	res.Programs = make([]Handle, len(progs))
	for i, p := range progs {
		res.Programs[i] = NoHandle
		if !p.Autoload || l.opts.Skip[p.Name] {
			continue
		}
		h, err := l.loadProgram(i, p, res)
		if err != nil {
			return err
		}
		res.Programs[i] = h
	}
	for i, m := range obj.Maps {
		if m.Type != object.MapTypeProgArray {
			continue
		}
		if err := l.fillSlots(i, m, res); err != nil {
			return err
		}
	}
	return l.finishStructOps(structOps, res)
}

// mapSpec builds the creation request of m. Like libbpf, BTF ids are not
// passed for map types whose values are fds or have no BTF meaning.
func (l *loader) mapSpec(index int, m *object.Map, btfH Handle) *MapSpec {
	s := &MapSpec{
		Index:      index,
		Map:        m,
		Name:       m.KernelName,
		Type:       uint32(m.Type),
		KeySize:    m.KeySize,
		ValueSize:  m.ValueSize,
		MaxEntries: m.MaxEntries,
		Flags:      m.Flags,
		NumaNode:   m.NumaNode,
		MapExtra:   m.MapExtra,
		BTF:        NoHandle,
		Inner:      NoHandle,
	}
	if n, ok := l.opts.MaxEntries[m.Name]; ok && index >= 0 {
		s.MaxEntries = n
	}
	if so := l.structOps[index]; so != nil && index >= 0 {
		// The kernel's value type replaces the object's: no key or value
		// ids, but the object's BTF, as libbpf passes it.
		s.ValueSize = so.Kernel.ValueSize
		s.StructOps = so.Kernel
		s.BTF = btfH
		return s
	}
	if btfH != NoHandle && m.BTFValueID != 0 && mapTakesBTF(m.Type) {
		s.BTF = btfH
		s.BTFKeyID = m.BTFKeyID
		s.BTFValueID = m.BTFValueID
	}
	return s
}

func mapTakesBTF(t object.MapType) bool {
	switch t {
	case object.MapTypePerfEventArray, object.MapTypeCgroupArray, object.MapTypeStackTrace,
		object.MapTypeArrayOfMaps, object.MapTypeHashOfMaps,
		object.MapTypeDevmap, object.MapTypeDevmapHash, object.MapTypeCPUmap, object.MapTypeXSKmap,
		object.MapTypeSockmap, object.MapTypeSockhash, object.MapTypeQueue, object.MapTypeStack,
		object.MapTypeArena:
		return false
	}
	return true
}

func (l *loader) createMap(index int, m *object.Map, btfH Handle) (Handle, error) {
	spec := l.mapSpec(index, m, btfH)
	var inner Handle = NoHandle
	if m.Inner != nil {
		is := l.mapSpec(-1, m.Inner, btfH)
		h, err := l.b.CreateMap(is)
		if err != nil {
			return NoHandle, l.fail("create inner map of "+m.Name, err)
		}
		inner = h
		spec.Inner = h
	}
	h, err := l.b.CreateMap(spec)
	if inner != NoHandle {
		// The kernel keeps only the inner map's shape; its fd is not
		// needed once the outer map exists.
		if cerr := l.b.Close(inner); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return NoHandle, l.fail("create map "+m.Name, err)
	}
	l.keep(h)

	if m.Internal == object.NotInternal {
		return h, nil
	}
	image := m.Contents
	if len(image) != int(m.ValueSize) {
		image = make([]byte, m.ValueSize)
		copy(image, m.Contents)
	}
	if m.Internal == object.InternalKconfig {
		image, err = l.b.ResolveKconfig(m, l.obj.Externs, image)
		if err != nil {
			return NoHandle, l.fail("resolve kconfig externs of "+m.Name, err)
		}
	}
	key := make([]byte, 4)
	if err := l.b.UpdateElem(h, index, key, Value{Bytes: image, Init: true}); err != nil {
		return NoHandle, l.fail("write initial value of "+m.Name, err)
	}
	if m.Flags&object.MapFlagRdonlyProg != 0 {
		if err := l.b.Freeze(h, index); err != nil {
			return NoHandle, l.fail("freeze "+m.Name, err)
		}
	}
	return h, nil
}

func (l *loader) fillSlots(index int, m *object.Map, res *Result) error {
	for _, s := range m.Slots {
		key := make([]byte, 4)
		l.obj.ByteOrder.PutUint32(key, s.Index)
		var v Value
		switch {
		case s.Prog != nil:
			pi := l.programIndex(s.Prog)
			if pi < 0 || res.Programs[pi] == NoHandle {
				return l.fail(fmt.Sprintf("fill slot %d of %s", s.Index, m.Name), fmt.Errorf("program %s is not loaded", s.Prog.Name))
			}
			v = Value{FD: res.Programs[pi]}
		case s.Map >= 0 && s.Map < len(res.Maps):
			// Like libbpf, a reused map-in-map keeps its slots;
			// program-array slots are filled either way.
			v = Value{FD: res.Maps[s.Map], Init: true}
		default:
			return l.fail(fmt.Sprintf("fill slot %d of %s", s.Index, m.Name), errors.New("no map or program"))
		}
		if err := l.b.UpdateElem(res.Maps[index], index, key, v); err != nil {
			return l.fail(fmt.Sprintf("fill slot %d of %s", s.Index, m.Name), err)
		}
	}
	return nil
}

func (l *loader) programIndex(f *object.Function) int {
	for i, p := range l.obj.Programs() {
		if p == f {
			return i
		}
	}
	return -1
}

// KconfigVars lists the object's kconfig externs as package kconfig fills
// them in and as a loader records them.
func KconfigVars(externs []*object.Extern) []abi.KconfigVar {
	var vars []abi.KconfigVar
	for _, e := range externs {
		if e.Kind != object.ExternKconfig {
			continue
		}
		vars = append(vars, abi.KconfigVar{
			Name:   e.Name,
			Offset: e.Offset,
			Size:   e.Size,
			Type:   e.KconfigType,
			Signed: e.Signed,
			Weak:   e.Weak,
		})
	}
	return vars
}

func (l *loader) loadProgram(index int, p *object.Function, res *Result) (Handle, error) {
	spec, err := l.progSpec(index, p, res)
	if err != nil {
		return NoHandle, l.fail("relocate program "+p.Name, err)
	}
	h, err := l.b.LoadProgram(spec)
	if err != nil {
		return NoHandle, l.fail("load program "+p.Name, err)
	}
	return l.keep(h), nil
}

// ProgramSpec links and relocates one program without loading it; the
// generator and tests use it to see exactly what the kernel is given.
func (l *loader) progSpec(index int, p *object.Function, res *Result) (*ProgSpec, error) {
	ln, err := link(p)
	if err != nil {
		return nil, err
	}
	spec := &ProgSpec{
		Index:       index,
		Func:        p,
		Name:        kernelProgName(p.Name),
		Type:        uint32(p.Type),
		AttachType:  uint32(p.AttachType),
		Flags:       p.Flags,
		License:     l.obj.License,
		KernVersion: l.obj.KernVersion,
		Insns:       ln.insns,
		BTF:         res.BTF,
		FuncInfos:   ln.funcInfos,
		LineInfos:   ln.lineInfos,
		CORERelos:   ln.coreRelos,
	}
	if res.BTF == NoHandle {
		spec.FuncInfos, spec.LineInfos, spec.CORERelos = nil, nil, nil
	}
	if p.Def != nil && p.Def.TargetKind != 0 && p.AttachTo != "" {
		spec.Target = AttachTarget{Name: p.Def.TargetPrefix + p.AttachTo, Kind: p.Def.TargetKind}
	}
	if t, ok := l.structOpsProgs[index]; ok {
		// The kernel's struct is the attach target, the member's index
		// the attach type.
		spec.Target = AttachTarget{Name: t.kernel.Name, Kind: btf.KindStruct}
		spec.AttachType = uint32(t.member)
	}
	if p.Type == object.ProgTypeExt {
		spec.TargetProg = &ProgTarget{FD: -1, Func: p.AttachTo}
		if t, ok := l.opts.AttachTargets[p.Name]; ok {
			spec.TargetProg.FD = t.FD
			if t.Func != "" {
				spec.TargetProg.Func = t.Func
			}
		}
		if spec.TargetProg.Func == "" {
			return nil, fmt.Errorf("freplace program %s: no function to replace (SEC(\"freplace/FUNC\") or AttachTargets)", p.Name)
		}
	}
	for _, r := range ln.relocs {
		fx, err := l.fixup(spec.Insns, r, res)
		if err != nil {
			return nil, fmt.Errorf("instruction %d (symbol %s): %w", r.insn, r.Symbol, err)
		}
		spec.Fixups = append(spec.Fixups, fx)
	}
	return spec, nil
}

func (l *loader) fixup(insns []asm.Insn, r linkedReloc, res *Result) (Fixup, error) {
	at := r.insn
	needLd := func() error {
		if at+1 >= len(insns) || !insns[at].IsLdImm64() {
			return errors.New("expected a 16-byte ld_imm64")
		}
		return nil
	}
	mapRef := func(mi int, off int64, kind FixupKind) (Fixup, error) {
		if err := needLd(); err != nil {
			return Fixup{}, err
		}
		if mi < 0 || mi >= len(res.Maps) {
			return Fixup{}, fmt.Errorf("map index %d out of range", mi)
		}
		if off < 0 || off > 1<<31-1 {
			return Fixup{}, fmt.Errorf("map value offset %d out of range", off)
		}
		insns[at].Imm = 0
		insns[at+1].Imm = 0
		if kind == FixupMapValue {
			insns[at+1].Imm = int32(off)
		}
		return Fixup{Insn: at, Kind: kind, Map: res.Maps[mi], MapIndex: mi}, nil
	}
	switch r.Kind {
	case object.RelocMap:
		return mapRef(r.Map, 0, FixupMap)
	case object.RelocMapValue:
		return mapRef(r.Map, r.Offset, FixupMapValue)
	case object.RelocExtern, object.RelocKfunc:
		if r.Extern < 0 || r.Extern >= len(l.obj.Externs) {
			return Fixup{}, fmt.Errorf("extern index %d out of range", r.Extern)
		}
		e := l.obj.Externs[r.Extern]
		name := e.EssentialName
		if name == "" {
			name = e.Name
		}
		switch {
		case e.Kind == object.ExternKconfig:
			return mapRef(r.Map, r.Offset, FixupMapValue)
		case r.Kind == object.RelocKfunc:
			if !insns[at].IsCall() {
				return Fixup{}, fmt.Errorf("kfunc %s: expected a call", e.Name)
			}
			insns[at].Src, insns[at].Imm, insns[at].Off = asm.PseudoKfuncCall, 0, 0
			return Fixup{Insn: at, Kind: FixupKfunc, Name: name, BTFKind: btf.KindFunc, Weak: e.Weak}, nil
		case e.Typeless:
			if err := needLd(); err != nil {
				return Fixup{}, err
			}
			insns[at].Imm, insns[at+1].Imm = 0, 0
			return Fixup{Insn: at, Kind: FixupKsymAddr, Name: name, Weak: e.Weak}, nil
		default:
			if err := needLd(); err != nil {
				return Fixup{}, err
			}
			insns[at].Src, insns[at].Imm, insns[at+1].Imm = asm.PseudoBTFID, 0, 0
			kind := e.TargetKind
			if kind == 0 {
				kind = btf.KindVar
			}
			return Fixup{Insn: at, Kind: FixupKsymBTF, Name: name, BTFKind: kind, Weak: e.Weak}, nil
		}
	}
	return Fixup{}, fmt.Errorf("unexpected relocation kind %d", r.Kind)
}

// KfuncPoison is the helper id a call to a missing weak kfunc becomes: no
// helper has it, so the verifier accepts the program only if the call is
// dead code (guarded by bpf_ksym_exists), as libbpf arranges it too.
const KfuncPoison = 2002000000

// kernelProgName truncates a name to what the kernel keeps (15 bytes) and
// drops characters it refuses, as libbpf does.
func kernelProgName(name string) string {
	b := make([]byte, 0, 15)
	for i := 0; i < len(name) && len(b) < 15; i++ {
		c := name[i]
		if c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b = append(b, c)
		}
	}
	return string(b)
}
