//go:build linux

// Command ciliumso is a bpf2go user's TCP congestion control, with the
// Go file bpfgen generate -api cilium emits: it loads the object, tells
// its driver (TestCiliumStructOps, on stdin and stdout) at each step and
// waits for it to check the kernel, registers the struct_ops map with
// cilium/ebpf's link.AttachStructOps, reads the counters through
// cilium/ebpf Variables once the driver has carried a connection with
// it, and closes the link and the objects.
package main

//go:generate go tool bpfgen generate -api cilium -tags linux tcpcc tcpcc.c -- -I.

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf/link"
)

func main() {
	if err := run(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func run() error {
	in := bufio.NewScanner(os.Stdin)
	step := func(s string) error {
		fmt.Println(s)
		if !in.Scan() {
			return fmt.Errorf("after %q: no go-ahead on stdin", s)
		}
		return nil
	}
	var objs tcpccObjects
	if err := loadTcpccObjects(&objs, nil); err != nil {
		return err
	}
	defer objs.Close()
	if err := step("loaded"); err != nil {
		return err
	}
	l, err := link.AttachStructOps(link.StructOpsOptions{Map: objs.BpfgenReno})
	if err != nil {
		return err
	}
	defer l.Close()
	if err := step("attached"); err != nil {
		return err
	}
	var inits, acks, acked uint64
	var maxCwnd uint32
	for _, v := range []struct {
		name string
		get  func() error
	}{
		{"inits", func() error { return objs.Inits.Get(&inits) }},
		{"acks", func() error { return objs.Acks.Get(&acks) }},
		{"acked", func() error { return objs.Acked.Get(&acked) }},
		{"max_cwnd", func() error { return objs.MaxCwnd.Get(&maxCwnd) }},
	} {
		if err := v.get(); err != nil {
			return fmt.Errorf("variable %s: %w", v.name, err)
		}
	}
	fmt.Printf("counted: inits %d, acks %d acknowledging %d packets, largest cwnd %d\n", inits, acks, acked, maxCwnd)
	if inits == 0 || acks == 0 || acked == 0 || maxCwnd == 0 {
		return errors.New("the congestion control did not see the connection")
	}
	if err := l.Close(); err != nil {
		return err
	}
	if err := objs.Close(); err != nil {
		return err
	}
	fmt.Println("closed")
	return nil
}
