package behave

import (
	"bytes"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
)

// checkStructOps registers each congestion control of testdata/structops
// (one through a link, one by writing its map), carries a loopback TCP
// connection with it, checks that its programs ran, and that
// unregistering removes it from the kernel's list.
func checkStructOps(e *env) {
	for i, m := range e.obj.Maps {
		so := m.StructOps
		if so == nil {
			continue
		}
		value := e.structOps[i]
		if value == nil {
			e.fatalf("no value for struct_ops map %s", m.Name)
		}
		name := strings.TrimRight(string(so.Data[88:104]), "\x00") // tcp_congestion_ops.name
		if HasCongestionControl(name) {
			e.fatalf("%s is registered before the test", name)
		}
		before := e.uint("acked_calls")
		link, err := kernel.RegisterStructOps(e.maps[i], value, so.Link)
		if err != nil {
			e.fatalf("register %s: %v", m.Name, err)
		}
		if !HasCongestionControl(name) {
			e.errorf("%s registered, but %s is not available", m.Name, name)
		}
		if err := TCPTransfer(name, 1<<20); err != nil {
			e.errorf("TCP transfer with %s: %v", name, err)
		}
		if after := e.uint("acked_calls"); after <= before {
			e.errorf("%s: cong_avoid ran %d times during the transfer, want some", name, after-before)
		}
		if so.Link {
			err = kernel.Close(link)
		} else {
			err = kernel.UnregisterStructOps(e.maps[i])
		}
		if err != nil {
			e.fatalf("unregister %s: %v", m.Name, err)
		}
		if HasCongestionControl(name) {
			e.errorf("%s unregistered, but %s is still available", m.Name, name)
		}
	}
}

// HasCongestionControl reports whether the kernel lists name in
// net.ipv4.tcp_available_congestion_control.
func HasCongestionControl(name string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	return err == nil && slices.Contains(strings.Fields(string(b)), name)
}

// TCPTransfer sends n bytes over a loopback TCP connection whose sender
// uses the congestion control cc (TCP_CONGESTION), and checks that they
// arrive and that the socket used cc.
func TCPTransfer(cc string, n int) error {
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
			err = io.ErrUnexpectedEOF
		}
		got <- err
	}()
	var setErr error
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		if err := rc.Control(func(fd uintptr) {
			setErr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		}); err != nil {
			return err
		}
		return setErr
	}}
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		return err
	}
	var used string
	if rc, err := c.(*net.TCPConn).SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			used, _ = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
		})
	}
	if used != cc {
		c.Close()
		return &net.OpError{Op: "TCP_CONGESTION", Err: os.ErrInvalid}
	}
	if _, err := c.Write(bytes.Repeat([]byte{'x'}, n)); err != nil {
		c.Close()
		return err
	}
	c.Close()
	return <-got
}
