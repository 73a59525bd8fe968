package gen_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

func TestTableQuick(t *testing.T) {
	testutil.RequireLoaders(t)
	obj, err := object.Open(testutil.Object("minimal"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.GenerateWith(obj, nil, gen.Options{Table: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := lskel.Run(&l.Loader, &lskel.RunOptions{Kconfig: kconfig.Resolve, Table: lskel.Table})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("insns %d blob %d prog fd %d map fd %d steps %v", len(l.Insns)/8, len(l.Data), res.Program(0).FD(), res.Map(0).FD(), l.Steps)
	res.Close()
}

func TestTableWhich(t *testing.T) {
	for _, name := range []string{"minimal", "maps", "globals", "subprogs", "core", "kconfig", "ksyms",
		"mapinmap", "iter", "progtypes", "many", "flavour", "legacy",
		"conntrack", "trampoline", "ksym_data", "freplace_target", "freplace", "kprobes", "uprobes", "missing_kfunc", "missing_ksym"} {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = gen.GenerateWith(obj, nil, gen.Options{Table: true})
		t.Logf("%s: %v", name, err)
	}
}
