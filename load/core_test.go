package load_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/core"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// coreObject is a loadable test object with CO-RE records.
type coreObject struct {
	name    string
	records int
}

// coreObjects lists, in behave.Objects order, the loadable test objects
// that have CO-RE records: the objects user-space CO-RE is held to.
func coreObjects(t *testing.T) []coreObject {
	t.Helper()
	var out []coreObject
	for _, name := range behave.Objects {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range obj.Functions {
			n += len(f.CORERelos)
		}
		if n > 0 {
			out = append(out, coreObject{name, n})
		}
	}
	if len(out) == 0 {
		t.Fatal("no test object has CO-RE records")
	}
	return out
}

// loadCORE opens test object name and loads it directly with CO-RE done
// as mode says; the fds are closed when the test ends.
func loadCORE(t *testing.T, name string, mode load.COREMode) (*object.Object, *load.Result) {
	t.Helper()
	obj, err := object.Open(testutil.Object(name))
	if err != nil {
		t.Fatal(err)
	}
	behave.SetContents(t, obj, behave.InitialValues(t, name, obj))
	res, err := load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t), CORE: mode}, nil)
	if err != nil {
		t.Fatalf("load of %s with CO-RE mode %d: %v", name, mode, err)
	}
	t.Cleanup(func() {
		for _, h := range res.Handles() {
			unix.Close(int(h))
		}
	})
	return obj, res
}

// TestUserCOREMatchesKernel loads every object with CO-RE records twice,
// once leaving CO-RE to the kernel and once relocating in user space, and
// compares what the kernel holds: the translated instructions (map ids
// normalised) must be identical.
func TestUserCOREMatchesKernel(t *testing.T) {
	testutil.RequireKernel(t)
	testutil.RequireFeature(t, kernel.HaveKernelCORE(), "CO-RE relocations done by BPF_PROG_LOAD (core_relos), to compare user-space CO-RE with", "5.17")
	for _, o := range coreObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			behave.Require(t, o.name)
			obj, kres := loadCORE(t, o.name, load.COREKernel)
			_, ures := loadCORE(t, o.name, load.COREUser)
			kmaps, umaps := handleFDs(kres.Maps), handleFDs(ures.Maps)
			for i, m := range obj.Maps {
				a, err := kstate.DescribeMap(kmaps[i])
				if err != nil {
					t.Fatal(err)
				}
				b, err := kstate.DescribeMap(umaps[i])
				if err != nil {
					t.Fatal(err)
				}
				if d := kstate.Diff(a, b); d != "" {
					t.Errorf("map %s differs (kernel CO-RE -, user-space CO-RE +):\n%s", m.Name, d)
				}
			}
			kidx, err := kstate.MapIndex(kmaps)
			if err != nil {
				t.Fatal(err)
			}
			uidx, err := kstate.MapIndex(umaps)
			if err != nil {
				t.Fatal(err)
			}
			compared := 0
			for j, p := range obj.Programs() {
				kfd, ufd := int(kres.Programs[j]), int(ures.Programs[j])
				if (kfd >= 0) != (ufd >= 0) {
					t.Errorf("program %s loaded by one load only (fds %d, %d)", p.Name, kfd, ufd)
					continue
				}
				if kfd < 0 {
					continue
				}
				a, err := kstate.DescribeProg(kfd, kidx)
				if err != nil {
					t.Fatalf("program %s: %v", p.Name, err)
				}
				b, err := kstate.DescribeProg(ufd, uidx)
				if err != nil {
					t.Fatalf("program %s: %v", p.Name, err)
				}
				if d := kstate.DiffProg(a, b); d != "" {
					t.Errorf("program %s differs (kernel CO-RE vs user-space CO-RE):\n%s", p.Name, d)
				}
				compared++
			}
			t.Logf("%s: %d CO-RE records, %d programs identical", o.name, o.records, compared)
		})
	}
}

// TestBehaviourUserCORE runs the behaviour checks of every object with
// CO-RE records loaded with user-space CO-RE.
func TestBehaviourUserCORE(t *testing.T) {
	testutil.RequireKernel(t)
	for _, o := range coreObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			behave.Require(t, o.name)
			obj, res := loadCORE(t, o.name, load.COREUser)
			behave.Check(t, o.name, obj, handleFDs(res.Maps), handleFDs(res.Programs))
		})
	}
}

// TestUserCOREAgainstKernelBTF relocates core.bpf.o in user space
// against a target that is not the running kernel: the BTF of
// minimal.bpf.o, which has none of the kernel types core reads. The
// relocations the kernel then sees must be those (no core_relos): every
// access is poisoned, so each program fails verification at its first
// reachable poisoned instruction (the existence checks before it give 0).
func TestUserCOREAgainstKernelBTF(t *testing.T) {
	testutil.RequireKernel(t)
	behave.Require(t, "core")
	other, err := object.Open(testutil.Object("minimal"))
	if err != nil {
		t.Fatal(err)
	}
	poisoned := fmt.Sprintf("call unknown#%d\ninvalid func unknown#%d", core.PoisonHelper, core.PoisonHelper)
	for _, tt := range []struct {
		prog string
		want string // in the verifier log
	}{
		{prog: "read_task", want: poisoned},
		// field_size(t->comm) after four existence checks.
		{prog: "core_consts", want: "16: (85) " + poisoned},
	} {
		t.Run(tt.prog, func(t *testing.T) {
			obj, err := object.Open(testutil.Object("core"))
			if err != nil {
				t.Fatal(err)
			}
			// A target_pid, or the verifier sees read_task's reads as dead
			// code behind the frozen .rodata.
			behave.SetContents(t, obj, behave.InitialValues(t, "core", obj))
			skip := map[string]bool{}
			for _, p := range obj.Programs() {
				skip[p.Name] = p.Name != tt.prog
			}
			_, err = load.Load(obj, &load.Direct{CORE: load.COREUser, KernelBTF: other.BTF}, &load.Options{Skip: skip})
			var verr *kernel.VerifierError
			if !errors.As(err, &verr) || !strings.Contains(verr.Log, tt.want) {
				t.Fatalf("load: %v\nwant a verifier log with %q", err, tt.want)
			}
		})
	}
}
