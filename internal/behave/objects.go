package behave

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
)

// getpidCalls is how many getpid(2) calls the tracepoint checks make.
const getpidCalls = 7

// attach attaches a program by its section (tracepoints, raw
// tracepoints, tp_btf, iterators) and detaches it when the test ends.
func (e *env) attach(prog string) *lskel.Link {
	e.t.Helper()
	lp := e.program(prog)
	if strings.HasPrefix(strings.TrimPrefix(lp.Section(), "?"), "tp") {
		requireTracefs(e.t)
	}
	l, err := lp.Attach()
	if err != nil {
		e.fatalf("attaching %s (%s): %v", prog, lp.Section(), err)
	}
	e.t.Cleanup(func() { l.Close() })
	return l
}

// detach closes a link now, failing the test if the kernel refuses.
func (e *env) detach(prog string, l *lskel.Link) {
	e.t.Helper()
	if err := l.Close(); err != nil {
		e.errorf("detaching %s: %v", prog, err)
	}
}

// getpidOnThread calls getpid(2) n times from one locked OS thread and
// returns that thread's id.
func getpidOnThread(n int) (tid int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range n {
		unix.Getpid()
	}
	return unix.Gettid()
}

func checkMinimal(e *env) {
	l := e.attach("handle_getpid")
	getpidOnThread(getpidCalls)
	e.detach("handle_getpid", l)

	// The Go runtime itself calls getpid (tgkill(getpid(), ...) to
	// preempt a goroutine), so other threads may add a call or two.
	calls := e.uint("calls")
	if calls < getpidCalls || calls > getpidCalls+runtimeSlack {
		e.errorf("calls = %d after %d getpid calls, want %d (up to %d more from the Go runtime)", calls, getpidCalls, getpidCalls, runtimeSlack)
	}
	if got := e.lookupU64("counts", uint32(unix.Getpid())); got != calls {
		e.errorf("counts[%d] = %d, want %d (= calls)", unix.Getpid(), got, calls)
	}
}

// runtimeSlack is how many getpid calls of its own the Go runtime may
// make while a check's tracepoint is attached (it sends preemption
// signals with tgkill(getpid(), tid, SIGURG)).
const runtimeSlack = 3

func checkMaps(e *env) {
	// Open the ring buffer first: records must all be there afterwards.
	rb, err := lskel.NewRingBuf(e.mapHandle("events"))
	if err != nil {
		e.fatalf("ring buffer events: %v", err)
	}
	defer rb.Close()

	raw := e.attach("count_syscalls")
	tp := e.attach("on_getpid")
	tid := getpidOnThread(getpidCalls)
	e.detach("on_getpid", tp)
	e.detach("count_syscalls", raw)

	const nrGetpid = 39 // x86_64
	pid := uint32(unix.Getpid())
	// getpid_seq counts this process's getpid calls: ours, plus any the
	// Go runtime made meanwhile (see runtimeSlack).
	seqN := e.uint("getpid_seq")
	if seqN < getpidCalls || seqN > getpidCalls+runtimeSlack {
		e.errorf("getpid_seq = %d after %d getpid calls, want %d (up to %d more from the Go runtime)", seqN, getpidCalls, getpidCalls, runtimeSlack)
	}
	if runtime.GOARCH == "amd64" {
		// raw_tp was attached before and detached after the tracepoint.
		h := e.lookupU64("hash", nrGetpid)
		if h < seqN || h > seqN+runtimeSlack {
			e.errorf("hash[%d] (getpid) = %d, want getpid_seq = %d (up to %d more)", nrGetpid, h, seqN, runtimeSlack)
		}
		if got := e.perCPUSum("pcpu_hash", nrGetpid); got != h {
			e.errorf("pcpu_hash[%d] (getpid) summed over CPUs = %d, want %d (= hash[%d])", nrGetpid, got, h, nrGetpid)
		}
	}
	// Every syscall of this process while attached: at least the
	// getpid calls, and the three counters agree.
	all := e.lookupU64("array", 0)
	if all < seqN {
		e.errorf("array[0] = %d, want >= %d (every syscall)", all, seqN)
	}
	if got := e.lookupU64("sized_array", 0); got != all {
		e.errorf("sized_array[0] = %d, want %d (= array[0])", got, all)
	}
	if got := e.perCPUSum("pcpu_array", 0); got != all {
		e.errorf("pcpu_array[0] summed over CPUs = %d, want %d (= array[0])", got, all)
	}
	if got := e.lookupU64("lru", pid); got != seqN {
		e.errorf("lru[%d] = %d, want %d (= getpid_seq)", pid, got, seqN)
	}
	if got := e.lookupU64("pinned_map", 0); got != seqN {
		e.errorf("pinned_map[0] = %d, want %d (= getpid_seq)", got, seqN)
	}

	// One record per call, in order; exactly getpidCalls of them from
	// the thread that made our calls.
	bo := e.obj.ByteOrder
	ours := 0
	for seq := uint64(1); seq <= seqN; seq++ {
		rec, err := rb.ReadTimeout(time.Second)
		if err != nil {
			e.fatalf("ring buffer record %d of %d: %v", seq, seqN, err)
		}
		if len(rec) != 16 {
			e.fatalf("ring buffer record %d: %d bytes, want 16", seq, len(rec))
		}
		gotTgid, gotPid, gotSeq := bo.Uint32(rec), bo.Uint32(rec[4:]), bo.Uint64(rec[8:])
		if gotTgid != pid || gotSeq != seq {
			e.errorf("ring buffer record %d: {tgid %d, pid %d, seq %d}, want {%d, _, %d}", seq, gotTgid, gotPid, gotSeq, pid, seq)
		}
		if gotPid == uint32(tid) {
			ours++
		}
	}
	if ours != getpidCalls {
		e.errorf("ring buffer: %d records from thread %d, want %d", ours, tid, getpidCalls)
	}
	if rec, err := rb.ReadTimeout(10 * time.Millisecond); err == nil {
		e.errorf("ring buffer: extra record %x after %d", rec, seqN)
	}
}

