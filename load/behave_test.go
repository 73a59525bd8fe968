package load_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// TestBehaviour loads every loadable test object directly, triggers its
// programs and checks their effects (testdata/README.md).
func TestBehaviour(t *testing.T) {
	testutil.RequireKernel(t)
	for _, name := range behave.Objects {
		t.Run(name, func(t *testing.T) {
			behave.Require(t, name)
			obj, err := object.Open(testutil.Object(name))
			if err != nil {
				t.Fatal(err)
			}
			behave.SetContents(t, obj, behave.InitialValues(t, name, obj))
			pinRoot := testutil.PinDir(t)
			res, err := load.Load(obj, &load.Direct{PinRoot: pinRoot}, nil)
			if err != nil {
				t.Fatalf("direct load of %s: %v", name, err)
			}
			defer func() {
				for _, h := range res.Handles() {
					unix.Close(int(h))
				}
			}()
			maps := handleFDs(res.Maps)
			behave.CheckStructOps(t, name, obj, maps, handleFDs(res.Programs), res.StructOps)
			checkPins(t, obj, pinRoot, maps)
		})
	}
}

// checkPins checks that every map declared LIBBPF_PIN_BY_NAME is pinned
// as <pin root>/<name> and that the pin is the map the load returned.
func checkPins(t *testing.T, obj *object.Object, pinRoot string, mapFDs []int) {
	t.Helper()
	for i, m := range obj.Maps {
		if m.Pinning == 0 {
			continue
		}
		path := filepath.Join(pinRoot, m.Name)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("map %s: pin: %v", m.Name, err)
			continue
		}
		fd, err := kernel.ObjGet(path, 0)
		if err != nil {
			t.Errorf("map %s: opening pin %s: %v", m.Name, path, err)
			continue
		}
		pinned, err := kernel.GetMapInfo(fd)
		unix.Close(fd)
		if err != nil {
			t.Fatalf("map %s: info of pin %s: %v", m.Name, path, err)
		}
		loaded, err := kernel.GetMapInfo(mapFDs[i])
		if err != nil {
			t.Fatalf("map %s: info: %v", m.Name, err)
		}
		if pinned.ID != loaded.ID {
			t.Errorf("map %s: pin %s is map id %d, the load returned id %d", m.Name, path, pinned.ID, loaded.ID)
		}
	}
}

func handleFDs(hs []load.Handle) []int {
	fds := make([]int, len(hs))
	for i, h := range hs {
		fds[i] = int(h)
	}
	return fds
}
