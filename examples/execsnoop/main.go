// Command execsnoop prints one line per program executed on the machine:
// the pid, the parent's pid, the command name and the file executed. The
// BPF program (execsnoop.bpf.c) runs on the sched_process_exec tracepoint
// and sends one struct event per exec over a ring buffer, read as typed
// records until the context is cancelled (Ctrl-C). Run it as root:
//
//	go run ./examples/execsnoop
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target bpfel -type event execsnoop execsnoop.bpf.c -- -I../../testdata

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/bpfgen/bpfgen/lskel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("%-8s %-8s %-16s %s\n", "PID", "PPID", "COMM", "FILE")
	err := snoop(ctx, func(e *ExecsnoopEvent) {
		fmt.Printf("%-8d %-8d %-16s %s\n", e.Pid, e.Ppid, cString(e.Comm[:]), cString(e.Filename[:]))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "execsnoop:", err)
		os.Exit(1)
	}
}

// snoop loads and attaches the program, then calls emit with each exec
// until ctx is done.
func snoop(ctx context.Context, emit func(*ExecsnoopEvent)) error {
	objs, err := LoadExecsnoop(nil)
	if err != nil {
		return err
	}
	defer objs.Close()
	if err := objs.Attach(); err != nil {
		return err
	}
	// Records typed as the C struct event (-type event declared it).
	rd, err := lskel.NewTypedRingBuf[ExecsnoopEvent](objs.Events)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		// Read gives up when ctx is done: that is how ctx ends the loop.
		e, err := rd.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		emit(&e)
	}
}

// cString is the text of a NUL-terminated C string.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
