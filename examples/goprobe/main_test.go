package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestGoProbe builds testdata/target, attaches to its main.someFunc and
// lets it call someFunc(1) to someFunc(10): the uprobe counts 10 calls
// whose arguments sum to 55.
func TestGoProbe(t *testing.T) {
	testutil.RequireLoaders(t)
	bin := filepath.Join(t.TempDir(), "target")
	if out, err := exec.Command(testutil.GoTool(), "build", "-o", bin, "./testdata/target").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	objs, l, err := attach(bin, "main.someFunc")
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	defer l.Close()
	cmd := exec.Command(bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("target: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "110" {
		t.Fatalf("target printed %q; want 110", out)
	}
	if calls, sum := objs.BSS.Calls, objs.BSS.ArgSum; calls != 10 || sum != 55 {
		t.Errorf("%d calls, arguments summing to %d; want 10 and 55", calls, sum)
	}
}
