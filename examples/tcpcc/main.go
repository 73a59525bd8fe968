// Command tcpcc registers a TCP congestion control written in BPF
// (bpf/tcpcc.bpf.c: Reno, with counters) through its generated Go light
// skeleton (tcpcc_lskel.go), sends data over a loopback TCP connection
// that uses it, prints what the BPF programs counted, and unregisters it.
//
// The congestion control is a struct_ops map: its name and other data
// members can be set from Go before load, like .rodata, and Attach
// registers it (through a link), Close unregisters it. Run it as root:
//
//	go run ./examples/tcpcc
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen skeleton bpf/tcpcc.bpf.o -ident tcpcc -o tcpcc_lskel.go

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ccName is the name the congestion control registers under, set from Go
// (the object's own is "bpfgen_reno").
const ccName = "bpfgen_go_reno"

// transfer is how many bytes main sends.
const transfer = 4 << 20

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tcpcc:", err)
		os.Exit(1)
	}
}

func run() error {
	opts := NewTcpccOptions()
	copy(opts.BpfgenReno.Name[:], ccName+"\x00")
	objs, err := LoadTcpcc(opts)
	if err != nil {
		return err
	}
	defer objs.Close()
	if err := objs.Attach(); err != nil {
		return err
	}
	if ok, err := available(ccName); err != nil || !ok {
		return fmt.Errorf("%s registered but not in the kernel's list (%v)", ccName, err)
	}

	if err := send(ccName, transfer); err != nil {
		return err
	}
	b := objs.BSS
	fmt.Printf("sent %d bytes over loopback TCP with congestion control %s\n", transfer, ccName)
	fmt.Printf("  connections started = %d\n", b.Inits)
	fmt.Printf("  ACKs (cong_avoid)   = %d, acknowledging %d packets\n", b.Acks, b.Acked)
	fmt.Printf("  losses (ssthresh)   = %d\n", b.Losses)
	fmt.Printf("  largest cwnd        = %d\n", b.MaxCwnd)
	if b.Inits == 0 || b.Acks == 0 || b.Acked == 0 || b.MaxCwnd == 0 {
		return errors.New("the congestion control did not see the connection")
	}

	if err := objs.Close(); err != nil {
		return err
	}
	if ok, err := available(ccName); err != nil || ok {
		return fmt.Errorf("%s still registered after Close (%v)", ccName, err)
	}
	fmt.Printf("unregistered: %s is gone from net.ipv4.tcp_available_congestion_control\n", ccName)
	return nil
}

// available reports whether the kernel lists the congestion control name.
func available(name string) (bool, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		return false, err
	}
	for _, n := range strings.Fields(string(b)) {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// send writes n bytes to a loopback TCP listener from a socket using the
// congestion control cc, and waits for the listener to have read them.
func send(cc string, n int) error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		m, err := io.Copy(io.Discard, c)
		if err == nil && m != int64(n) {
			err = fmt.Errorf("received %d bytes of %d", m, n)
		}
		got <- err
	}()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		}); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("TCP_CONGESTION %s: %w", cc, serr)
		}
		return nil
	}}
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		return err
	}
	if _, err := c.Write(make([]byte, n)); err != nil {
		c.Close()
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	return <-got
}
