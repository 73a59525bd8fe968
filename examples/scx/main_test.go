package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func haveSchedExt() bool {
	_, err := os.Stat(schedExt + "/state")
	return err == nil
}

// TestScheduler runs the example where the kernel has sched_ext: the
// scheduler enables, runs this process's threads, and on Close the kernel
// goes back to its default scheduler. Where it has none, the loader must
// refuse to load, naming the struct_ops value type it could not find.
func TestScheduler(t *testing.T) {
	testutil.RequireLoaders(t)
	if !haveSchedExt() {
		_, err := LoadScx(nil)
		var le *lskel.LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Step, "bpf_struct_ops_sched_ext_ops") {
			t.Fatalf("loading without sched_ext: %v, want a failed check of bpf_struct_ops_sched_ext_ops", err)
		}
		t.Logf("no sched_ext here: the loader refuses, as it must: %v", err)
		testutil.RequireFeature(t, false, "sched_ext (CONFIG_SCHED_CLASS_EXT)", "6.12")
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
}

// TestSchedulerDirect loads the same object with the direct backend and
// registers it the same way.
func TestSchedulerDirect(t *testing.T) {
	testutil.RequireKernel(t)
	testutil.RequireFeature(t, haveSchedExt(), "sched_ext (CONFIG_SCHED_CLASS_EXT)", "6.12")
	obj, err := object.Open("bpf/scx.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.LoadDirect(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, h := range res.Handles() {
			kernel.Close(int(h))
		}
	}()
	for i, m := range obj.Maps {
		if m.StructOps == nil {
			continue
		}
		link, err := kernel.RegisterStructOps(int(res.Maps[i]), res.StructOps[i], m.StructOps.Link)
		if err != nil {
			t.Fatalf("register %s: %v", m.Name, err)
		}
		if err := waitState("enabled"); err != nil {
			t.Error(err)
		}
		if err := kernel.Close(link); err != nil {
			t.Fatal(err)
		}
		if err := waitState("disabled"); err != nil {
			t.Error(err)
		}
	}
}
