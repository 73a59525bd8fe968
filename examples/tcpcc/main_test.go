package main

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestTCPCongestionControl runs the example: register the BPF congestion
// control, carry a loopback TCP connection with it, check its counters,
// unregister it and check that the kernel no longer lists it.
func TestTCPCongestionControl(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.TCPCongestionOps.Require(t)
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
