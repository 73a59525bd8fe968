package btf_test

import (
	"path/filepath"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/object"
)

// Every test object's BTF, as the open phase leaves it for the load,
// sanitized for each feature missing alone, for Linux 5.10's features and
// for none: the result keeps every type id, rewrites exactly the missing
// kinds and this kernel accepts it.
func TestSanitizeObjects(t *testing.T) {
	testutil.RequireKernel(t)
	paths, err := filepath.Glob(filepath.Join(testutil.Root(), "testdata", "*.bpf.o"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test objects (%v)", err)
	}
	rewritten510 := 0
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			obj, err := object.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if obj.BTF == nil {
				t.Fatal("no BTF")
			}
			btf.LoadSanitized(t, "the object's own BTF", obj.BTF, btf.AllFeatures())
			for _, fs := range btf.SanitizeFeatureSets() {
				t.Run(fs.Name, func(t *testing.T) {
					san, err := obj.BTF.Sanitize(fs.F)
					if err != nil {
						t.Fatal(err)
					}
					btf.CheckSanitized(t, obj.BTF, san, fs.F)
					if fs.Name == "5.10" && san != obj.BTF {
						rewritten510++
					}
					btf.LoadSanitized(t, "the sanitized BTF", obj.BTF, fs.F)
				})
			}
		})
	}
	// Signed enums from vmlinux.h (perf_event_state, ...) are what 5.10
	// refused.
	if rewritten510 == 0 {
		t.Error("no test object needed sanitizing for 5.10")
	}
	t.Logf("%d of %d objects need sanitizing for 5.10", rewritten510, len(paths))
}
