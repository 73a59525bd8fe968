package gen_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// loaderModes are the kinds of loader the kernel tests run, each over
// every object: the unrolled emitter and the table loader.
var loaderModes = []struct {
	name string
	opts gen.Options
}{
	{"unrolled", gen.Options{}},
	{"table", gen.Options{Table: true}},
}

// generateIn generates obj's loader as opts says, failing the test on an
// error.
func generateIn(t *testing.T, obj *object.Object, opts gen.Options) *gen.Loader {
	t.Helper()
	l, err := gen.GenerateWith(obj, nil, opts)
	if err != nil {
		t.Fatalf("generate %s (table %v): %v", obj.Name, opts.Table, err)
	}
	return l
}

// newIn starts a generator for obj as opts says.
func newIn(t *testing.T, obj *object.Object, opts gen.Options) *gen.Generator {
	t.Helper()
	g, err := gen.NewWith(obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runOptsFor adds what running a loader of l's kind needs to o.
func runOptsFor(l *gen.Loader, o lskel.RunOptions) *lskel.RunOptions {
	if l.Table {
		o.Table = lskel.Table
	}
	return &o
}
