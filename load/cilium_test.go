package load_test

import (
	"fmt"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/load"
)

// ciliumObjects lists every loadable testdata object and, where
// github.com/cilium/ebpf v0.22.0 cannot load it, why (testdata/README.md);
// those objects are compared with libbpf instead.
var ciliumObjects = []struct {
	name       string
	skipReason string
}{
	{name: "minimal"},
	{name: "maps"},
	{name: "globals"},
	{name: "subprogs"},
	{name: "core"},
	{name: "kconfig", skipReason: `cilium/ebpf rejects weak kconfig externs ("unsupported binding: STB_WEAK")`},
	{name: "ksyms", skipReason: `cilium/ebpf rejects typeless ksyms ("expected bpf_prog_put to be *Void, not *btf.Var")`},
	{name: "mapinmap"},
	{name: "iter"},
	{name: "progtypes"},
	{name: "many"},
}

// TestCiliumDifferential loads each object with cilium/ebpf and with the
// direct backend and compares what the kernel holds: map definitions and
// contents, program headers and translated instructions with map ids
// replaced by the map's index in the object. cilium/ebpf applies CO-RE in
// user space and we leave it to the kernel: the translated instructions
// must agree all the same.
func TestCiliumDifferential(t *testing.T) {
	testutil.RequireKernel(t)
	for _, tt := range ciliumObjects {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipReason != "" {
				t.Skip(tt.skipReason)
			}
			path := testutil.Object(tt.name)
			obj := openObject(t, tt.name)

			spec, err := ebpf.LoadCollectionSpec(path)
			if err != nil {
				t.Fatalf("cilium: %v", err)
			}
			coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
				Maps: ebpf.MapOptions{PinPath: testutil.PinDir(t)},
			})
			if err != nil {
				t.Fatalf("cilium: %v", err)
			}
			defer coll.Close()

			res, err := load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t)}, nil)
			if err != nil {
				t.Fatalf("direct load: %v", err)
			}
			defer closeHandles(res.Handles())

			// cilium's maps in our object's order, by name.
			ciliumMaps := make([]int, len(obj.Maps))
			ourMaps := make([]int, len(obj.Maps))
			for i, m := range obj.Maps {
				cm := coll.Maps[m.Name]
				if cm == nil {
					t.Fatalf("cilium created no map %s (it has %v)", m.Name, mapNames(coll))
				}
				ciliumMaps[i] = cm.FD()
				ourMaps[i] = int(res.Maps[i])
			}
			if len(coll.Maps) != len(obj.Maps) {
				t.Errorf("cilium created %d maps %v, we %d", len(coll.Maps), mapNames(coll), len(obj.Maps))
			}
			for i, m := range obj.Maps {
				ours, err := kstate.DescribeMap(ourMaps[i])
				if err != nil {
					t.Fatalf("map %s: %v", m.Name, err)
				}
				theirs, err := kstate.DescribeMap(ciliumMaps[i])
				if err != nil {
					t.Fatalf("map %s (cilium): %v", m.Name, err)
				}
				normaliseCiliumMap(&ours, &theirs)
				if d := kstate.Diff(theirs, ours); d != "" {
					t.Errorf("map %s differs (- cilium, + ours):\n%s", m.Name, d)
				}
			}

			ourIdx, err := kstate.MapIndex(ourMaps)
			if err != nil {
				t.Fatal(err)
			}
			ciliumIdx, err := kstate.MapIndex(ciliumMaps)
			if err != nil {
				t.Fatal(err)
			}
			compared := 0
			for j, p := range obj.Programs() {
				cp := coll.Programs[p.Name]
				if res.Programs[j] == load.NoHandle {
					// Not autoloaded (SEC("?...")): cilium/ebpf has no such
					// notion and loads it; there is nothing of ours to
					// compare it with.
					if p.Autoload {
						t.Errorf("program %s was not loaded", p.Name)
					}
					continue
				}
				if cp == nil {
					t.Errorf("cilium loaded no program %s", p.Name)
					continue
				}
				ours, err := kstate.DescribeProg(int(res.Programs[j]), ourIdx)
				if err != nil {
					t.Fatalf("program %s: %v", p.Name, err)
				}
				theirs, err := kstate.DescribeProg(cp.FD(), ciliumIdx)
				if err != nil {
					t.Fatalf("program %s (cilium): %v", p.Name, err)
				}
				if d := kstate.DiffProg(theirs, ours); d != "" {
					t.Errorf("program %s differs (cilium vs ours):\n%s", p.Name, d)
				}
				compared++
			}
			if compared == 0 {
				t.Error("no program compared")
			}
		})
	}
}

// normaliseCiliumMap removes the differences between the two loaders'
// maps that are choices, not errors.
func normaliseCiliumMap(ours, theirs *kstate.Map) {
	_ = ours
	_ = theirs
}

func mapNames(c *ebpf.Collection) []string {
	var names []string
	for n := range c.Maps {
		names = append(names, n)
	}
	return names
}

var _ = fmt.Sprintf
