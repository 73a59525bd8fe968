package lskel

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
	"golang.org/x/sys/unix"
)

// triggerGetpid makes n getpid(2) calls.
func triggerGetpid(n int) {
	for range n {
		unix.Getpid()
	}
}

func TestAttachTracepoint(t *testing.T) {
	requireKernel(t)
	requireTracefs(t)
	for _, how := range []string{"AttachTracepoint", "Attach"} {
		t.Run(how, func(t *testing.T) {
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			section := ""
			if how == "Attach" {
				section = "tracepoint/syscalls/sys_enter_getpid"
			}
			prog := testProg(t, progSpec{typ: progTypeTracepoint, insns: counterInsns(counts.FD(), 0)}, section)
			var l *Link
			var err error
			if how == "Attach" {
				l, err = prog.Attach()
			} else {
				l, err = AttachTracepoint(prog, "syscalls", "sys_enter_getpid")
			}
			if err != nil {
				t.Fatal(err)
			}
			triggerGetpid(10)
			if n := counter(t, counts); n < 10 {
				t.Fatalf("count = %d after 10 getpid calls, want >= 10", n)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			// Detached: our own calls no longer count (other processes'
			// getpid calls might, so compare over a quiet window only
			// loosely: 1000 calls must not all show up).
			before := counter(t, counts)
			triggerGetpid(1000)
			if after := counter(t, counts); after-before >= 1000 {
				t.Fatalf("count moved from %d to %d after Close", before, after)
			}
		})
	}
}

func TestAttachTracepointErrors(t *testing.T) {
	requireKernel(t)
	requireTracefs(t)
	// No program is needed to fail: a closed one will do.
	closed := &Program{name: "closed"}
	_, err := AttachTracepoint(closed, "syscalls", "no_such_tracepoint")
	if err == nil || !strings.Contains(err.Error(), "syscalls/no_such_tracepoint") {
		t.Fatalf("error = %v, want one naming the tracepoint", err)
	}
	if _, err := AttachTracepoint(closed, "..", "x"); err == nil {
		t.Fatal("a path-like category was accepted")
	}
}

func TestAttachRawTracepoint(t *testing.T) {
	requireKernel(t)
	for _, section := range []string{"", "raw_tp/sys_enter", "raw_tracepoint/sys_enter"} {
		t.Run("section="+section, func(t *testing.T) {
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			prog := testProg(t, progSpec{typ: progTypeRawTracepoint, insns: counterInsns(counts.FD(), 0)}, section)
			var l *Link
			var err error
			if section == "" {
				l, err = AttachRawTracepoint(prog, "sys_enter")
			} else {
				l, err = prog.Attach()
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			triggerGetpid(10)
			if n := counter(t, counts); n < 10 {
				t.Fatalf("count = %d after 10 syscalls, want >= 10", n)
			}
		})
	}
}

// iterTaskInsns writes "task" for every task the iterator visits.
func iterTaskInsns() []asm.Insn {
	return []asm.Insn{
		asm.LoadMem(asm.SizeDW, asm.R6, asm.R1, 0), // ctx->meta
		asm.LoadMem(asm.SizeDW, asm.R7, asm.R1, 8), // ctx->task
		asm.JEq.Imm(asm.R7, 0, "return").Off(6),
		asm.LoadMem(asm.SizeDW, asm.R1, asm.R6, 0),       // meta->seq
		asm.StoreImm(asm.SizeW, asm.R10, -4, 0x6b736174), // "task" little-endian
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.Mov.Imm(asm.R3, 4),
		asm.Call(127), // bpf_seq_write
		asm.Mov.Imm(asm.R0, 0),
		asm.Exit(),
	}
}

func TestAttachIter(t *testing.T) {
	requireKernel(t)
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the test program stores a little-endian word")
	}
	prog := testProg(t, progSpec{
		typ:         progTypeTracing,
		attachType:  attachTypeTraceIter,
		attachBTFID: vmlinuxFuncID(t, "bpf_iter_task"),
		insns:       iterTaskInsns(),
	}, "iter/task")
	for _, how := range []string{"AttachIter", "Attach"} {
		t.Run(how, func(t *testing.T) {
			var l *Link
			var err error
			if how == "Attach" {
				l, err = prog.Attach()
			} else {
				l, err = AttachIter(prog)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for range 2 { // an iterator link can be read more than once
				r, err := l.OpenIter()
				if err != nil {
					t.Fatal(err)
				}
				out, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				if len(out) < 4 || len(out)%4 != 0 || !bytes.Equal(out, bytes.Repeat([]byte("task"), len(out)/4)) {
					t.Fatalf("iterator output %q", out)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := l.OpenIter(); err == nil {
				t.Fatal("OpenIter on a closed link succeeded")
			}
		})
	}
}

func TestAttachTracingWrongProgType(t *testing.T) {
	requireKernel(t)
	// fentry cannot even load here (no trampolines, see this_kernel.md),
	// so check the attach path with a raw_tp program instead: the kernel
	// rejects RAW_TRACEPOINT_OPEN with a NULL name for it.
	counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeRawTracepoint, insns: counterInsns(counts.FD(), 0)}, "")
	if l, err := AttachTracing(prog); err == nil {
		l.Close()
		t.Fatal("AttachTracing of a raw_tp program without a name succeeded")
	}
}

func TestAttachNeedsTarget(t *testing.T) {
	tests := []struct{ section, want string }{
		{"xdp", "AttachXDP"},
		{"tc", "AttachTCX"},
		{"tcx/ingress", "AttachTCX"},
		{"cgroup_skb/egress", "AttachCgroup"},
		{"perf_event", "AttachPerfEvent"},
		{"uprobe", "AttachUprobe"},
		{"uprobe//bin/true:main", "AttachProbe for uprobe/BINARY:SYMBOL"},
		{"kprobe/do_sys_openat2", "AttachProbe"},
		{"ksyscall/getpid", "AttachProbe"},
		{"kprobe.multi/bpf_*", "AttachProbe"},
		{"socket", "cannot attach"},
		{"tp/nocategory", "category/name"},
	}
	for _, tt := range tests {
		// No program is needed to fail: one that is not open will do.
		l, err := (&Program{name: "p", section: tt.section}).Attach()
		if err == nil {
			l.Close()
			t.Fatalf("Attach(%q) succeeded", tt.section)
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.section) {
			t.Errorf("Attach(%q) = %v, want an error naming the section and %q", tt.section, err, tt.want)
		}
	}
}

func TestAttachPerfEvent(t *testing.T) {
	requireKernel(t)
	requireTracefs(t)
	counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeTracepoint, insns: counterInsns(counts.FD(), 0)}, "perf_event")
	id, err := kernel.TracepointID("syscalls", "sys_enter_getpid")
	if err != nil {
		t.Fatal(err)
	}
	attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_TRACEPOINT, Config: id, Sample: 1, Wakeup: 1}
	attr.Size = uint32(unix.PERF_ATTR_SIZE_VER0)
	pfd, err := unix.PerfEventOpen(&attr, -1, 0, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd)
	l, err := AttachPerfEvent(prog, pfd)
	if err != nil {
		t.Fatal(err)
	}
	triggerGetpid(5)
	if n := counter(t, counts); n < 5 {
		t.Fatalf("count = %d, want >= 5", n)
	}
	l.Close()
	l.Close()
}

