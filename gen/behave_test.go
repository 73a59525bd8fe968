package gen_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// TestBehaviour generates the loader of every loadable test object, runs
// it, triggers the programs it loaded and checks their effects with the
// same checks as the direct load (testdata/README.md). Read-only settings
// go in through the runtime's initial values, as a skeleton's would.
func TestBehaviour(t *testing.T) {
	testutil.RequireLoaders(t)
	for _, mode := range loaderModes {
		t.Run(mode.name, func(t *testing.T) {
			for _, name := range behave.Objects {
				t.Run(name, func(t *testing.T) {
					behave.Require(t, name)
					obj, err := object.Open(testutil.Object(name))
					if err != nil {
						t.Fatal(err)
					}
					if tableRefuses(t, obj, mode.opts) {
						return
					}
					l := generateIn(t, obj, mode.opts)
					var so lskel.StructOpsContext
					res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{
						Kconfig:       kconfig.Resolve,
						InitialValues: behave.InitialValues(t, name, obj),
						StructOps:     so.Prepare,
					}))
					if err != nil {
						t.Fatalf("run loader of %s: %v", name, err)
					}
					defer res.Close()
					mapFDs, progFDs := fdsOf(res)
					behave.CheckStructOps(t, name, obj, mapFDs, progFDs, so.Values())
				})
			}
		})
	}
}
