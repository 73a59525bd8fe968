package core_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/core"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// TestKernelAgrees loads testdata/kern.bpf.o, whose records cover every
// relocation kind against the running kernel's types, once with the
// kernel's own CO-RE and once relocated here, and compares the programs
// the kernel holds: the translated instructions (map ids normalised) must
// be identical.
func TestKernelAgrees(t *testing.T) {
	testutil.RequireKernel(t)
	testutil.RequireFeature(t, kernel.HaveKernelCORE(), "CO-RE relocations done by BPF_PROG_LOAD (core_relos), to compare with", "5.17")
	path := filepath.Join("testdata", "kern.bpf.o")
	loadWith := func(mode load.COREMode) (*object.Object, *load.Result) {
		t.Helper()
		obj, err := object.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := load.Load(obj, &load.Direct{CORE: mode}, nil)
		if err != nil {
			t.Fatalf("load with CO-RE mode %d: %v", mode, err)
		}
		t.Cleanup(func() {
			for _, h := range res.Handles() {
				unix.Close(int(h))
			}
		})
		return obj, res
	}
	obj, kres := loadWith(load.COREKernel)
	_, ures := loadWith(load.COREUser)
	fds := func(hs []load.Handle) []int {
		out := make([]int, len(hs))
		for i, h := range hs {
			out[i] = int(h)
		}
		return out
	}
	kidx, err := kstate.MapIndex(fds(kres.Maps))
	if err != nil {
		t.Fatal(err)
	}
	uidx, err := kstate.MapIndex(fds(ures.Maps))
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	for j, p := range obj.Programs() {
		records += len(p.CORERelos)
		a, err := kstate.DescribeProg(int(kres.Programs[j]), kidx)
		if err != nil {
			t.Fatalf("program %s: %v", p.Name, err)
		}
		b, err := kstate.DescribeProg(int(ures.Programs[j]), uidx)
		if err != nil {
			t.Fatalf("program %s: %v", p.Name, err)
		}
		if d := kstate.DiffProg(a, b); d != "" {
			t.Errorf("program %s differs (kernel CO-RE vs user-space CO-RE):\n%s", p.Name, d)
		}
	}
	t.Logf("%d programs, %d CO-RE records: identical", len(obj.Programs()), records)
}

// TestDirectLoadError: with user-space CO-RE, a record that cannot be
// relocated fails the direct load before BPF_PROG_LOAD, with the
// program, instruction, type and access string in the error.
func TestDirectLoadError(t *testing.T) {
	testutil.RequireKernel(t)
	target, _ := fixtures(t)
	obj, err := object.Open(filepath.Join("testdata", "local.bpf.o"))
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, p := range obj.Programs() {
		skip[p.Name] = p.Name != "off_amb"
	}
	_, err = load.Load(obj, &load.Direct{CORE: load.COREUser, KernelBTF: target}, &load.Options{Skip: skip})
	var step *kernel.LoadError
	var cerr *core.Error
	if !errors.As(err, &step) || step.Step != "load program off_amb" || !errors.As(err, &cerr) || !errors.Is(err, core.ErrAmbiguous) {
		t.Fatalf("load: %v, want a load program step failing with an ambiguous *core.Error", err)
	}
	for _, part := range []string{"off_amb", "instruction 0", "STRUCT amb___l", `"0:0"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %s", err, part)
		}
	}
}