// inNetns runs fn on a locked thread in a new network namespace whose
// loopback device (ifindex 1) nobody else uses. The thread is not reused.
func inNetns(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// No UnlockOSThread: the goroutine's thread ends with it, so the
		// namespace never leaks into other goroutines.
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare(CLONE_NEWNET): %v", err)
			return
		}
		fn()
	}()
	<-done
}

func TestAttachXDPAndTCX(t *testing.T) {
	requireKernel(t)
	xdp := testProg(t, progSpec{typ: progTypeXDP, attachType: attachTypeXDP, insns: []asm.Insn{asm.Mov.Imm(asm.R0, 2), asm.Exit()}}, "xdp")
	tc := testProg(t, progSpec{typ: progTypeSchedCLS, insns: []asm.Insn{asm.Mov.Imm(asm.R0, -1), asm.Exit()}}, "tc")
	inNetns(t, func() {
		for _, c := range []struct {
			name   string
			attach func() (*Link, error)
		}{
			{"xdp generic", func() (*Link, error) { return AttachXDP(xdp, 1, XDPFlagsSKBMode) }},
			{"tcx ingress", func() (*Link, error) { return AttachTCX(tc, 1, true) }},
			{"tcx egress", func() (*Link, error) { return AttachTCX(tc, 1, false) }},
		} {
			if strings.HasPrefix(c.name, "tcx") && !kbtf.HasEnumValue("bpf_attach_type", "BPF_TCX_INGRESS") {
				// tcx links came in 6.6; older kernels refuse them.
				if l, err := c.attach(); err == nil {
					l.Close()
					t.Errorf("%s: attached on a kernel without tcx", c.name)
				}
				continue
			}
			l, err := c.attach()
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if err := l.Close(); err != nil {
				t.Errorf("%s: close: %v", c.name, err)
			}
		}
		if l, err := AttachXDP(xdp, 1<<20, 0); err == nil {
			l.Close()
			t.Error("AttachXDP to a missing interface succeeded")
		} else if !strings.Contains(err.Error(), "ifindex 1048576") {
			t.Errorf("error %q does not name the interface", err)
		}
	})
}

