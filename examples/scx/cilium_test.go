package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/lskel"
)

// TestSchedulerCilium runs the scheduler as a bpf2go user would, through
// the files bpfgen generate -api cilium wrote (scxcilium_bpfel_test.go):
// loadScxCiliumObjects leaves the struct_ops map with its value, as
// cilium/ebpf does, cilium/ebpf's link.AttachStructOps enables the
// scheduler, which schedules this process's threads, and closing the link
// gives the kernel its default scheduler back. Where the kernel has no
// sched_ext, the load must refuse, naming the value type.
func TestSchedulerCilium(t *testing.T) {
	testutil.RequireLoaders(t)
	var objs scxCiliumObjects
	err := loadScxCiliumObjects(&objs, nil)
	if !haveSchedExt() {
		var le *lskel.LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Step, "bpf_struct_ops_sched_ext_ops") {
			t.Fatalf("loading without sched_ext: %v, want a failed check of bpf_struct_ops_sched_ext_ops", err)
		}
		testutil.RequireFeature(t, false, "sched_ext (CONFIG_SCHED_CLASS_EXT)", "6.12")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	l, err := link.AttachStructOps(link.StructOpsOptions{Map: objs.BpfgenFifo})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := waitState("enabled"); err != nil {
		t.Fatal(err)
	}
	if ops, err := readTrim(schedExt + "/root/ops"); err != nil || ops != "bpfgen_fifo" {
		t.Errorf("%s/root/ops = %q (%v), want bpfgen_fifo", schedExt, ops, err)
	}
	busy(4, 200*time.Millisecond)
	var inits, enqueued uint64
	if err := objs.Inits.Get(&inits); err != nil {
		t.Fatal(err)
	}
	if err := objs.Enqueued.Get(&enqueued); err != nil {
		t.Fatal(err)
	}
	if inits != 1 || enqueued == 0 {
		t.Errorf("the scheduler did not schedule (inits %d, queued %d)", inits, enqueued)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitState("disabled"); err != nil {
		t.Error(err)
	}
}
