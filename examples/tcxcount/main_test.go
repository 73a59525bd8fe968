package main

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestTCXCount attaches the counter to the tcx ingress of the near end
// of a veth pair and sends datagrams to two ports from the far end, in
// another network namespace: the map holds each port's count.
func TestTCXCount(t *testing.T) {
	testutil.RequireLoaders(t)
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &major, &minor)
	testutil.RequireFeature(t, major > 6 || major == 6 && minor >= 6, "tcx links", "6.6")
	v := testutil.NewVeth(t)
	objs, l, err := attach(v.Index)
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	defer l.Close()
	want := map[uint16]uint64{5353: 4, 6464: 11}
	for port, n := range want {
		if err := v.SendUDP(int(port), int(n), []byte("bpfgen")); err != nil {
			t.Fatal(err)
		}
	}
	var got map[uint16]uint64
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got, err = portCounts(objs); err != nil {
			t.Fatal(err)
		}
		if got[5353] == want[5353] && got[6464] == want[6464] {
			break
		}
	}
	for port, n := range want {
		if got[port] != n {
			t.Errorf("port %d: %d datagrams; want %d (all counts: %v)", port, got[port], n, got)
		}
	}
}
