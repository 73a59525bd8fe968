package gen_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

func TestExplore(t *testing.T) {
	for _, name := range []string{"verifier_reject", "bad_map", "missing_ksym", "missing_kfunc", "ksym_data", "trampoline"} {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t)}, nil)
		t.Logf("%s direct: %#v\n  %v", name, err, err)
		l, err := gen.Generate(obj, nil)
		if err != nil {
			t.Logf("%s gen: %v", name, err)
			continue
		}
		_, err = lskel.Run(&l.Loader, nil)
		t.Logf("%s run: %#v\n  %v\nsteps %q", name, err, err, l.Steps)
	}
}