// perCPUSum sums a u64 per-CPU value over every possible CPU.
func (e *env) perCPUSum(mapName string, key uint32) uint64 {
	e.t.Helper()
	n, err := kernel.PossibleCPUs()
	if err != nil {
		e.fatalf("possible CPUs: %v", err)
	}
	v := make([]byte, 8*n)
	if err := e.lookup(mapName, e.u32(key), v); err != nil {
		e.fatalf("%s[%d]: %v", mapName, key, err)
	}
	var sum uint64
	for i := range n {
		sum += e.obj.ByteOrder.Uint64(v[8*i:])
	}
	return sum
}

func checkGlobals(e *env) {
	for run := uint64(0); run < 2; run++ {
		e.wantRun("read_globals", nil, 0)
		// out_a and out_custom_ro come from .rodata / .rodata.custom
		// values rewritten before load (InitialValues); the rest are
		// the object's defaults.
		e.wantUint(map[string]uint64{
			"out_a": globalsCfgA, "out_b": 0x1122334455667788, "out_arr_sum": 10,
			"out_color": 2, "out_bits_x": 5, "out_bits_y": 17, "out_bits_z": 0xabcdef,
			"out_nested_kind": 3, "out_nested_word": 0x56781234,
			"out_data_var": 42 + run, "data_var": 43 + run,
			"out_data_arr_sum": 300,
			"out_custom_data":  0xdeadbeef + run,
			"custom_data":      0xdeadbeef + run + 1,
			"out_custom_ro":    globalsCustomRO,
			"runs":             run + 1,
			"custom_ro":        globalsCustomRO,
		})
		if got := e.raw("data_arr"); e.obj.ByteOrder.Uint32(got) != 100 || e.obj.ByteOrder.Uint32(got[4:]) != 200 {
			e.errorf("data_arr = %x, want {100, 200}", got)
		}
		if got := e.raw("out_name"); !bytes.Equal(got, []byte("bpfgen\x00\x00")) {
			e.errorf("out_name = %q, want %q", got, "bpfgen\x00\x00")
		}
	}
}

func checkSubprogs(e *env) {
	e.wantRun("prog_a", nil, 28)
	e.wantRun("prog_b", nil, 199)
	e.wantRun("callbacks", nil, 0)
	e.wantUint(map[string]uint64{
		"res_a": 28, "res_b": 199, "loop_sum": 285, "loop_iters": 10,
		"each_sum": 100, "each_count": 4,
	})
	for i := range uint32(4) {
		if got, want := e.lookupU64("vals", i), uint64(i+1)*10; got != want {
			e.errorf("vals[%d] = %d, want %d", i, got, want)
		}
	}
}

