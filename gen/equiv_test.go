package gen_test

import (
	"fmt"
	"path/filepath"
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
		t.Run(mode.name, func(t *testing.T) {
			for _, name := range behave.Objects {
				t.Run(name, func(t *testing.T) {
					behave.Require(t, name)
					equivalence(t, testutil.Object(name), mode.opts)
				})
			}
		})
	}
}

// TestEquivalenceExamples is TestEquivalence for the examples' objects.
func TestEquivalenceExamples(t *testing.T) {
	testutil.RequireLoaders(t)
	for _, tt := range []struct {
		path string
		need []behave.Feature
	}{
		{"../examples/tcpcc/bpf/tcpcc.bpf.o", []behave.Feature{behave.TCPCongestionOps, behave.StructOpsLinks}},
		{"../examples/scx/bpf/scx.bpf.o", []behave.Feature{behave.SchedExt}},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			for _, f := range tt.need {
				f.Require(t)
			}
			equivalence(t, tt.path, gen.Options{})
		})
	}
}

// equivalence loads the object at path directly and through its loader,
// made as opts says, and compares what the kernel holds.
func equivalence(t *testing.T, path string, opts gen.Options) {
	t.Helper()
	obj, err := object.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t)}, nil)
	if err != nil {
		t.Fatalf("direct load: %v", err)
	}
	defer closeAll(direct.Handles())

	if tableRefuses(t, obj, opts) {
		return
	}
	l := generateIn(t, obj, opts)
	var so lskel.StructOpsContext
	res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{Kconfig: kconfig.Resolve, StructOps: so.Prepare}))
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
	for _, d := range diffStructOps(t, obj, directMaps, mapFDs, direct.StructOps, so.Values()) {
		t.Error(d)
	}
}

// diffStructOps registers each struct_ops map of both loads in turn (the
// kernel refuses two registrations of one name) with the value the load
// left, and compares what the kernel then holds as the maps' values.
func diffStructOps(t *testing.T, obj *object.Object, mapsA, mapsB []int, valuesA, valuesB map[int][]byte) []string {
	t.Helper()
	var diffs []string
	for i, m := range obj.Maps {
		if m.StructOps == nil {
			continue
		}
		if valuesA[i] == nil || valuesB[i] == nil {
			diffs = append(diffs, fmt.Sprintf("struct_ops map %s: no value from one of the loads", m.Name))
			continue
		}
		a, err := kstate.RegisteredStructOps(mapsA[i], valuesA[i], m.StructOps.Link)
		if err != nil {
			t.Fatalf("struct_ops map %s (first load): %v", m.Name, err)
		}
		b, err := kstate.RegisteredStructOps(mapsB[i], valuesB[i], m.StructOps.Link)
		if err != nil {
			t.Fatalf("struct_ops map %s (second load): %v", m.Name, err)
		}
		if a != b {
			diffs = append(diffs, fmt.Sprintf("struct_ops map %s: registered values differ:\n%s\nvs\n%s", m.Name, a, b))
		}
		t.Logf("struct_ops map %s as registered:\n%s", m.Name, a)
	}
	return diffs
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
