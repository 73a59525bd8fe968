package load_test

import (
	"github.com/bpfgen/bpfgen/internal/behave"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// availableCC is the kernel's list of registered TCP congestion controls.
func availableCC(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func hasCC(t *testing.T, name string) bool {
	t.Helper()
	for _, n := range availableCC(t) {
		if n == name {
			return true
		}
	}
	return false
}

// TestStructOpsDirect: the struct_ops maps of testdata/structops load with
// the kernel's value type and their programs against the kernel's struct;
// registering each (through a link, and by writing the map) makes its
// congestion control available, and unregistering removes it.
func TestStructOpsDirect(t *testing.T) {
	testutil.RequireKernel(t)
	behave.Require(t, "structops")
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.LoadDirect(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, h := range res.Handles() {
			unix.Close(int(h))
		}
	}()
	for i, m := range obj.Maps {
		if m.StructOps == nil {
			continue
		}
		fd := int(res.Maps[i])
		info, err := kernel.GetMapInfo(fd)
		if err != nil {
			t.Fatal(err)
		}
		if info.Type != uint32(object.MapTypeStructOps) || info.BTFVmlinuxValueTypeID == 0 || info.Flags != m.Flags {
			t.Errorf("map %s: %+v", m.Name, info)
		}
		value := res.StructOps[i]
		if len(value) != int(info.ValueSize) {
			t.Fatalf("map %s: value of %d bytes, map's is %d", m.Name, len(value), info.ValueSize)
		}
		name := strings.TrimRight(string(m.StructOps.Data[88:104]), "\x00")
		if hasCC(t, name) {
			t.Fatalf("%s is registered before the test", name)
		}
		link, err := kernel.RegisterStructOps(fd, value, m.StructOps.Link)
		if err != nil {
			t.Fatalf("register %s: %v", m.Name, err)
		}
		if !hasCC(t, name) {
			t.Errorf("map %s registered, but %s is not in %v", m.Name, name, availableCC(t))
		}
		if m.StructOps.Link {
			err = kernel.Close(link)
		} else {
			err = kernel.UnregisterStructOps(fd)
		}
		if err != nil {
			t.Fatalf("unregister %s: %v", m.Name, err)
		}
		if hasCC(t, name) {
			t.Errorf("map %s unregistered, but %s is still in %v", m.Name, name, availableCC(t))
		}
	}
}
