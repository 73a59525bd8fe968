package skeleton

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

// kernelOrSkip skips (or fails under CI) where this process cannot reach
// BPF, and skips on kernels that cannot run loaders.
func kernelOrSkip(t *testing.T) {
	t.Helper()
	testutil.RequireLoaders(t)
}

// e2eCase is one testdata object: a driver (package main, beside the
// generated skeleton) and the exact output it must print.
type e2eCase struct {
	name   string
	driver string
	want   string
}

// e2eAlso lists, for a case, other objects whose skeletons its driver
// uses too.
var e2eAlso = map[string][]string{"freplace": {"freplace_target"}, "pinned": {"minimal"}}

// e2eHelpers is a package every driver imports: a BPF_PROG_TEST_RUN
// wrapper and error helpers.
const e2eHelpers = `package h

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Run runs a program once with BPF_PROG_TEST_RUN and returns its retval.
func Run(fd int, data []byte) uint32 {
	var attr [80]byte
	*(*uint32)(unsafe.Pointer(&attr[0])) = uint32(fd)
	if len(data) > 0 {
		*(*uint32)(unsafe.Pointer(&attr[8])) = uint32(len(data))
		*(*uint64)(unsafe.Pointer(&attr[16])) = uint64(uintptr(unsafe.Pointer(&data[0])))
	}
	_, _, e := unix.Syscall(unix.SYS_BPF, 10, uintptr(unsafe.Pointer(&attr[0])), 80)
	runtime.KeepAlive(data)
	if e != 0 {
		Must(fmt.Errorf("test run of fd %d: %w", fd, e))
	}
	return *(*uint32)(unsafe.Pointer(&attr[4]))
}

// Packet is a zeroed Ethernet-sized packet for skb and XDP programs.
func Packet() []byte { return make([]byte, 64) }

// Must exits on an error.
func Must(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// Errno returns the errno an error wraps, or 0.
func Errno(err error) unix.Errno {
	var e unix.Errno
	for err != nil {
		if x, ok := err.(unix.Errno); ok {
			return x
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return e
		}
		err = u.Unwrap()
	}
	return e
}
`

