package gen_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// faultObjects are the loaders whose every step is made to fail.
var faultObjects = []string{
	"minimal", "maps", "globals", "subprogs", "core", "kconfig", "ksyms", "mapinmap", "iter", "progtypes",
	"structops",
}

// registeredBy lists what the objects' struct_ops maps register, which a
// failed load must not leave registered.
var registeredBy = map[string][]string{"structops": {"bpfgen_so_link", "bpfgen_so_plain"}}

// faultSampled are loaders too long to fail at every step in a test run:
// the first and last steps and every 17th in between are tried.
var faultSampled = []string{"many"}

// sampleSteps picks the steps of an n-step loader to fail at.
func sampleSteps(n int, every bool) []int {
	var steps []int
	for i := 0; i < n; i++ {
		if every || i%17 == 0 || i == n-1 {
			steps = append(steps, i)
		}
	}
	return steps
}

// TestFaultInjection makes each step of a loader fail in turn (with
// ECANCELED, before the step does anything) and checks that the run
// reports that step and leaves no fd, map, program or BTF object behind:
// the cleanup path works from every point of the loader.
func TestFaultInjection(t *testing.T) {
	testutil.RequireLoaders(t)
	run := func(t *testing.T, name string, every bool, opts gen.Options) {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			t.Fatal(err)
		}
		if tableRefuses(t, obj, opts) {
			return
		}
		full := generateIn(t, obj, opts)
		if len(full.Steps) == 0 {
			t.Fatal("loader has no steps")
		}
		if !every && len(full.Steps) < 100 {
			t.Fatalf("%s has only %d steps: test every step", name, len(full.Steps))
		}
		for _, n := range sampleSteps(len(full.Steps), every) {
			t.Run(fmt.Sprintf("step%03d", n), func(t *testing.T) {
				g := newIn(t, obj, opts)
				g.FailAtStep(n)
				l, err := g.Generate(nil)
				if err != nil {
					t.Fatalf("generate failing at step %d: %v", n, err)
				}
				if len(l.Steps) != len(full.Steps) || l.Steps[n] != full.Steps[n] {
					t.Fatalf("injecting a failure changed the steps: %d steps, step %d %q, want %d, %q",
						len(l.Steps), n, l.Steps[n], len(full.Steps), full.Steps[n])
				}
				before := leakcheck.Take(true)
				var so lskel.StructOpsContext
				res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{Kconfig: kconfig.Resolve, StructOps: so.Prepare}))
				if err == nil {
					res.Close()
					t.Fatalf("loader failing at step %d (%s) succeeded", n, l.Steps[n])
				}
				noLeaksSince(t, before, fmt.Sprintf("failure at step %d (%s)", n, l.Steps[n]))
				for _, cc := range registeredBy[name] {
					if behave.HasCongestionControl(cc) {
						t.Errorf("failure at step %d (%s) left congestion control %s registered", n, l.Steps[n], cc)
					}
				}
				var le *lskel.LoadError
				if !errors.As(err, &le) {
					t.Fatalf("error %T is not a *lskel.LoadError: %v", err, err)
				}
				if le.Step != l.Steps[n] {
					t.Errorf("error names step %q, want step %d %q", le.Step, n, l.Steps[n])
				}
				if !errors.Is(le, unix.ECANCELED) {
					t.Errorf("error %v, want ECANCELED", le)
				}
				if le.Object != name {
					t.Errorf("error names object %q, want %q", le.Object, name)
				}
			})
		}
	}
	for _, mode := range loaderModes {
		t.Run(mode.name, func(t *testing.T) {
			for _, name := range faultObjects {
				t.Run(name, func(t *testing.T) { behave.Require(t, name); run(t, name, true, mode.opts) })
			}
			for _, name := range faultSampled {
				t.Run(name, func(t *testing.T) { behave.Require(t, name); run(t, name, false, mode.opts) })
			}
		})
	}
}
