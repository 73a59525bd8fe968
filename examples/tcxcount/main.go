// Command tcxcount counts the UDP datagrams arriving on a network
// interface by destination port, with a tc program on the interface's
// tcx ingress hook (Linux 6.6+; tcxcount.bpf.c), and prints the counts
// every second. Run it as root:
//
//	go run ./examples/tcxcount eth0
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target bpfel tcxcount tcxcount.bpf.c -- -I../../testdata

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/bpfgen/bpfgen/lskel"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tcxcount <interface>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "tcxcount:", err)
		os.Exit(1)
	}
}

func run(ifname string) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	objs, l, err := attach(ifi.Index)
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
		counts, err := portCounts(objs)
		if err != nil {
			return err
		}
		for _, port := range slices.Sorted(maps.Keys(counts)) {
			fmt.Printf("udp/%d: %d\n", port, counts[port])
		}
	}
}

// attach loads the program and attaches it to the tcx ingress hook of
// the interface ifindex.
func attach(ifindex int) (*TcxcountObjects, *lskel.Link, error) {
	objs, err := LoadTcxcount(nil)
	if err != nil {
		return nil, nil, err
	}
	l, err := objs.CountPorts.AttachTCX(ifindex, true)
	if err != nil {
		objs.Close()
		return nil, nil, err
	}
	return objs, l, nil
}

// portCounts reads the map: datagrams by destination port.
func portCounts(objs *TcxcountObjects) (map[uint16]uint64, error) {
	counts := map[uint16]uint64{}
	err := objs.Ports.Iterate(func(port uint16, n uint64) bool {
		counts[port] = n
		return true
	})
	return counts, err
}
