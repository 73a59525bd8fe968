package main

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestTCPCongestionControl runs the example: register the BPF congestion
// control, carry a loopback TCP connection with it, check its counters,
// unregister it and check that the kernel no longer lists it.
//
// The skeleton's loader is laid out for the tcp_congestion_ops of the
// kernel it was generated on; a kernel that orders the struct otherwise
// (Linux 7.3 does) must refuse it naming a member, and a loader generated
// for that kernel must then do the same job.
func TestTCPCongestionControl(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.TCPCongestionOps.Require(t)
	behave.StructOpsLinks.Require(t) // the example registers through a link
	err := run()
	var le *lskel.LoadError
	if errors.As(err, &le) && strings.HasPrefix(le.Step, "check member ") {
		t.Logf("this kernel lays tcp_congestion_ops out otherwise than the skeleton's: %v", err)
		runGenerated(t)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
}

// runGenerated generates the object's loader for the running kernel,
// registers the congestion control and carries a connection with it.
func runGenerated(t *testing.T) {
	obj, err := object.Open("bpf/tcpcc.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	var so lskel.StructOpsContext
	res, err := lskel.Run(&l.Loader, &lskel.RunOptions{StructOps: so.Prepare})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	link, err := lskel.AttachStructOps(res, &so, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	const name = "bpfgen_reno" // the object's own name
	if ok, err := available(name); err != nil || !ok {
		t.Fatalf("%s not registered (%v)", name, err)
	}
	if err := send(name, transfer); err != nil {
		t.Fatal(err)
	}
	bss := res.Map(0) // .bss: inits, acks, acked, losses, max_cwnd
	v := make([]byte, bss.ValueSize())
	if err := bss.Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	inits, acks := binary.NativeEndian.Uint64(v), binary.NativeEndian.Uint64(v[8:])
	if inits == 0 || acks == 0 {
		t.Errorf("the congestion control did not see the connection: inits %d, acks %d", inits, acks)
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := available(name); ok {
		t.Errorf("%s still registered after closing its link", name)
	}
}