var e2eCases = []e2eCase{
	{"minimal", `
	pid := os.Getpid()
	opts := NewMinimalOptions()
	opts.Rodata.FilterPid = uint32(pid)
	objs, err := LoadMinimal(opts)
	h.Must(err)
	h.Must(objs.Attach())
	for range 3 {
		syscall.Getpid()
	}
	n, err := objs.Counts.Lookup(uint32(pid))
	h.Must(err)
	fmt.Println("calls", objs.BSS.Calls, "counts", n, "rodata", objs.Rodata.FilterPid == uint32(pid))
	keys := 0
	for k, err := range objs.Counts.Keys() {
		h.Must(err)
		if k == uint32(pid) {
			keys++
		}
	}
	fmt.Println("keys", keys)
	// One owner per fd: closing a map first, then the objects, must not
	// close the map's number again once another file holds it.
	null, err := os.Open("/dev/null")
	h.Must(err)
	countsFD := objs.Counts.FD()
	h.Must(objs.Counts.Close())
	h.Must(syscall.Dup3(int(null.Fd()), countsFD, syscall.O_CLOEXEC))
	h.Must(objs.Close())
	h.Must(objs.Close())
	var st syscall.Stat_t
	fmt.Println("closed", objs.BSS == nil, objs.HandleGetpid.FD(), objs.HandleGetpid.Link == nil, "reused fd kept", syscall.Fstat(countsFD, &st) == nil)
`, "calls 3 counts 3 rodata true\nkeys 1\nclosed true -1 true reused fd kept true\n"},

	{"pinned", `
	pid := uint32(os.Getpid())
	dir := os.Getenv("BPFGEN_PIN_DIR")
	opts := NewPinnedOptions()
	opts.Rodata.FilterPid = pid
	opts.Share = &lskel.MapSharing{PinPath: dir}
	a, err := LoadPinned(opts)
	h.Must(err)
	defer a.Close()
	h.Must(a.PinHits.Update(0, 40, lskel.UpdateAny))
	// A second skeleton takes the map a pinned by name.
	b, err := LoadPinned(opts)
	h.Must(err)
	v, err := b.PinHits.Lookup(0)
	h.Must(err)
	fmt.Println("shared", v)
	h.Must(b.Attach())
	for range 2 {
		syscall.Getpid()
	}
	h.Must(b.Close())
	v, err = a.PinHits.Lookup(0)
	h.Must(err)
	fmt.Println("counted through the other", v)

	// ReplaceMaps: a skeleton of another object uses minimal's counts.
	mopts := NewMinimalOptions()
	mopts.Rodata.FilterPid = pid
	m, err := LoadMinimal(mopts)
	h.Must(err)
	defer m.Close()
	c, err := LoadPinned(&PinnedOptions{Rodata: opts.Rodata, Share: &lskel.MapSharing{PinPath: dir, ReplaceMaps: map[string]*lskel.Map{"counts": m.Counts.Map}}})
	h.Must(err)
	h.Must(m.Attach())
	h.Must(c.Attach())
	for range 3 {
		syscall.Getpid()
	}
	n, err := m.Counts.Lookup(pid)
	h.Must(err)
	fmt.Println("minimal calls", m.BSS.Calls, "shared counts", n)

	// Pinned links keep counting after Close.
	h.Must(c.PinLinks(dir))
	h.Must(c.Close())
	syscall.Getpid()
	v, err = a.PinHits.Lookup(0)
	h.Must(err)
	fmt.Println("after close", v)
	h.Must(os.Remove(dir + "/count_pinned"))
`, "shared 40\ncounted through the other 42\nminimal calls 3 shared counts 6\nafter close 46\n"},

	{"globals", `
	opts := NewGlobalsOptions()
	fmt.Println("defaults", opts.Rodata.Cfg.A, opts.Rodata.RoBits.Y(), opts.Rodata.RoColor == GlobalsColorGreen, opts.Data.DataVar)
	opts.Rodata.Cfg.A = 9
	opts.Rodata.RoBits.SetY(3)
	objs, err := LoadGlobals(opts)
	h.Must(err)
	defer objs.Close()
	r := objs.Rodata
	fmt.Printf("rodata a=%d b=%#x name=%s arr=%v color=%d bits=%d,%d,%#x nested=%d,%#x,%#x/%#x custom=%#x\n",
		r.Cfg.A, r.Cfg.B, strings.TrimRight(string(r.Cfg.Name[:]), "\x00"), r.RoArr, r.RoColor, r.RoBits.X(), r.RoBits.Y(), r.RoBits.Z(),
		r.RoNested.Kind, *r.RoNested.U.AsWord(), r.RoNested.U.AsHalf().Hi, r.RoNested.U.AsHalf().Lo, objs.RodataCustom.CustomRo)
	fmt.Println("ret", h.Run(objs.ReadGlobals.FD(), nil))
	b := objs.BSS
	fmt.Printf("bss a=%d b=%#x name=%s arr=%d color=%d bits=%d,%d,%#x nested=%d,%#x data=%d,%d custom=%#x,%#x runs=%d\n",
		b.OutA, b.OutB, strings.TrimRight(string(b.OutName[:]), "\x00"), b.OutArrSum, b.OutColor, b.OutBitsX, b.OutBitsY, b.OutBitsZ,
		b.OutNestedKind, b.OutNestedWord, b.OutDataVar, b.OutDataArrSum, b.OutCustomData, b.OutCustomRo, b.Runs)
	fmt.Println("data", objs.Data.DataVar, objs.DataCustom.CustomData-0xdeadbeef)
	objs.Data.DataVar = 100 // through the mapping, into the kernel's copy
	h.Run(objs.ReadGlobals.FD(), nil)
	fmt.Println("again", b.OutDataVar, objs.Data.DataVar, b.Runs)
`, "defaults 7 17 true 42\n" +
		"rodata a=9 b=0x1122334455667788 name=bpfgen arr=[1 2 3 4] color=2 bits=5,3,0xabcdef nested=3,0x56781234,0x5678/0x1234 custom=0xcafe\n" +
		"ret 0\n" +
		"bss a=9 b=0x1122334455667788 name=bpfgen arr=10 color=2 bits=5,3,0xabcdef nested=3,0x56781234 data=42,300 custom=0xdeadbeef,0xcafe runs=1\n" +
		"data 43 1\n" +
		"again 100 101 2\n"},

	{"maps", `
	pid := os.Getpid()
	opts := NewMapsOptions()
	opts.Rodata.TargetPid = uint32(pid)
	opts.MaxEntries = map[string]uint32{"hash": 64}
	opts.Share = &lskel.MapSharing{PinPath: os.Getenv("BPFGEN_PIN_DIR")}
	objs, err := LoadMaps(opts)
	h.Must(err)
	defer objs.Close()
	fmt.Println("hash max_entries", objs.Hash.MaxEntries())
	rb, err := lskel.NewRingBuf(objs.Events)
	h.Must(err)
	defer rb.Close()
	h.Must(objs.Attach())
	runtime.LockOSThread()
	for range 2 {
		syscall.Getpid()
	}
	for _, p := range []*MapsProgram{objs.CountSyscalls, objs.OnGetpid} {
		h.Must(p.Link.Close())
	}
	nr := uint32(unix.SYS_GETPID)
	hv, err := objs.Hash.Lookup(nr)
	h.Must(err)
	pcv, err := objs.PcpuHash.Lookup(nr)
	h.Must(err)
	var pcsum uint64
	for _, v := range pcv {
		pcsum += v
	}
	a0, err := objs.Array.Lookup(0)
	h.Must(err)
	pa, err := objs.PcpuArray.Lookup(0)
	h.Must(err)
	var pasum uint64
	for _, v := range pa {
		pasum += v
	}
	lru, err := objs.Lru.Lookup(uint32(pid))
	h.Must(err)
	pinned, err := objs.PinnedMap.Lookup(0)
	h.Must(err)
	var sized [8]byte
	h.Must(objs.SizedArray.Lookup(make([]byte, 4), sized[:]))
	fmt.Println("seq", objs.BSS.GetpidSeq, "hash", hv >= 2, "pcpu_hash", pcsum >= 2, "array", a0 >= 2, "pcpu_array", pasum >= 2, "sized", sized[0] >= 2, "lru", lru, "pinned", pinned)
	for i := range 2 {
		rec, err := rb.ReadTimeout(time.Second)
		h.Must(err)
		ev := (*struct{ Tgid, Pid uint32; Seq uint64 })(unsafe.Pointer(&rec[0]))
		fmt.Println("event", i, ev.Tgid == uint32(pid), ev.Seq)
	}
	_, err = objs.Hash.Lookup(12345)
	fmt.Println("missing", errors.Is(err, lskel.ErrKeyNotExist))
	h.Must(objs.Hash.Update(12345, 7, lskel.UpdateNoExist))
	v, err := objs.Hash.Lookup(12345)
	h.Must(err)
	h.Must(objs.Hash.Delete(12345))
	fmt.Println("update", v)
`, "hash max_entries 64\nseq 2 hash true pcpu_hash true array true pcpu_array true sized true lru 2 pinned 2\nevent 0 true 1\nevent 1 true 2\nmissing true\nupdate 7\n"},

	{"subprogs", `
	objs, err := LoadSubprogs(nil)
	h.Must(err)
	defer objs.Close()
	fmt.Println(h.Run(objs.ProgA.FD(), nil), h.Run(objs.ProgB.FD(), nil), h.Run(objs.Callbacks.FD(), nil))
	b := objs.BSS
	fmt.Println(b.ResA, b.ResB, b.LoopSum, b.LoopIters, b.EachSum, b.EachCount)
	var vals [4]uint64
	h.Must(objs.Vals.Iterate(func(k uint32, v uint64) bool { vals[k] = v; return true }))
	fmt.Println(vals)
`, "28 199 0\n28 199 285 10 100 4\n[10 20 30 40]\n"},

	{"core", `
	pid := os.Getpid()
	opts := NewCoreOptions()
	opts.Rodata.TargetPid = uint32(pid)
	objs, err := LoadCore(opts)
	h.Must(err)
	defer objs.Close()
	h.Run(objs.CoreConsts.FD(), nil)
	b := objs.BSS
	fmt.Println(b.FieldPidExists, b.FieldMissingExists, b.TypeTaskExists, b.TypeMissingExists, b.CommSize, b.EnumRingbuf, b.EnumRingbufExists, b.EnumMissingExists, b.ConstRuns)
	h.Must(objs.Attach())
	syscall.Getpid()
	// The Go runtime's own threads call getpid too (to signal each other),
	// so the last caller is one of this process's threads, not always
	// this one.
	_, err = os.Stat(fmt.Sprintf("/proc/self/task/%d", b.OutPid))
	fmt.Println(err == nil, b.OutTgid == int32(pid), b.OutParentTgid == int32(os.Getppid()), b.OutComm[0] != 0, b.TpRuns >= 1)
`, "1 0 1 0 16 27 1 0 1\ntrue true true true true\n"},

	{"kconfig", `
	objs, err := LoadKconfig(nil)
	h.Must(err)
	defer objs.Close()
	h.Run(objs.ReadKconfig.FD(), nil)
	b, k := objs.BSS, objs.Kconfig
	fmt.Println(b.BpfSyscall, b.Cubic, b.Ipv6, objs.Data.Missing, b.Runs, b.Hz == k.ConfigHz && b.Hz > 0, b.KernelVersion == k.LinuxKernelVersion && b.KernelVersion > 0)
	fmt.Println(k.ConfigBpfSyscall, k.ConfigTcpCongCubic == KconfigLibbpfTristateTriYes, k.ConfigBpfgenDoesNotExist, b.Hostname == k.ConfigDefaultHostname)
`, "1 1 1 0 1 true true\ntrue true 0 true\n"},

	{"ksyms", `
	pid := os.Getpid()
	objs, err := LoadKsyms(nil)
	h.Must(err)
	defer objs.Close()
	h.Run(objs.UseKsyms.FD(), nil)
	b := objs.BSS
	fmt.Println(b.LookedUp == int32(pid), b.FoundPid == int32(pid), b.FoundTgid == int32(pid), b.TaskFound, b.KfuncExists, objs.Data.MissingKfuncExists, b.ProgPutAddr != 0, objs.Data.MissingAddr, b.Runs)
`, "true true true 1 1 0 true 0 1\n"},

	{"flavour", `
	objs, err := LoadFlavour(nil)
	h.Must(err)
	defer objs.Close()
	h.Run(objs.CallFlavoured.FD(), nil)
	fmt.Println(objs.BSS.FlavourExists, objs.BSS.FlavourPid == int32(os.Getpid()), objs.Data.PlainMissing)
`, "1 true 0\n"},

	{"legacy", `
	objs, err := LoadLegacy(nil)
	h.Must(err)
	defer objs.Close()
	_, _, err = objs.BumpLegacy.Test(nil, nil)
	h.Must(err)
	var v uint64
	key := uint32(1)
	h.Must(objs.LegacyCounts.Lookup(unsafe.Slice((*byte)(unsafe.Pointer(&key)), 4), unsafe.Slice((*byte)(unsafe.Pointer(&v)), 8)))
	fmt.Println(v, objs.BSS.Runs)
`, "5 1\n"},

	{"mapinmap", `
	objs, err := LoadMapinmap(nil)
	h.Must(err)
	defer objs.Close()
	b := objs.BSS
	fmt.Println(h.Run(objs.MimLookup.FD(), h.Packet()), b.MimFound, b.HashInnerVal)
	// The inner map of slot 0, opened through the outer map, is inner1.
	inner, err := objs.OuterArr.Inner(0)
	h.Must(err)
	v, err := lskel.TypedMap[uint32, uint64]{Map: inner}.Lookup(0)
	h.Must(err)
	h.Must(inner.Close())
	_, err = objs.OuterArr.Inner(1)
	fmt.Println("inner", v, h.Errno(err))
	// Filling the empty slot 1 makes mim_lookup find it (bit 2); the
	// typed test run takes its xdp_md (data_end: the packet's length).
	h.Must(objs.OuterArr.SetInner(1, objs.Inner2.Map, lskel.UpdateAny))
	ret, out, err := objs.MimLookup.RunXdpMd(&MapinmapXdpMd{DataEnd: 64}, h.Packet())
	h.Must(err)
	fmt.Println(ret, len(out), b.MimFound)
	fmt.Println(h.Run(objs.TailEntry.FD(), h.Packet()), b.Path)
	b.TailSlot = 1
	fmt.Println(h.Run(objs.TailEntry.FD(), h.Packet()), b.Path, b.EntryRuns, b.TailRuns)
`, "2 13 222\ninner 111 no such file or directory\n2 64 15\n1 3\n2 5 2 1\n"},

	{"readers", `
	pid := os.Getpid()
	opts := NewReadersOptions()
	opts.Rodata.FilterPid = uint32(pid)
	objs, err := LoadReaders(opts)
	h.Must(err)
	defer objs.Close()
	rb, err := objs.Events.Reader()
	h.Must(err)
	pr, err := objs.Samples.Reader(nil)
	h.Must(err)
	h.Must(objs.Attach())
	for range 3 {
		syscall.Getpid()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last uint64
	for i := range 3 {
		ev, err := rb.Read(ctx)
		h.Must(err)
		ordered := ev.Pid == uint32(pid) && ev.Seq > last
		last = ev.Seq
		s, err := pr.Read(ctx)
		h.Must(err)
		fmt.Println("event", i, ordered, s.Value.Pid == uint32(pid), s.Value.Cpu == uint32(s.CPU), s.LostSamples)
	}
	// The Go runtime may call getpid(2) too: drain what it made, until a
	// deadline ends the read.
	drained := func(read func(context.Context) error) bool {
		for {
			dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			err := read(dctx)
			dcancel()
			if err != nil {
				return errors.Is(err, context.DeadlineExceeded)
			}
		}
	}
	fmt.Println("drained", drained(func(c context.Context) error { _, err := rb.Read(c); return err }),
		drained(func(c context.Context) error { _, err := pr.Read(c); return err }))
	// Close ends a blocked read.
	errc := make(chan error)
	go func() {
		for {
			if _, err := pr.Read(context.Background()); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	h.Must(pr.Close())
	fmt.Println("closed", errors.Is(<-errc, lskel.ErrClosed))
	h.Must(rb.Close())

	// A typed test run of the syscall program, then the map it filled, in
	// batches.
	for _, a := range []uint32{5, 1, 9} {
		args := ReadersSumArgs{A: a, B: 3}
		ret, _, err := objs.Sum.RunSumArgs(&args, nil)
		h.Must(err)
		fmt.Println("sum", a, args.Sum, ret)
	}
	keys, vals := make([]uint32, 8), make([]uint64, 8)
	var c lskel.BatchCursor
	n, err := objs.Totals.LookupBatch(&c, keys, vals)
	h.Must(err)
	total := uint64(0)
	for i := range n {
		total += vals[i]
	}
	fmt.Println("batch", n, c.Done(), total)
	n, err = objs.Totals.DeleteBatch(keys[:n])
	fmt.Println("deleted", n, err)
`, "event 0 true true true 0\nevent 1 true true true 0\nevent 2 true true true 0\ndrained true true\nclosed true\n" +
		"sum 5 8 1\nsum 1 4 0\nsum 9 12 1\nbatch 3 true 24\ndeleted 3 <nil>\n"},

	{"iter", `
	pid := os.Getpid()
	objs, err := LoadIter(nil)
	h.Must(err)
	defer objs.Close()
	h.Must(objs.Attach())
	r, err := objs.DumpTask.Link.OpenIter()
	h.Must(err)
	out, err := io.ReadAll(r)
	h.Must(err)
	h.Must(r.Close())
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	self := false
	for _, l := range lines[1:] {
		self = self || strings.HasPrefix(l, fmt.Sprintf("%d %d ", pid, pid))
	}
	fmt.Println(lines[0], self, objs.BSS.Tasks == uint64(len(lines)-1))
`, "tgid pid comm true true\n"},

	{"progtypes", `
	objs, err := LoadProgtypes(nil)
	h.Must(err)
	defer objs.Close()
	fmt.Println(h.Run(objs.XdpProg.FD(), h.Packet()), h.Run(objs.TcProg.FD(), h.Packet()), h.Run(objs.SocketProg.FD(), h.Packet()), h.Run(objs.CgskbProg.FD(), h.Packet()), h.Run(objs.SyscallProg.FD(), nil))
	b := objs.BSS
	fmt.Println(b.XdpRuns, b.TcRuns, b.SocketRuns, b.CgskbRuns, b.SyscallRuns, objs.NotAutoload.FD())
	h.Must(objs.Attach())
	for i := 0; i < 100 && (b.TpbtfRuns == 0 || b.RawtpRuns == 0); i++ {
		time.Sleep(10 * time.Millisecond)
		syscall.Getpid()
	}
	fmt.Println(b.TpbtfRuns > 0, b.RawtpRuns > 0, objs.TpbtfProg.Link != nil, objs.NotAutoload.Link == nil)
	l, err := objs.XdpProg.AttachXDP(1, lskel.XDPFlagsSKBMode)
	h.Must(err)
	h.Must(l.Close())
	fmt.Println("xdp on lo")
`, "2 0 0 1 42\n1 1 1 1 1 -1\ntrue true true true\nxdp on lo\n"},

	{"many", `
	objs, err := LoadMany(nil)
	h.Must(err)
	defer objs.Close()
	progs := reflect.ValueOf(objs.ManyPrograms)
	ok := 0
	for i := 0; i < progs.NumField(); i++ {
		p := progs.Field(i).Interface().(*ManyProgram)
		if h.Run(p.FD(), nil) == uint32(3*i+1) {
			ok++
		}
	}
	m0, err := objs.Map00.Lookup(0)
	h.Must(err)
	m25, err := objs.Map25.Lookup(0)
	h.Must(err)
	fmt.Println(progs.NumField(), ok, m0, m25)
`, "100 100 241 76\n"},

	{"trampoline", `
	objs, err := LoadTrampoline(nil)
	if e := h.Errno(err); e == unix.EPERM || e == unix.EINVAL {
		fmt.Println(unix.ErrnoName(e))
		return
	}
	h.Must(err)
	defer objs.Close()
	h.Must(objs.Attach())
	h.Run(objs.FentryProg.FD(), nil)
	h.Run(objs.FmodRetProg.FD(), nil)
	fmt.Println("fentry", objs.BSS.FentryRuns, "fexit", objs.BSS.FexitRet, "fmod_ret", objs.BSS.FmodRetRuns, "modify_ret", objs.Data.ModifyRet)
`, "EPERM\n"},
	{"verifier_reject", `
	_, err := LoadVerifierReject(nil)
	fmt.Println(h.Errno(err) == unix.EACCES, strings.Contains(err.Error(), "invalid access to map value"))
`, "true true\n"},
	{"bad_map", `
	_, err := LoadBadMap(nil)
	fmt.Println(h.Errno(err) == unix.EINVAL, strings.Contains(err.Error(), "no_entries"))
`, "true true\n"},
	{"ksym_data", `
	objs, err := LoadKsymData(nil)
	if h.Errno(err) == unix.ENOENT {
		fmt.Println("ENOENT")
		return
	}
	h.Must(err)
	defer objs.Close()
	h.Run(objs.ReadDataKsym.FD(), nil)
	fmt.Println("seen", objs.BSS.Seen, "active", objs.Data.Active)
`, "ENOENT\n"},
	{"conntrack", `
	objs, err := LoadConntrack(nil)
	if h.Errno(err) == unix.ENOENT {
		fmt.Println("ENOENT")
		return
	}
	h.Must(err)
	defer objs.Close()
	fmt.Println("ret", h.Run(objs.CtLookup.FD(), h.Packet()), "runs", objs.BSS.Runs, "found", objs.Data.Found, "error", objs.Data.LookupError)
`, "ENOENT\n"},
	{"freplace_target", `
	objs, err := LoadFreplaceTarget(nil)
	h.Must(err)
	defer objs.Close()
	fmt.Println("ret", h.Run(objs.CallReplaceable.FD(), h.Packet()), "result", objs.BSS.Result)
`, "ret 2 result 42\n"},
	{"freplace", `
	target, err := LoadFreplaceTarget(nil)
	h.Must(err)
	defer target.Close()
	_, err = LoadFreplace(nil)
	fmt.Println(strings.Contains(fmt.Sprint(err), "AttachTargets"))
	opts := &FreplaceOptions{AttachTargets: map[string]lskel.ProgTarget{"new_replaceable": {FD: target.CallReplaceable.FD()}}}
	objs, err := LoadFreplace(opts)
	if h.Errno(err) == unix.EPERM {
		fmt.Println("EPERM")
		return
	}
	h.Must(err)
	defer objs.Close()
	h.Must(objs.Attach())
	h.Run(target.CallReplaceable.FD(), h.Packet())
	fmt.Println("result", target.BSS.Result, "replaced", objs.BSS.ReplacedRuns)
	h.Must(objs.Close())
	h.Run(target.CallReplaceable.FD(), h.Packet())
	fmt.Println("result", target.BSS.Result)
`, "true\nEPERM\n"},
	{"uprobes", `
	objs, err := LoadUprobes(nil)
	h.Must(err)
	defer objs.Close()
	h.Must(objs.Attach())
	for i := 0; i < 3; i++ {
		h.Must(exec.Command("sh", "-c", ":").Run())
	}
	fmt.Println(objs.BSS.UprobeRuns >= 3, objs.BSS.UretprobeRuns >= 3, objs.UprobeGetpid.Link != nil)
`, "true true true\n"},
	{"kprobes", `
	opts := NewKprobesOptions()
	opts.Rodata.TargetPid = uint32(os.Getpid())
	objs, err := LoadKprobes(opts)
	h.Must(err)
	defer objs.Close()
	h.Must(objs.Attach())
	for i := 0; i < 5; i++ {
		syscall.Getpid()
	}
	b := objs.BSS
	// The Go runtime may call getpid(2) too (to signal a thread).
	fmt.Println(b.KsyscallRuns >= 5, b.KretsyscallRuns >= 5, b.KprobeRuns >= 5, b.KretprobeRuns >= 5)
`, "true true true true\n"},
	{"missing_ksym", `
	_, err := LoadMissingKsym(nil)
	fmt.Println(err != nil)
`, "true\n"},
	{"missing_kfunc", `
	_, err := LoadMissingKfunc(nil)
	fmt.Println(err != nil)
`, "true\n"},
}

