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
	netns             string
}

// NewVeth makes a veth pair with one end in a new network namespace, both
// up and addressed, with the ip command; cleanup deletes both. Each call
// gets names and a /30 of its own.
func NewVeth(tb testing.TB) *Veth {
	tb.Helper()
	RequireKernel(tb)
	ip := RequireTool(tb, "ip", "making a veth pair")
	n := os.Getpid()%250 + 1
	vethSeq++
	tag := strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(vethSeq)
	v := &Veth{
		Name:     "bgv" + tag,
		NearAddr: netip.AddrFrom4([4]byte{10, 249, byte(n), byte(4*vethSeq + 1)}),
		FarAddr:  netip.AddrFrom4([4]byte{10, 249, byte(n), byte(4*vethSeq + 2)}),
		netns:    "bpfgen-" + tag,
	}
	if len(v.Name) > unix.IFNAMSIZ-1 || vethSeq > 60 {
		tb.Fatalf("veth name %q or sequence %d too long", v.Name, vethSeq)
	}
	run := func(args ...string) {
		tb.Helper()
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			tb.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", v.netns)
	tb.Cleanup(func() { _ = exec.Command(ip, "netns", "del", v.netns).Run() })
	run("link", "add", v.Name, "type", "veth", "peer", "name", "far0", "netns", v.netns)
	tb.Cleanup(func() { _ = exec.Command(ip, "link", "del", v.Name).Run() })
	run("addr", "add", v.NearAddr.String()+"/30", "dev", v.Name)
	run("link", "set", v.Name, "up")
	run("-n", v.netns, "addr", "add", v.FarAddr.String()+"/30", "dev", "far0")
	run("-n", v.netns, "link", "set", "far0", "up")
	run("-n", v.netns, "link", "set", "lo", "up")
	ifi, err := netInterfaceIndex(v.Name)
	if err != nil {
		tb.Fatal(err)
	}
	v.Index = ifi
	return v
}

var vethSeq int

func netInterfaceIndex(name string) (int, error) {
	b, err := os.ReadFile("/sys/class/net/" + name + "/ifindex")
	if err != nil {
		return 0, fmt.Errorf("index of %s: %w", name, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// SendUDP sends n UDP datagrams of payload from the far end to
// NearAddr:port.
func (v *Veth) SendUDP(port, n int, payload []byte) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the Go runtime ends a locked thread whose
		// goroutine exits, so no other goroutine runs in the namespace.
		runtime.LockOSThread()
		errc <- v.sendUDP(port, n, payload)
	}()
	return <-errc
}

func (v *Veth) sendUDP(port, n int, payload []byte) error {
	ns, err := unix.Open("/run/netns/"+v.netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", v.netns, err)
	}
	defer unix.Close(ns)
	if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter network namespace %s: %w", v.netns, err)
	}
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
}