func checkCore(e *env) {
	e.wantRun("core_consts", nil, 0)
	e.wantUint(map[string]uint64{
		"field_pid_exists": 1, "field_missing_exists": 0,
		"type_task_exists": 1, "type_missing_exists": 0,
		"comm_size": 16, "enum_ringbuf": 27,
		"enum_ringbuf_exists": 1, "enum_missing_exists": 0,
		"const_runs": 1,
	})

	l := e.attach("read_task")
	defer e.detach("read_task", l)
	// The last getpid of the process wins; a Go runtime thread may call
	// getpid too (see runtimeSlack), so retry a few times until the last
	// call seen is ours.
	var tid int
	var comm string
	total := uint64(0)
	for attempt := 0; ; attempt++ {
		func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tid = unix.Gettid()
			comm = threadComm(e.t, tid)
			for range getpidCalls {
				unix.Getpid()
			}
		}()
		total += getpidCalls
		if e.int("out_pid") == int64(tid) || attempt == 4 {
			break
		}
	}

	e.wantInt(map[string]int64{
		"out_pid":         int64(tid),
		"out_tgid":        int64(unix.Getpid()),
		"out_parent_tgid": int64(unix.Getppid()),
	})
	if n := e.uint("tp_runs"); n < total || n > total+runtimeSlack {
		e.errorf("tp_runs = %d after %d getpid calls, want %d (up to %d more from the Go runtime)", n, total, total, runtimeSlack)
	}
	if got := cstring(e.raw("out_comm")); got != comm {
		e.errorf("out_comm = %q, want %q (thread %d)", got, comm, tid)
	}
}

func checkKconfig(e *env) {
	cfg, err := kconfig.ReadRunning()
	if err != nil {
		e.fatalf("running kernel's config: %v", err)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		e.fatalf("uname: %v", err)
	}
	release := unix.ByteSliceToString(uts.Release[:])
	version, err := linuxVersionCode(release)
	if err != nil {
		e.fatalf("%v", err)
	}
	yes := func(name string) uint64 {
		if cfg.Values[name] == "y" {
			return 1
		}
		return 0
	}
	tristate := map[string]uint64{"y": 1, "m": 2}[cfg.Values["CONFIG_TCP_CONG_CUBIC"]]
	hz, err := strconv.ParseInt(cfg.Values["CONFIG_HZ"], 10, 32)
	if err != nil {
		e.fatalf("CONFIG_HZ=%q in the running config: %v", cfg.Values["CONFIG_HZ"], err)
	}
	hostname, err := strconv.Unquote(cfg.Values["CONFIG_DEFAULT_HOSTNAME"])
	if err != nil {
		e.fatalf("CONFIG_DEFAULT_HOSTNAME=%q in the running config: %v", cfg.Values["CONFIG_DEFAULT_HOSTNAME"], err)
	}
	if len(hostname) > 15 {
		hostname = hostname[:15] // the extern is char[16], NUL-terminated
	}
	wantHost := make([]byte, 16)
	copy(wantHost, hostname)

	e.wantRun("read_kconfig", nil, 0)
	e.wantUint(map[string]uint64{
		"kernel_version": uint64(version),
		"bpf_syscall":    yes("CONFIG_BPF_SYSCALL"),
		"cubic":          tristate,
		"ipv6":           yes("CONFIG_IPV6"),
		"runs":           1,
	})
	e.wantInt(map[string]int64{"hz": hz, "missing": 0})
	if got := e.raw("hostname"); !bytes.Equal(got, wantHost) {
		e.errorf("hostname = %q, want %q", got, wantHost)
	}
}

// linuxVersionCode is KERNEL_VERSION(a, b, c) of a release such as
// "6.18.44-foo", with the sublevel capped at 255 as the kernel does. It is
// computed independently of package kconfig, whose result it checks.
func linuxVersionCode(release string) (uint32, error) {
	var a, b, c uint32
	n, _ := fmt.Sscanf(release, "%d.%d.%d", &a, &b, &c)
	if n < 2 {
		return 0, fmt.Errorf("kernel release %q: no version number", release)
	}
	return a<<16 | b<<8 | min(c, 255), nil
}