// kernelDependentOutput is the output of the objects that load only on
// kernels with what they need (their e2eCase.want is the refusal the
// others give).
var kernelDependentOutput = map[string]string{
	"trampoline": "fentry 1 fexit 2 fmod_ret 1 modify_ret 7\n",
	"ksym_data":  "seen 1 active 0\n",
	"conntrack":  "ret 2 runs 1 found 0 error -2\n",
	"freplace":   "true\nresult 4100 replaced 1\nresult 42\n",
}

// driverImports are offered to every driver; goimports-style pruning is
// done by listing only what each uses.
var driverImports = []string{"context", "errors", "fmt", "io", "os", "os/exec", "reflect", "runtime", "strings", "syscall", "time", "unsafe",
	"golang.org/x/sys/unix", "github.com/bpfgen/bpfgen/lskel", "e2e/h"}

func driverSource(body string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, imp := range driverImports {
		short := imp[strings.LastIndex(imp, "/")+1:]
		if regexp.MustCompile(`\b` + short + `\.`).MatchString(body) {
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
	}
	b.WriteString(")\n\nfunc main() {\n")
	b.WriteString(body)
	b.WriteString("}\n")
	return b.String()
}

// TestEndToEnd generates the skeleton of every testdata object into one
// temporary module, builds all of them with a driver each in a single go
// build, runs each driver against the kernel and checks its output: the
// values the BPF programs produced, read through the typed accessors.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of generated skeletons")
	}
	kernelOrSkip(t)
	mod := t.TempDir()
	root := repoRoot(t)
	gomod := "module e2e\n\ngo 1.26\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n\nreplace github.com/bpfgen/bpfgen => " + root + "\n"
	writeFile(t, filepath.Join(mod, "go.mod"), gomod)
	writeFile(t, filepath.Join(mod, "h", "h.go"), e2eHelpers)
	objects, err := filepath.Glob(filepath.Join(root, "testdata", "*.bpf.o"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range e2eCases {
		covered[c.name] = true
		obj, l := openObject(t, c.name)
		src, err := Generate(obj, l, testOptions(c.name, "main"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		writeFile(t, filepath.Join(mod, c.name, c.name+"_lskel.go"), string(src))
		for _, other := range e2eAlso[c.name] {
			obj, l := openObject(t, other)
			src, err := Generate(obj, l, testOptions(other, "main"))
			if err != nil {
				t.Fatalf("%s: %v", other, err)
			}
			writeFile(t, filepath.Join(mod, c.name, other+"_lskel.go"), string(src))
		}
		writeFile(t, filepath.Join(mod, c.name, "main.go"), driverSource(c.driver))
	}
	for _, o := range objects {
		if !covered[DefaultIdent(o)] {
			t.Errorf("testdata object %s has no end-to-end case", filepath.Base(o))
		}
	}
	bin := filepath.Join(mod, "bin")
	cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the generated skeletons: %v\n%s", err, out)
	}
	for _, c := range e2eCases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := kernelDependentOutput[c.name]; !ok {
				behave.Require(t, c.name)
			}
			cmd := exec.Command(filepath.Join(bin, c.name))
			cmd.Env = append(os.Environ(), "BPFGEN_PIN_DIR="+testutil.PinDir(t))
			out, err := cmd.CombinedOutput()
			if err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
			}
			want := c.want
			if w, ok := kernelDependentOutput[c.name]; ok && behave.CanLoad(c.name) {
				want = w
			}
			if c.name == "trampoline" && behave.Trampolines.Have() && !behave.FmodRet.Have() {
				// Trampolines but no fmod_ret on bpf_modify_return_test.
				want = "EINVAL\n"
			}
			if string(out) != want {
				t.Errorf("output:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
