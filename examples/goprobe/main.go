// Command goprobe counts the calls of a function of a Go program, by its
// symbol (such as main.someFunc), with a uprobe (goprobe.bpf.c) that also
// sums the function's first argument, an int, read from the register Go
// passes it in. It prints the counts every second. Run it as root:
//
//	go run ./examples/goprobe /path/to/program main.someFunc
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target amd64,arm64 goprobe goprobe.bpf.c -- -I../../testdata

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goprobe <go binary> <function symbol>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "goprobe:", err)
		os.Exit(1)
	}
}

func run(binary, symbol string) error {
	objs, l, err := attach(binary, symbol)
	if err != nil {
		return err
	}
	defer objs.Close()
	defer l.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		// .bss is mapped: these read the kernel's counters.
		fmt.Printf("%s: %d calls, arguments sum to %d\n", symbol, objs.BSS.Calls, objs.BSS.ArgSum)
	}
}

// attach loads the program and attaches it to symbol in binary, in every
// process that runs it.
func attach(binary, symbol string) (*GoprobeObjects, *lskel.Link, error) {
	objs, err := LoadGoprobe(nil)
	if err != nil {
		return nil, nil, err
	}
	l, err := lskel.AttachUprobeSymbol(objs.GoFunc.Program, binary, symbol, &lskel.UprobeOptions{SymbolOffset: elfsym.SymbolOffset})
	if err != nil {
		objs.Close()
		return nil, nil, err
	}
	return objs, l, nil
}