func checkKsyms(e *env) {
	addrs, err := kernel.ReadKallsyms("bpf_prog_put")
	if err != nil {
		e.fatalf("reading kallsyms: %v", err)
	}
	putAddr, ok := addrs["bpf_prog_put"]
	if !ok {
		e.fatalf("bpf_prog_put is not in /proc/kallsyms")
	}
	pid := int64(unix.Getpid())

	e.wantRun("use_ksyms", nil, 0)
	e.wantInt(map[string]int64{"looked_up": pid, "found_pid": pid, "found_tgid": pid})
	e.wantUint(map[string]uint64{
		"task_found": 1, "kfunc_exists": 1, "missing_kfunc_exists": 0,
		"prog_put_addr": putAddr, "missing_addr": 0, "runs": 1,
	})
}

func checkFlavour(e *env) {
	e.wantRun("call_flavoured", nil, 0)
	e.wantInt(map[string]int64{"flavour_pid": int64(unix.Getpid())})
	e.wantUint(map[string]uint64{"flavour_exists": 1, "plain_missing": 0})
}

func checkLegacy(e *env) {
	e.wantRun("bump_legacy", nil, 0)
	e.wantRun("bump_legacy", nil, 0)
	if got := e.lookupU64("legacy_counts", 1); got != 10 {
		e.errorf("legacy_counts[1] = %d after two runs, want 10", got)
	}
	e.wantUint(map[string]uint64{"runs": 2})
}

func checkMapInMap(e *env) {
	// The initial slots, as user space sees them: ids of the inner maps
	// and of the tail-called program.
	e.wantSlot("outer_arr", 0, e.mapID("inner1"))
	e.wantSlot("outer_arr", 1, 0)
	e.wantSlot("outer_arr", 2, e.mapID("inner2"))
	e.wantSlot("outer_arr", 3, 0)
	e.wantSlot("outer_hash", 1, e.mapID("inner2"))
	e.wantSlot("outer_hash", 0, 0)
	e.wantSlot("outer_empty", 0, 0)
	e.wantSlot("outer_empty", 1, 0)
	info, err := kernel.GetProgInfo(e.prog("tail_a"))
	if err != nil {
		e.fatalf("program info of tail_a: %v", err)
	}
	e.wantSlot("jmp_table", 0, info.ID)
	e.wantSlot("jmp_table", 1, 0)

	pkt := packet()
	e.wantRun("mim_lookup", pkt, 2)
	e.wantUint(map[string]uint64{"mim_found": 13, "hash_inner_val": 222})
	if got := e.lookupU64("inner1", 0); got != 111 {
		e.errorf("inner1[0] = %d, want 111", got)
	}
	if got := e.lookupU64("inner2", 0); got != 222 {
		e.errorf("inner2[0] = %d, want 222", got)
	}

	e.wantRun("tail_entry", pkt, 1)
	e.wantUint(map[string]uint64{"path": 3, "entry_runs": 1, "tail_runs": 1})
	e.setUint("tail_slot", 1)
	e.wantRun("tail_entry", pkt, 2)
	e.wantUint(map[string]uint64{"path": 5, "entry_runs": 2, "tail_runs": 1})
}

// mapID returns the kernel id of a map of the object.
func (e *env) mapID(name string) uint32 {
	e.t.Helper()
	info, err := kernel.GetMapInfo(e.mapFD(name))
	if err != nil {
		e.fatalf("map info of %s: %v", name, err)
	}
	return info.ID
}

// wantSlot checks the id stored in slot key of a map-in-map or program
// array; want 0 means the slot is empty.
func (e *env) wantSlot(mapName string, key, want uint32) {
	e.t.Helper()
	v := make([]byte, 4)
	err := e.lookup(mapName, e.u32(key), v)
	switch {
	case want == 0 && err == nil:
		e.errorf("%s[%d] holds id %d, want an empty slot", mapName, key, e.obj.ByteOrder.Uint32(v))
	case want == 0 && !errors.Is(err, unix.ENOENT):
		e.errorf("%s[%d]: %v, want ENOENT (empty slot)", mapName, key, err)
	case want != 0 && err != nil:
		e.errorf("%s[%d]: %v, want id %d", mapName, key, err, want)
	case want != 0 && e.obj.ByteOrder.Uint32(v) != want:
		e.errorf("%s[%d] holds id %d, want %d", mapName, key, e.obj.ByteOrder.Uint32(v), want)
	}
}

