// Command counter is what a user of bpfgen writes: a go:generate line over
// a C file and a program that loads, attaches and reads the result. The
// test TestGoToolGenerate copies it into a fresh module.
package main

import (
	"fmt"
	"os"
	"syscall"
)

//go:generate go tool bpfgen generate -type event counter counter.c

func main() {
	opts := NewCounterOptions()
	opts.Rodata.TargetPid = uint32(os.Getpid())
	objs, err := LoadCounter(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	defer objs.Close()
	if err := objs.Attach(); err != nil {
		fmt.Fprintln(os.Stderr, "attach:", err)
		os.Exit(1)
	}
	for range 7 {
		syscall.Getpid()
	}
	n, err := objs.Counts.Lookup(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lookup:", err)
		os.Exit(1)
	}
	_ = CounterEvent{} // declared by -type event
	fmt.Printf("getpid calls: map %d, global %d\n", n, objs.BSS.Calls)
}
