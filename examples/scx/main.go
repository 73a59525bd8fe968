// Command scx runs a minimal sched_ext scheduler written in BPF
// (bpf/scx.bpf.c: one global FIFO) through its generated Go light skeleton
// (scx_lskel.go): Attach registers it with the kernel, which then
// schedules every task with it, and Close unregisters it, after which the
// kernel falls back to its default scheduler. It needs a kernel with
// sched_ext (CONFIG_SCHED_CLASS_EXT, Linux 6.12). Run it as root:
//
//	go run ./examples/scx
//
// The skeleton is generated on any machine: where the kernel has no
// sched_ext, the loader lays the scheduler's value out as bpf/sched_ext.h
// declares struct sched_ext_ops, and checks that layout against the
// running kernel before it loads.
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen skeleton bpf/scx.bpf.o -ident scx -o scx_lskel.go

// The same scheduler through bpf2go's interface over cilium/ebpf, for
// TestSchedulerCilium only.
//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -api cilium -target bpfel -output-suffix _test scxCilium bpf/scx.bpf.c -- -I../../testdata

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

const schedExt = "/sys/kernel/sched_ext"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scx:", err)
		os.Exit(1)
	}
}

func run() error {
	opts := NewScxOptions()
	opts.Rodata.TargetTgid = uint32(os.Getpid())
	opts.BpfgenFifo.TimeoutMs = 3000 // the watchdog: a task not run in 3 s disables the scheduler
	objs, err := LoadScx(opts)
	if err != nil {
		return err
	}
	defer objs.Close()
	if err := objs.Attach(); err != nil {
		return err
	}
	if err := waitState("enabled"); err != nil {
		return err
	}
	ops, err := readTrim(schedExt + "/root/ops")
	if err != nil {
		return err
	}
	if ops != "bpfgen_fifo" {
		return fmt.Errorf("%s/root/ops = %q, want bpfgen_fifo", schedExt, ops)
	}
	fmt.Printf("sched_ext: enabled, scheduler %s\n", ops)

	// Keep this process's threads busy so the scheduler runs them.
	before := objs.BSS.TargetRuns
	busy(4, 200*time.Millisecond)
	b := objs.BSS
	fmt.Printf("  tasks queued        = %d\n", b.Enqueued)
	fmt.Printf("  runs of this process = %d\n", b.TargetRuns-before)
	if b.Inits != 1 || b.Enqueued == 0 || b.TargetRuns == before {
		return fmt.Errorf("the scheduler did not schedule this process (inits %d, queued %d, runs %d)", b.Inits, b.Enqueued, b.TargetRuns-before)
	}

	if err := objs.Close(); err != nil {
		return err
	}
	if err := waitState("disabled"); err != nil {
		return err
	}
	fmt.Println("unregistered: sched_ext disabled, the default scheduler is back")
	return nil
}

// busy runs n goroutines (on as many threads) spinning and yielding for d.
func busy(n int, d time.Duration) {
	done := make(chan struct{})
	for range n {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for end := time.Now().Add(d); time.Now().Before(end); {
				runtime.Gosched()
				time.Sleep(time.Millisecond)
			}
			done <- struct{}{}
		}()
	}
	for range n {
		<-done
	}
}

// waitState waits up to two seconds for /sys/kernel/sched_ext/state to
// read want: the kernel enables and disables a scheduler asynchronously.
func waitState(want string) error {
	var got string
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		s, err := readTrim(schedExt + "/state")
		if err != nil {
			return err
		}
		if got = s; got == want {
			return nil
		}
	}
	return fmt.Errorf("%s/state is %q, want %q", schedExt, got, want)
}

func readTrim(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: this kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT)", path)
	}
	return strings.TrimSpace(string(b)), err
}
