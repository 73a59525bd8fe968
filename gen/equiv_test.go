package gen_test

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// TestEquivalence loads every object directly and through its loader and
// compares what the kernel holds: the loader must be a faithful trace of
// the direct load.
func TestEquivalence(t *testing.T) {
	testutil.RequireLoaders(t)
	for _, mode := range loaderModes {
		t.Run(mode.name, func(t *testing.T) { equivalence(t, mode.opts) })
	}
}

func equivalence(t *testing.T, opts gen.Options) {
	for _, name := range behave.Objects {
		t.Run(name, func(t *testing.T) {
			behave.Require(t, name)
			obj, err := object.Open(testutil.Object(name))
			if err != nil {
				t.Fatal(err)
			}
			direct, err := load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t)}, nil)
			if err != nil {
				t.Fatalf("direct load: %v", err)
			}
			defer closeAll(direct.Handles())

			l := generateIn(t, obj, opts)
			res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{Kconfig: kconfig.Resolve}))
			if err != nil {
				t.Fatalf("run loader: %v", err)
			}
			defer res.Close()
			mapFDs, progFDs := fdsOf(res)

			// The runtime's view of each map, which it builds without
			// asking the kernel, must be the kernel's.
			for i, m := range obj.Maps {
				got := res.Map(i)
				info, err := kstate.DescribeMap(mapFDs[i])
				if err != nil {
					t.Fatal(err)
				}
				if got.FD() != mapFDs[i] || got.Type() != info.Type || got.KeySize() != info.KeySize || got.ValueSize() != info.ValueSize || got.MaxEntries() != info.MaxEntries {
					t.Errorf("map %s: runtime says fd %d type %d key %d value %d max %d, kernel %+v", m.Name,
						got.FD(), got.Type(), got.KeySize(), got.ValueSize(), got.MaxEntries(), info)
				}
			}

			directMaps := make([]int, len(direct.Maps))
			for i, h := range direct.Maps {
				directMaps[i] = int(h)
			}
			for _, d := range diffObjects(t, obj, directMaps, mapFDs, handlesToFDs(direct.Programs), progFDs) {
				t.Error(d)
			}
		})
	}
}

func handlesToFDs(hs []load.Handle) []int {
	fds := make([]int, len(hs))
	for i, h := range hs {
		fds[i] = int(h)
	}
	return fds
}

func closeAll(hs []load.Handle) {
	for _, h := range hs {
		unix.Close(int(h))
	}
}

// diffObjects compares the maps and programs of two loads of obj and
// returns the differences.
func diffObjects(t *testing.T, obj *object.Object, mapsA, mapsB, progsA, progsB []int, norm ...func(*kstate.Map)) []string {
	t.Helper()
	var diffs []string
	if len(mapsA) != len(mapsB) {
		t.Fatalf("%d vs %d maps", len(mapsA), len(mapsB))
	}
	for i, m := range obj.Maps {
		a, err := kstate.DescribeMap(mapsA[i])
		if err != nil {
			t.Fatalf("map %s (first load): %v", m.Name, err)
		}
		b, err := kstate.DescribeMap(mapsB[i])
		if err != nil {
			t.Fatalf("map %s (second load): %v", m.Name, err)
		}
		for _, f := range norm {
			f(&a)
			f(&b)
		}
		if d := kstate.Diff(a, b); d != "" {
			diffs = append(diffs, fmt.Sprintf("map %s differs:\n%s", m.Name, d))
		}
	}
	idxA, err := kstate.MapIndex(mapsA)
	if err != nil {
		t.Fatal(err)
	}
	idxB, err := kstate.MapIndex(mapsB)
	if err != nil {
		t.Fatal(err)
	}
	for j, p := range obj.Programs() {
		fa, fb := progsA[j], progsB[j]
		if (fa > 0) != (fb > 0) {
			diffs = append(diffs, fmt.Sprintf("program %s: loaded by one load only (fds %d, %d)", p.Name, fa, fb))
			continue
		}
		if fa <= 0 {
			continue
		}
		a, err := kstate.DescribeProg(fa, idxA)
		if err != nil {
			t.Fatalf("program %s: %v", p.Name, err)
		}
		b, err := kstate.DescribeProg(fb, idxB)
		if err != nil {
			t.Fatalf("program %s: %v", p.Name, err)
		}
		if d := kstate.DiffProg(a, b); d != "" {
			diffs = append(diffs, fmt.Sprintf("program %s differs:\n%s", p.Name, d))
		}
	}
	return diffs
}
