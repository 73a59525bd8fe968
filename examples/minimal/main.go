// Command minimal is the bpfgen demo: it loads testdata/minimal.bpf.o
// through its generated Go light skeleton (minimal_lskel.go), attaches it to
// the syscalls/sys_enter_getpid tracepoint, calls getpid() a few times and
// prints what the BPF program counted, read from its .bss section (mapped
// into this process) and from its hash map.
//
// The skeleton embeds the object's loader program: nothing here parses ELF
// or BTF, and the binary needs neither libbpf nor cgo. Run it as root:
//
//	go run ./examples/minimal
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen skeleton ../../testdata/minimal.bpf.o -ident minimal -o minimal_lskel.go

import (
	"fmt"
	"os"
	"syscall"
)

// calls is how many times main calls getpid().
const calls = 5

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

func run() error {
	pid := os.Getpid()

	// .rodata is set before load: count only this process's getpid()s.
	opts := NewMinimalOptions()
	opts.Rodata.FilterPid = uint32(pid)
	objs, err := LoadMinimal(opts)
	if err != nil {
		return err
	}
	defer objs.Close()

	if err := mountTracefs(); err != nil {
		return err
	}
	if err := objs.Attach(); err != nil {
		return err
	}

	for range calls {
		syscall.Getpid()
	}

	n, err := objs.Counts.Lookup(uint32(pid))
	if err != nil {
		return fmt.Errorf("counts[%d]: %w", pid, err)
	}
	fmt.Printf("called getpid() %d times from pid %d\n", calls, pid)
	fmt.Printf("  .bss calls       = %d\n", objs.BSS.Calls)
	fmt.Printf("  counts[%d] = %d\n", pid, n)
	// The Go runtime may call getpid() itself (to signal its threads), so
	// the counts are at least, not exactly, ours.
	if n < calls || objs.BSS.Calls < calls {
		return fmt.Errorf("counted %d (map) and %d (.bss) getpid() calls, want at least %d", n, objs.BSS.Calls, calls)
	}
	return objs.Close()
}

// mountTracefs mounts tracefs when it is not mounted (some systems do not
// mount it at boot): attaching to a tracepoint reads its id there.
func mountTracefs() error {
	const dir = "/sys/kernel/tracing"
	// syscall.Access rather than os.Stat: os.FileInfo would link time
	// formatting into this small binary.
	if syscall.Access(dir+"/events", 0) == nil {
		return nil
	}
	if err := syscall.Mount("tracefs", dir, "tracefs", 0, ""); err != nil {
		return fmt.Errorf("mount tracefs on %s: %w", dir, err)
	}
	return nil
}