func checkIter(e *env) {
	l := e.attach("dump_task")
	r, err := l.OpenIter()
	if err != nil {
		e.fatalf("open iterator dump_task: %v", err)
	}
	out, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		e.fatalf("reading iterator dump_task: %v", err)
	}
	e.detach("dump_task", l)

	pid := unix.Getpid()
	wantMain := fmt.Sprintf("%d %d %s", pid, pid, threadComm(e.t, pid))
	sc := bufio.NewScanner(bytes.NewReader(out))
	lines, found := 0, false
	for sc.Scan() {
		line := sc.Text()
		if lines == 0 {
			if line != "tgid pid comm" {
				e.fatalf("iterator output starts with %q, want the header %q", line, "tgid pid comm")
			}
			lines++
			continue
		}
		lines++
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			e.errorf("iterator line %d: %q is not \"tgid pid comm\"", lines, line)
			continue
		}
		for _, n := range f[:2] {
			if _, err := strconv.Atoi(n); err != nil {
				e.errorf("iterator line %d: %q: %v", lines, line, err)
			}
		}
		if line == wantMain {
			found = true
		}
	}
	if lines == 0 {
		e.fatalf("iterator dump_task printed nothing")
	}
	if !found {
		e.errorf("iterator output has no line %q for this test's main thread:\n%s", wantMain, out)
	}
	e.wantUint(map[string]uint64{"tasks": uint64(lines - 1)})
}

func checkProgtypes(e *env) {
	pkt := packet()
	e.wantRun("xdp_prog", pkt, 2)
	e.wantRun("tc_prog", pkt, 0)
	e.wantRun("socket_prog", pkt, 0)
	e.wantRun("cgskb_prog", pkt, 1)
	e.wantRun("syscall_prog", nil, 42)
	e.wantUint(map[string]uint64{
		"xdp_runs": 1, "tc_runs": 1, "socket_runs": 1, "cgskb_runs": 1, "syscall_runs": 1,
	})

	// SEC("?...") is not loaded by default.
	if fd := e.progs[e.progIndex("not_autoload")]; fd >= 0 {
		e.errorf("not_autoload (SEC(\"?tp/...\")) was loaded (fd %d), want not loaded", fd)
	}

	// raw_tp/sys_exit fires on our own syscalls.
	l := e.attach("rawtp_prog")
	getpidOnThread(getpidCalls)
	e.detach("rawtp_prog", l)
	if n := e.uint("rawtp_runs"); n < getpidCalls {
		e.errorf("rawtp_runs = %d after %d syscalls, want >= %d", n, getpidCalls, getpidCalls)
	}

	// tp_btf/sched_switch fires when this thread sleeps.
	l = e.attach("tpbtf_prog")
	for range 3 {
		time.Sleep(time.Millisecond)
	}
	e.detach("tpbtf_prog", l)
	if n := e.uint("tpbtf_runs"); n == 0 {
		e.errorf("tpbtf_runs = 0 after sleeping, want > 0 (sched_switch)")
	}

	e.checkPerfEvent()
	e.checkUprobes()

	// Nothing triggers what was detached or never attached.
	e.wantUint(map[string]uint64{"not_autoload_runs": 0})
}

// checkPerfEvent attaches perf_prog to a CPU-clock sampling event of this
// thread and spins until it fires.
func (e *env) checkPerfEvent() {
	e.t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_CPU_CLOCK,
		Sample: 100000, // ns of CPU time between samples
	}
	pfd, err := kernel.PerfEventOpen(&attr, 0, -1, -1, 0)
	if err != nil {
		e.fatalf("perf_event_open (cpu-clock, this thread): %v", err)
	}
	defer unix.Close(pfd)
	l, err := lskel.AttachPerfEvent(e.program("perf_prog"), pfd)
	if err != nil {
		e.fatalf("attaching perf_prog: %v", err)
	}
	defer l.Close()
	deadline := time.Now().Add(2 * time.Second)
	for e.uint("perf_runs") == 0 && time.Now().Before(deadline) {
		spin(time.Millisecond)
	}
	e.detach("perf_prog", l)
	if e.uint("perf_runs") == 0 {
		e.errorf("perf_runs = 0 after 2s of sampling, want > 0")
	}
}

