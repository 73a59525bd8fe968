// Command xdpcount counts the UDP datagrams to a port arriving on a
// network interface, with an XDP program (xdpcount.bpf.c) that keeps
// per-CPU counters, and prints the totals every second. Run it as root:
//
//	go run ./examples/xdpcount eth0 53
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target bpfel xdpcount xdpcount.bpf.c -- -I../../testdata

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/bpfgen/bpfgen/lskel"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: xdpcount <interface> <udp port>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "xdpcount:", err)
		os.Exit(1)
	}
}

func run(ifname, portArg string) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	port, err := strconv.ParseUint(portArg, 10, 16)
	if err != nil {
		return fmt.Errorf("port %q: %w", portArg, err)
	}
	c, err := attach(ifi.Index, uint16(port))
	if err != nil {
		return err
	}
	defer c.Close()
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
		packets, bytes, err := c.Total()
		if err != nil {
			return err
		}
		fmt.Printf("%s udp/%d: %d packets, %d bytes\n", ifname, port, packets, bytes)
	}
}

// counter is the XDP program attached to an interface.
type counter struct {
	objs *XdpcountObjects
	link *lskel.Link
}

// attach loads the program counting datagrams to port and attaches it to
// the interface ifindex.
func attach(ifindex int, port uint16) (*counter, error) {
	opts := NewXdpcountOptions()
	opts.Rodata.Port = port
	objs, err := LoadXdpcount(opts)
	if err != nil {
		return nil, err
	}
	l, err := objs.CountUdp.AttachXDP(ifindex, 0)
	if err != nil {
		objs.Close()
		return nil, err
	}
	return &counter{objs: objs, link: l}, nil
}

// Total sums the per-CPU counters.
func (c *counter) Total() (packets, bytes uint64, err error) {
	perCPU, err := c.objs.Counts.Lookup(0)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range perCPU {
		packets += d.Packets
		bytes += d.Bytes
	}
	return packets, bytes, nil
}

// Close detaches and unloads the program.
func (c *counter) Close() error {
	err := c.link.Close()
	if cerr := c.objs.Close(); err == nil {
		err = cerr
	}
	return err
}