func TestAttachCgroup(t *testing.T) {
	requireKernel(t)
	root := cgroup2Root(t)
	dir, err := os.MkdirTemp(root, "lskel-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir)
	prog := testProg(t, progSpec{typ: progTypeCgroupSKB, attachType: attachTypeCgroupInetEgress,
		insns: []asm.Insn{asm.Mov.Imm(asm.R0, 1), asm.Exit()}}, "cgroup_skb/egress")
	l, err := AttachCgroup(prog, dir, attachTypeCgroupInetEgress)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := AttachCgroup(prog, filepath.Join(dir, "missing"), attachTypeCgroupInetEgress); err == nil {
		t.Fatal("attach to a missing cgroup succeeded")
	}
}

// cgroup2Root finds a cgroup v2 mount.
func cgroup2Root(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "cgroup2" {
			return f[1]
		}
	}
	t.Fatal("no cgroup2 mount")
	return ""
}

// libcPath finds the C library, whose exit() every C program calls.
func libcPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{
		"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6",
		"/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("no libc.so.6 found")
	return ""
}

// Test binaries are built without a symbol table, so the probe goes on
// libc's getpid(), which the shell calls as it starts.
func TestAttachUprobe(t *testing.T) {
	requireKernel(t)
	libc := libcPath(t)
	off, err := elfsym.SymbolOffset(libc, "getpid")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := elfsym.SymbolOffset(libc, "no_such_symbol_here"); err == nil {
		t.Fatal("SymbolOffset found a missing symbol")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, retprobe := range []bool{false, true} {
		counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
		prog := testProg(t, progSpec{typ: progTypeKprobe, insns: counterInsns(counts.FD(), 0)}, "uprobe")
		l, err := AttachUprobe(prog, libc, off, retprobe, -1)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := exec.Command(sh, "-c", ":").Run(); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l.Close()
		if n := counter(t, counts); n < 3 {
			t.Fatalf("retprobe %v: probe on getpid fired %d times for 3 shells, want >= 3", retprobe, n)
		}
	}
	if _, err := AttachUprobe(&Program{name: "closed"}, "/no/such/binary", 0, false, -1); err == nil || !strings.Contains(err.Error(), "/no/such/binary") {
		t.Fatalf("uprobe on a missing binary: %v", err)
	}
}
