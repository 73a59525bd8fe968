package testutil

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Veth is a veth pair between this network namespace and a new one: the
// near end is an interface here, the far end is in the namespace. Packets
// sent from the far end to NearAddr arrive on the near end (its ingress).
type Veth struct {
	// Name and Index are the near end's.
	Name  string
	Index int
	// NearAddr and FarAddr are the ends' IPv4 addresses (one /30).
	NearAddr, FarAddr netip.Addr
	// far runs functions on the thread that is in the namespace.
	far chan func()
}

// vethSeq numbers the pairs of this process.
var vethSeq int

// NewVeth makes a veth pair with one end in a new network namespace, both
// up and addressed, with the ip command; cleanup deletes both. The
// namespace is held by a thread, not named under /run/netns, so that it
// works on a read-only root (the kernel matrix's guests). It skips, naming
// CONFIG_VETH, on a kernel without veth devices.
func NewVeth(tb testing.TB) *Veth {
	tb.Helper()
	RequireKernel(tb)
	ip := RequireTool(tb, "ip", "making a veth pair")
	vethSeq++
	n := os.Getpid()%250 + 1
	v := &Veth{
		Name:     "bgv" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(vethSeq),
		NearAddr: netip.AddrFrom4([4]byte{10, 249, byte(n), byte(4*vethSeq + 1)}),
		FarAddr:  netip.AddrFrom4([4]byte{10, 249, byte(n), byte(4*vethSeq + 2)}),
		far:      make(chan func()),
	}
	if len(v.Name) > unix.IFNAMSIZ-1 || vethSeq > 60 {
		tb.Fatalf("veth name %q or sequence %d too long", v.Name, vethSeq)
	}
	tid := make(chan int)
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the Go runtime ends a locked thread whose
		// goroutine exits, so no other goroutine runs in the namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("new network namespace: %w", err)
			return
		}
		tid <- unix.Gettid()
		for f := range v.far {
			f()
		}
	}()
	var farTID int
	select {
	case err := <-errc:
		tb.Fatal(err)
	case farTID = <-tid:
	}
	tb.Cleanup(func() { close(v.far) })
	ipCmd := func(args ...string) error {
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	// A number after netns is a process whose namespace to use: the
	// holding thread's id names it through /proc.
	err := ipCmd("link", "add", v.Name, "type", "veth", "peer", "name", "far0", "netns", strconv.Itoa(farTID))
	if err != nil && strings.Contains(err.Error(), "Unknown device type") {
		RequireFeature(tb, false, "veth devices (CONFIG_VETH)", "2.6.24")
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = exec.Command(ip, "link", "del", v.Name).Run() })
	for _, args := range [][]string{
		{"addr", "add", v.NearAddr.String() + "/30", "dev", v.Name},
		{"link", "set", v.Name, "up"},
	} {
		if err := ipCmd(args...); err != nil {
			tb.Fatal(err)
		}
	}
	// Children inherit the namespace of the thread that forks them.
	if err := v.onFar(func() error {
		for _, args := range [][]string{
			{"addr", "add", v.FarAddr.String() + "/30", "dev", "far0"},
			{"link", "set", "far0", "up"},
			{"link", "set", "lo", "up"},
		} {
			if err := ipCmd(args...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile("/sys/class/net/" + v.Name + "/ifindex")
	if err != nil {
		tb.Fatalf("index of %s: %v", v.Name, err)
	}
	if v.Index, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		tb.Fatalf("index of %s: %v", v.Name, err)
	}
	return v
}

// onFar runs f on the thread in the far end's namespace.
func (v *Veth) onFar(f func() error) error {
	errc := make(chan error, 1)
	v.far <- func() { errc <- f() }
	return <-errc
}

// SendUDP sends n UDP datagrams of payload from the far end to
// NearAddr:port.
func (v *Veth) SendUDP(port, n int, payload []byte) error {
	return v.onFar(func() error {
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(s)
		to := &unix.SockaddrInet4{Port: port, Addr: v.NearAddr.As4()}
		for range n {
			if err := unix.Sendto(s, payload, 0, to); err != nil {
				return fmt.Errorf("send to %v:%d: %w", v.NearAddr, port, err)
			}
		}
		return nil
	})
}
