package lskel

import (
	"encoding/binary"
	"errors"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Names the runtime gives its own kernel objects and steps.
const (
	blobMapName    = "bpfgen_blob"
	loaderProgName = "bpfgen_loader"
	loaderLicense  = "Dual BSD/GPL"

	// Steps the runtime performs itself, around the loader's own steps.
	stepCreateBlob = "create blob map"
	stepWriteBlob  = "write blob map"
	stepFreezeBlob = "freeze blob map"
	stepLoadLoader = "load loader program"
	stepRunLoader  = "run loader program"
	stepOwnFDs     = "take the loader's fds"

	defaultLogSize = 1 << 20
	maxCtxSize     = 1<<16 - 1 // BPF_PROG_TEST_RUN's limit on ctx_size_in
	maxLogSize     = 1<<30 - 1 // the kernel's limit is UINT_MAX >> 2
)

// ErrNoSyscallProgs is the error of running a loader on a kernel without
// sleepable syscall programs: loaders and light skeletons cannot run there,
// and the object has to be loaded directly.
var ErrNoSyscallProgs = errors.New("this kernel has no BPF_PROG_TYPE_SYSCALL programs with bpf_sys_bpf (Linux 5.14 brought them), which loaders and light skeletons run on; load the object directly instead")

// RunOptions tune one run of a loader. The zero value loads with the
// defaults recorded in the loader.
type RunOptions struct {
	// LogLevel is the verifier log level of the rerun that explains a
	// failure: a run that fails in a BTF or program load is run once more
	// with the log given to that load only, so that the error carries the
	// verifier's log. 0 means 1.
	LogLevel uint32
	// LogSize is the size of the log buffer; 0 means 1 MiB.
	LogSize int
	// MaxEntries overrides max_entries of maps by name (abi.MapDesc.Name).
	MaxEntries map[string]uint32
	// InitialValues replaces the initial value of global-data maps by name
	// (abi.MapDesc.Name); each value must be exactly ValueSize bytes.
	InitialValues map[string][]byte
	// AttachTargets gives each freplace program (by name, abi.ProgDesc.Name)
	// the loaded program whose function it replaces; every loaded
	// freplace program needs one.
	AttachTargets map[string]ProgTarget
	// FuncBTFID finds a function's BTF id in a loaded program, for
	// AttachTargets: pass FuncBTFID. It is required when the loader has
	// freplace programs; generated code passes it only for objects that
	// have some, so that only they link the BTF reader and the code that
	// fills in the targets.
	FuncBTFID TargetFinder
	// Kconfig fills the image of the .kconfig map (zeroed, ValueSize bytes)
	// from the running kernel's configuration. It is required when the
	// loader has kconfig externs; generated code passes the resolver so
	// that only objects with kconfig externs link it.
	Kconfig func(image []byte, vars []abi.KconfigVar) error
	// AttachProbe lets Program.Attach attach the programs of kprobe,
	// kretprobe, ksyscall, kretsyscall, kprobe.multi and uprobe sections:
	// pass a function that calls AttachProbe (with elfsym.SymbolOffset for
	// objects with uprobe sections). Generated code passes it only for
	// objects that have such sections, so that only they link the probe
	// code (and debug/elf).
	AttachProbe func(p *Program) (*Link, error)
	// StructOps is called with the context before the loader runs, for
	// loaders with struct_ops maps: pass a StructOpsContext's Prepare.
	// Generated code passes it only for objects with struct_ops maps;
	// without it such a loader refuses to load, since it cannot tell that
	// the kernel lays the structs out as assumed. The context holds the
	// struct_ops values once the run succeeded.
	StructOps func(l *abi.Loader, ctx []byte) error

	// presets are the fds of existing maps the run uses, by map index (0:
	// create the map); set by MapSharing.Run.
	presets []int32

	// Signed runs signed loaders (abi.Loader.Signed): pass Signed.
	// Generated code passes it only for signed skeletons, so that only
	// they link what signed loads need; without it a signed loader is
	// refused.
	Signed func()
	// KeyringID is the keyring the kernel checks a signed loader's
	// signature against: KeyringBuiltin (0, the default), 1 the secondary
	// and 2 the platform keyring, KeyringSession (-3) or another
	// KEY_SPEC_* id, or the serial of a key or keyring. Unsigned loaders
	// ignore it.
	KeyringID int32
	// Scheme chooses the signature scheme of a signed loader; SchemeAuto
	// tries the load-time scheme (v2) and then v1, so that the kernel's
	// own scheme verifies. Unsigned loaders ignore it.
	Scheme SigScheme
	// Unsigned loads a signed loader without its signature, which a
	// kernel that cannot verify signatures (EOPNOTSUPP) needs: the blob
	// stays exclusive to the loader and checked against the hash in its
	// instructions, but nothing vouches for the instructions. Without it
	// a signed loader loads only verified.
	Unsigned bool

	// Table runs table loaders (abi.Loader.Table): pass Table. Generated
	// code passes it only for table loaders, so that only they link
	// what those need.
	Table func()
}

// TargetFinder finds, on the machine that runs a loader, the functions
// its freplace programs replace: RunOptions.FuncBTFID takes FuncBTFID.
// It is an interface, reached only through that option, so that binaries
// whose objects have no freplace programs do not link the code.
type TargetFinder interface {
	// fillTargets writes the target descriptors of l's freplace
	// programs into the context ctx.
	fillTargets(l *abi.Loader, ctx []byte, targets map[string]ProgTarget) error
}

// FuncBTFID is the TargetFinder of RunOptions.FuncBTFID: it finds the
// replaced function's BTF id in the BTF of the loaded target program.
var FuncBTFID TargetFinder = progBTF{}

// progBTF finds functions in the BTF of loaded programs.
type progBTF struct{}

// ProgTarget is the function of a loaded program that an freplace program
// replaces.
type ProgTarget struct {
	FD int // the target program
	// Func is the function to replace; empty means ProgDesc.TargetFunc.
	Func string
}

// Result holds what a loader run created: its maps and programs, which it
// owns until Close. Closing one of them first (Map.Close, Program.Close)
// is fine: each closes its fd once.
type Result struct {
	maps   []*Map     // in the order of abi.Loader.Maps
	progs  []*Program // in the order of abi.Loader.Progs; nil if not loaded
	scheme SigScheme  // the scheme the kernel verified; SchemeAuto: none
}

// Verified returns the scheme whose signature the kernel verified when it
// loaded the loader, false when the loader was loaded unsigned.
func (r *Result) Verified() (SigScheme, bool) { return r.scheme, r.scheme != SchemeAuto }

// Map returns map i (in the order of abi.Loader.Maps) as the loader
// created it, with the max_entries it was created with.
func (r *Result) Map(i int) *Map { return r.maps[i] }

// Program returns program j (in the order of abi.Loader.Progs), or nil
// when it was not loaded (SEC("?...")).
func (r *Result) Program(j int) *Program { return r.progs[j] }

// NumMaps and NumPrograms are how many maps and programs the loader
// describes.
func (r *Result) NumMaps() int     { return len(r.maps) }
func (r *Result) NumPrograms() int { return len(r.progs) }

// Close closes every map and program of the result, programs first.
// Closing twice does nothing.
func (r *Result) Close() error {
	if r == nil {
		return nil
	}
	var first error
	for _, p := range r.progs {
		if err := p.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, m := range r.maps {
		if err := m.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// setAttachProbe gives every loaded program the probe attacher of
// RunOptions.AttachProbe.
func (r *Result) setAttachProbe(f func(*Program) (*Link, error)) {
	for _, p := range r.progs {
		if p != nil {
			p.attachProbe = f
		}
	}
}

// LoadError is the error of a failed load, by a loader or directly: the
// object, the step that failed and why (a *VerifierError, with the
// kernel's log, when a program or the BTF was refused).
type LoadError = kernel.LoadError

// VerifierError is a program or BTF the kernel refused, with its log.
type VerifierError = kernel.VerifierError

// failure is a failed loader run: the error, and what a rerun with a log
// needs to know about the failed step.
type failure struct {
	err    *LoadError
	errno  syscall.Errno
	step   uint32 // the failed step's number, when the loader ran
	logged bool   // the failed step can take the context's log
	log    string // the step's log, when this run gave it one
}

// Run runs loader l: it creates and freezes the blob map, loads the loader
// program, runs it once and returns the fds it created. It creates every
// map: to pin maps the object pins by name, reuse pinned ones or share
// maps, run with MapSharing.Run. The blob map and
// the loader program are always closed before Run returns; on failure no
// fd is left open.
func Run(l *abi.Loader, opts *RunOptions) (*Result, error) {
	if l == nil {
		return nil, errors.New("lskel.Run: nil loader")
	}
	if opts == nil {
		opts = &RunOptions{}
	}
	var so sigOpts
	if l.Signed {
		if opts.Signed == nil {
			return nil, fail(l, "signed: pass RunOptions.Signed")
		}
		opts.Signed()
		// Only lskel.Signed sets the hooks (both at once).
		if signedHooks.check == nil {
			return nil, fail(l, "signed: RunOptions.Signed must be lskel.Signed")
		}
		so = sigOpts{MaxEntries: len(opts.MaxEntries) > 0, InitialValues: len(opts.InitialValues) > 0, KeyringID: opts.KeyringID,
			Scheme: opts.Scheme, Unsigned: opts.Unsigned, LogLevel: opts.LogLevel, LogSize: opts.LogSize}
		if err := signedHooks.check(l, so); err != nil {
			return nil, err
		}
	}
	if opts.Table != nil {
		opts.Table()
	}
	ctx, err := buildCtx(l, opts)
	if err != nil {
		return nil, err
	}
	if opts.StructOps != nil {
		if err := opts.StructOps(l, ctx.buf); err != nil {
			return nil, err
		}
	}
	if err := kernel.RaiseMemlock(); err != nil {
		return nil, wrapErr("load "+strconv.Quote(l.Name), err)
	}
	blob, err := loaderHooks.blob(l)
	if err != nil {
		return nil, err
	}
	defer closeFD(blob)
	var prog int
	scheme := SchemeAuto
	if l.Signed {
		prog, scheme, err = signedHooks.load(l, blob, so)
	} else {
		prog, err = loaderHooks.load(l, blob, -1, opts.LogLevel, opts.LogSize)
	}
	if err != nil {
		return nil, err
	}
	defer closeFD(prog)

	res, f := runOnce(l, blob, prog, ctx, runLog{})
	// The verifier gives up with EAGAIN when a signal is pending (Go's
	// preemption signals; frequent under emulation): the failed run left
	// nothing behind, so run it again.
	for try := 0; f != nil && f.errno == syscall.EAGAIN && try < 5; try++ {
		res, f = runOnce(l, blob, prog, ctx, runLog{})
	}
	if f != nil && f.logged {
		// Rerun with a log for the failed step only: the failed run left
		// nothing behind, and no other load writes to the buffer, so what
		// it holds is that step's log whether or not the kernel reports
		// how much it wrote (log_true_size is not written back on every
		// kernel). The first run's step and errno stand (a log can change
		// the errno, e.g. ENOSPC when it does not fit); the log is the
		// second run's. A rerun that succeeds (the failure was transient)
		// stands as the result.
		rl := runLog{level: max(opts.LogLevel, 1), size: logSize(opts.LogSize), step: f.step}
		var f2 *failure
		if res, f2 = runOnce(l, blob, prog, ctx, rl); f2 == nil {
			f = nil
		} else {
			log := ""
			if f2.step == f.step {
				log = f2.log
			}
			f.err.Err = &VerifierError{Errno: f.errno, Log: log}
		}
	}
	if f != nil {
		return nil, f.err
	}
	res.setAttachProbe(opts.AttachProbe)
	res.scheme = scheme
	return res, nil
}

// stepErr is the error of the runtime's own step of running l. Not
// inlined: one call is smaller than building the error at each site,
// which keeps the runtime small.
//
//go:noinline
func stepErr(l *abi.Loader, step string, err error) *LoadError {
	return &LoadError{Object: l.Name, Step: step, Err: err}
}

// runLog says which step of a run gets a log, of which level and size.
type runLog struct {
	level uint32 // 0: no log
	size  int
	step  uint32
}

// fail builds an error about loading l; one place for the message keeps
// the runtime small.
func fail(l *abi.Loader, msg string) error {
	return errors.New("load " + strconv.Quote(l.Name) + ": " + msg)
}

// runCtx is the context buffer plus the memory its pointers refer to.
type runCtx struct {
	buf  []byte
	keep [][]byte
}

// buildCtx lays out the parts of the context that do not change between
// runs: the map descriptors' inputs. The pointers it stores stay valid as
// long as opts and the kconfig image are reachable; runOnce keeps them
// alive.
func buildCtx(l *abi.Loader, opts *RunOptions) (*runCtx, error) {
	nm, np, size := len(l.Maps), len(l.Progs), l.CtxSize()
	if size > maxCtxSize {
		return nil, fail(l, strconv.Itoa(nm)+" maps and "+
			strconv.Itoa(np)+" programs make a context larger than the kernel's 64 KiB")
	}
	if len(l.Kconfig) > 0 && (l.KconfigMap < 0 || l.KconfigMap >= nm) {
		return nil, fail(l, "kconfig externs but no .kconfig map (index "+
			strconv.Itoa(l.KconfigMap)+")")
	}
	c := &runCtx{buf: make([]byte, size)}
	ne := binary.NativeEndian
	for name := range opts.MaxEntries {
		if mapIndex(l, name) < 0 {
			return nil, fail(l, "MaxEntries: no map "+strconv.Quote(name))
		}
	}
	for name := range opts.InitialValues {
		if mapIndex(l, name) < 0 {
			return nil, fail(l, "InitialValues: no map "+strconv.Quote(name))
		}
	}
	if l.NumTargets() > 0 || len(opts.AttachTargets) > 0 {
		if opts.FuncBTFID == nil {
			return nil, fail(l, "freplace programs and AttachTargets need RunOptions.FuncBTFID")
		}
		if err := opts.FuncBTFID.fillTargets(l, c.buf, opts.AttachTargets); err != nil {
			return nil, err
		}
	}
	for i := range l.Maps {
		m := &l.Maps[i]
		off := abi.MapDescOff(i)
		entries, ok := opts.MaxEntries[m.Name]
		if !ok && m.MaxEntriesFromCPUs {
			n, err := kernel.PossibleCPUs()
			if err != nil {
				return nil, wrapErr("load "+strconv.Quote(l.Name)+": map "+m.Name, err)
			}
			entries = uint32(n)
		}
		ne.PutUint32(c.buf[off+abi.MapDescMaxEntriesOff:], entries)
		if opts.presets != nil {
			ne.PutUint32(c.buf[off+abi.MapDescFDOff:], uint32(opts.presets[i]))
		}
		var val []byte
		if v, ok := opts.InitialValues[m.Name]; ok {
			if !m.HasInitialValue {
				return nil, fail(l, "map "+m.Name+" takes no initial value")
			}
			if len(v) != int(m.ValueSize) {
				return nil, fail(l, "initial value of map "+m.Name+": "+
					strconv.Itoa(len(v))+" bytes, want "+strconv.FormatUint(uint64(m.ValueSize), 10))
			}
			val = v
		}
		if i == l.KconfigMap && len(l.Kconfig) > 0 && val == nil {
			if opts.Kconfig == nil {
				return nil, fail(l, "object has kconfig externs: pass RunOptions.Kconfig")
			}
			img := make([]byte, m.ValueSize)
			if err := opts.Kconfig(img, l.Kconfig); err != nil {
				return nil, wrapErr("load "+strconv.Quote(l.Name)+": kconfig", err)
			}
			val = img
		}
		if len(val) > 0 {
			c.keep = append(c.keep, val)
			ne.PutUint64(c.buf[off+abi.MapDescInitValueOff:], uint64(uintptr(unsafe.Pointer(&val[0]))))
		}
	}
	return c, nil
}

// fillTargets writes the target descriptor of each freplace program: the
// target's fd and the BTF id of the replaced function in it, found in the
// target's BTF here, on the machine that runs the loader.
func (progBTF) fillTargets(l *abi.Loader, ctx []byte, targets map[string]ProgTarget) error {
	for name := range targets {
		if j := progIndex(l, name); j < 0 || l.Progs[j].TargetFunc == "" {
			return fail(l, "AttachTargets: no freplace program "+strconv.Quote(name))
		}
	}
	k := 0
	for _, p := range l.Progs {
		if p.TargetFunc == "" {
			continue
		}
		off := abi.TargetDescOff(len(l.Maps), len(l.Progs), k)
		k++
		if !p.Loaded {
			continue
		}
		t, ok := targets[p.Name]
		if !ok {
			return fail(l, "freplace program "+p.Name+": no program to replace "+p.TargetFunc+" in: pass RunOptions.AttachTargets["+strconv.Quote(p.Name)+"]")
		}
		fn := t.Func
		if fn == "" {
			fn = p.TargetFunc
		}
		id, err := kernel.ProgFuncBTFID(t.FD, fn)
		if err != nil {
			return wrapErr("load "+strconv.Quote(l.Name)+": target of freplace program "+p.Name, err)
		}
		binary.NativeEndian.PutUint32(ctx[off+abi.TargetDescFDOff:], uint32(t.FD))
		binary.NativeEndian.PutUint32(ctx[off+abi.TargetDescBTFIDOff:], id)
	}
	return nil
}

// progIndex is the index of the program name in l.Progs, -1 if none.
func progIndex(l *abi.Loader, name string) int {
	for j := range l.Progs {
		if l.Progs[j].Name == name {
			return j
		}
	}
	return -1
}

// mapIndex is the index of the map name in l.Maps, -1 if none.
func mapIndex(l *abi.Loader, name string) int {
	for i := range l.Maps {
		if l.Maps[i].Name == name {
			return i
		}
	}
	return -1
}

// createBlob creates the loader's blob map, writes the blob and freezes
// it: the loader program reads it and nothing may change it.
func createBlob(l *abi.Loader) (int, error) {
	if len(l.Data) == 0 || uint64(len(l.Data)) > 1<<31 {
		return -1, fail(l, "loader blob has bad size "+strconv.Itoa(len(l.Data)))
	}
	a := &kernel.MapCreateAttr{Type: mapTypeArray, KeySize: 4, ValueSize: uint32(len(l.Data)), MaxEntries: 1, Name: blobMapName}
	if l.Signed {
		// Only the loader (the program with these instructions) may
		// use the blob.
		a.ExclProgHash = l.InsnsHash
	}
	fd, err := kernel.MapCreate(a)
	if err != nil {
		return -1, stepErr(l, stepCreateBlob, err)
	}
	var key [4]byte
	if err := kernel.MapUpdateElem(fd, key[:], l.Data, 0); err != nil {
		closeFD(fd)
		return -1, stepErr(l, stepWriteBlob, err)
	}
	if err := kernel.MapFreeze(fd); err != nil {
		closeFD(fd)
		return -1, stepErr(l, stepFreezeBlob, err)
	}
	return fd, nil
}

// loadLoader loads the loader program, with the blob map as its only
// fd_array entry.
// btf, when not -1, is the table loader's BTF (abi.Loader.LoaderBTF):
// the program gets its func_info.
func loadLoader(l *abi.Loader, blob, btf int, logLevel uint32, logSz int) (int, error) {
	// A table loader comes here with its BTF only through Table.
	if len(l.Insns) == 0 || len(l.Insns)%8 != 0 || l.Table && btf < 0 {
		return -1, fail(l, "loader program of "+strconv.Itoa(len(l.Insns))+" bytes (a table loader runs with RunOptions.Table)")
	}
	p := loaderAttr(l, blob)
	if btf >= 0 {
		p.BTFFD, p.FuncInfoRecSize, p.FuncInfo = uint32(btf), 8, l.LoaderFuncInfo
	}
	// The loader is loaded without a log (a large loader's log could
	// overflow the buffer and fail the load with ENOSPC); only a failure is
	// retried with a log, to explain it.
	fd, _, err := kernel.ProgLoad(p)
	if err != nil {
		p.LogLevel = max(logLevel, 1)
		p.LogBuf = make([]byte, logSize(logSz))
		fd2, _, err2 := kernel.ProgLoad(p)
		if err2 == nil {
			return fd2, nil
		}
		if !kernel.HaveSyscallProgs() {
			return -1, wrapErr("load "+strconv.Quote(l.Name), ErrNoSyscallProgs)
		}
		return -1, stepErr(l, stepLoadLoader, &VerifierError{Errno: kernel.ErrnoOf(err), Log: kernel.CString(p.LogBuf)})
	}
	return fd, nil
}

// loaderAttr is the BPF_PROG_LOAD attr of the loader program, with the
// blob map as its only fd_array entry.
func loaderAttr(l *abi.Loader, blob int) *kernel.ProgLoadAttr {
	return &kernel.ProgLoadAttr{
		Type:    progTypeSyscall,
		Flags:   progFlagSleepable,
		Insns:   l.Insns,
		License: loaderLicense,
		Name:    loaderProgName,
		FDArray: []int32{int32(blob)},
	}
}

// logSize is the log buffer size for a requested size n.
func logSize(n int) int {
	if n <= 0 {
		return defaultLogSize
	}
	if n > maxLogSize {
		return maxLogSize
	}
	return n
}

// runOnce runs the loader with the given log settings and reads back the
// fds it created.
func runOnce(l *abi.Loader, blob, prog int, c *runCtx, rl runLog) (*Result, *failure) {
	ne := binary.NativeEndian
	ctx := c.buf
	// Reset the outputs of a previous run. Only a successful run, which
	// is not run again, writes fds (a map descriptor's fd holds the input
	// buildCtx wrote until then).
	ne.PutUint32(ctx[abi.CtxSizeOff:], uint32(len(ctx)))
	ne.PutUint32(ctx[abi.CtxStepOff:], 0)
	var logBuf []byte
	var logPtr uint64
	logStep := uint32(noLogStep)
	if rl.level != 0 {
		logBuf = make([]byte, rl.size)
		logPtr = uint64(uintptr(unsafe.Pointer(&logBuf[0])))
		logStep = rl.step
	}
	ne.PutUint32(ctx[abi.CtxLogLevelOff:], rl.level)
	ne.PutUint32(ctx[abi.CtxLogSizeOff:], uint32(len(logBuf)))
	ne.PutUint64(ctx[abi.CtxLogBufOff:], logPtr)
	ne.PutUint32(ctx[abi.CtxLogStepOff:], logStep)
	r, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: prog, CtxIn: ctx})
	retval := r.Retval
	runtime.KeepAlive(logBuf)
	runtime.KeepAlive(c)
	if err != nil {
		// The loader did not run (or the kernel refused the context):
		// it created nothing.
		return nil, &failure{err: stepErr(l, stepRunLoader, err), errno: kernel.ErrnoOf(err)}
	}
	if rv := int32(retval); rv != 0 {
		// The loader has closed what it created: the fd numbers in the
		// context are not ours any more (and may already be reused), so
		// they are not closed here.
		errno := syscall.Errno(-rv)
		if rv > 0 {
			errno = syscall.EINVAL
		}
		step := ne.Uint32(ctx[abi.CtxStepOff:])
		name := "step " + strconv.FormatUint(uint64(step), 10)
		if int(step) < len(l.Steps) {
			name = l.Steps[step]
		}
		f := &failure{err: stepErr(l, name, errno), errno: errno, step: step, logged: l.TakesLog(step)}
		if f.logged && logBuf != nil && rl.step == step {
			f.log = kernel.CString(logBuf)
		}
		return nil, f
	}
	res, err := loaderHooks.own(l, blob, ctx)
	if err != nil {
		return nil, &failure{err: stepErr(l, stepOwnFDs, err), errno: kernel.ErrnoOf(err)}
	}
	return res, nil
}

// own takes ownership of the fds a successful run wrote into the context.
// If one cannot be owned, every fd of the run is closed: all are wrapped
// first (newMap and newProgram close the fd they fail on), then closed.
func own(l *abi.Loader, _ int, ctx []byte) (*Result, error) {
	ne := binary.NativeEndian
	res := &Result{maps: make([]*Map, len(l.Maps)), progs: make([]*Program, len(l.Progs))}
	var first, err error
	for i := range l.Maps {
		d, off := &l.Maps[i], abi.MapDescOff(i)
		entries := ne.Uint32(ctx[off+abi.MapDescMaxEntriesOff:])
		if entries == 0 {
			entries = d.MaxEntries
		}
		if res.maps[i], err = newMap(fdOut(ne.Uint32(ctx[off+abi.MapDescFDOff:])), d.KeySize, d.ValueSize, entries, d.Type); first == nil {
			first = err
		}
	}
	for j := range l.Progs {
		if fd := fdOut(ne.Uint32(ctx[abi.ProgDescOff(len(l.Maps), j):])); fd >= 0 {
			if res.progs[j], err = newProgram(fd, &l.Progs[j]); first == nil {
				first = err
			}
		}
	}
	if first != nil {
		res.Close()
		return nil, first
	}
	return res, nil
}

// loaderHooks are the steps of a run that Table replaces with ones that
// also run table loaders.
var loaderHooks = struct {
	blob func(l *abi.Loader) (int, error)
	load func(l *abi.Loader, blob, btf int, logLevel uint32, logSize int) (int, error)
	own  func(l *abi.Loader, blob int, ctx []byte) (*Result, error)
}{createBlob, loadLoader, own}

// noLogStep is a step number no loader has: no load gets the log.
const noLogStep = 1<<32 - 1

// fdOut turns a descriptor's fd into an int; 0 means "none".
func fdOut(v uint32) int {
	if v == 0 || v > 1<<31-1 {
		return -1
	}
	return int(v)
}
