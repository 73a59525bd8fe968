package main

import (
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestXDPCount attaches the counter to the near end of a veth pair and
// sends datagrams from the far end, in another network namespace: the
// per-CPU counters add up to the datagrams to the port, and datagrams to
// another port are not counted.
func TestXDPCount(t *testing.T) {
	testutil.RequireLoaders(t)
	v := testutil.NewVeth(t)
	const port, sent = 4242, 25
	payload := make([]byte, 100)
	c, err := attach(v.Index, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := v.SendUDP(port+1, 7, payload); err != nil {
		t.Fatal(err)
	}
	if err := v.SendUDP(port, sent, payload); err != nil {
		t.Fatal(err)
	}
	// veth hands packets to the receiving side's NAPI: they may be
	// counted a little after the send returns.
	var packets, bytes uint64
	for deadline := time.Now().Add(2 * time.Second); packets < sent && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if packets, bytes, err = c.Total(); err != nil {
			t.Fatal(err)
		}
	}
	// Ethernet, IPv4 and UDP headers: 14 + 20 + 8 bytes.
	if want := uint64(sent * (14 + 20 + 8 + len(payload))); packets != sent || bytes != want {
		t.Errorf("counted %d packets, %d bytes; want %d, %d", packets, bytes, sent, want)
	}
}