//go:noinline
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// checkUprobes attaches the uprobe programs to libc's getpid, which a
// shell calls as it starts (test binaries have no symbol table to probe).
func (e *env) checkUprobes() {
	e.t.Helper()
	libc := ""
	for _, p := range []string{
		"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6",
		"/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6",
	} {
		if _, err := os.Stat(p); err == nil {
			libc = p
			break
		}
	}
	if libc == "" {
		e.fatalf("no libc.so.6 to place the uprobes on")
	}
	off, err := elfsym.SymbolOffset(libc, "getpid")
	if err != nil {
		e.fatalf("getpid in %s: %v", libc, err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		e.fatalf("%v", err)
	}
	for _, prog := range []string{"uprobe_prog", "uprobe_s_prog"} {
		l, err := lskel.AttachUprobe(e.program(prog), libc, off, false, -1)
		if err != nil {
			e.fatalf("attaching %s to %s:getpid: %v", prog, libc, err)
		}
		for range 3 {
			if err := exec.Command(sh, "-c", ":").Run(); err != nil {
				l.Close()
				e.fatalf("running sh: %v", err)
			}
		}
		e.detach(prog, l)
		counter := strings.TrimSuffix(prog, "_prog") + "_runs"
		if n := e.uint(counter); n < 3 {
			e.errorf("%s = %d after 3 shells called getpid, want >= 3", counter, n)
		}
	}
}

func checkMany(e *env) {
	for n := range 100 {
		prog := fmt.Sprintf("prog_%03d", n)
		e.wantRun(prog, nil, uint32(3*n+1))
	}
	for m := range 80 {
		want := uint64(3*m + 1)
		if m < 20 {
			want = uint64(3*(m+80) + 1)
		}
		name := fmt.Sprintf("map_%02d", m)
		if got := e.lookupU64(name, 0); got != want {
			e.errorf("%s[0] = %d, want %d", name, got, want)
		}
	}
}

// checkTrampoline attaches the fentry, fexit, fmod_ret and lsm programs
// and fires them: a test run of fentry_prog calls bpf_fentry_test1(1),
// which returns 2; a test run of fmod_ret_prog calls
// bpf_modify_return_test, whose return fmod_ret_prog replaces with 7
// (fexit_modify sees it) so that the original and its side effect are
// skipped; every bpf(2) call passes the lsm hook when the bpf LSM is
// active.
func checkTrampoline(e *env) {
	// fmod_ret before attaching: what the kernel's test functions return
	// on their own (kernels differ in what they count).
	base := e.run("fmod_ret_prog", nil)
	for _, p := range []string{"fentry_prog", "fexit_prog", "fmod_ret_prog", "fexit_modify", "lsm_prog"} {
		e.attach(p)
	}
	e.run("fentry_prog", nil)
	e.wantUint(map[string]uint64{"fentry_runs": 1, "fexit_ret": 2})
	got := e.run("fmod_ret_prog", nil)
	e.wantUint(map[string]uint64{"fmod_ret_runs": 1})
	e.wantInt(map[string]int64{"modify_ret": 7})
	if got>>16 == base>>16 {
		e.errorf("fmod_ret test run returned %#x, unattached %#x: the upper half (side effects of the original) should differ", got, base)
	}
	before := e.uint("lsm_runs")
	kernel.GetProgInfo(e.prog("lsm_prog")) // a bpf(2) call
	after := e.uint("lsm_runs")
	switch {
	case BPFLSMActive() && after <= before:
		e.errorf("lsm_runs = %d before and %d after a bpf(2) call, with the bpf LSM active", before, after)
	case !BPFLSMActive() && after != 0:
		e.errorf("lsm_runs = %d, but the bpf LSM is not active", after)
	}
}

// checkKsymData runs read_data_ksym, which reads this CPU's
// bpf_prog_active (0: no kprobe-like program is running on it).
func checkKsymData(e *env) {
	e.run("read_data_ksym", nil)
	e.wantUint(map[string]uint64{"seen": 1})
	e.wantInt(map[string]int64{"active": 0})
}

// checkConntrack runs ct_lookup on a packet: the kfunc finds no such
// connection and says so with -ENOENT.
func checkConntrack(e *env) {
	e.wantRun("ct_lookup", packet(), 2) // XDP_PASS
	e.wantUint(map[string]uint64{"runs": 1, "found": 0})
	e.wantInt(map[string]int64{"lookup_error": -int64(unix.ENOENT)})
}

// checkFreplaceTarget runs call_replaceable with its own replaceable.
func checkFreplaceTarget(e *env) {
	e.wantRun("call_replaceable", packet(), 2) // XDP_PASS
	e.wantUint(map[string]uint64{"result": 42})
}
