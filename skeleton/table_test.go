package skeleton

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
)

// tableDriver loads minimal's table skeleton with a read-only setting,
// attaches it and counts this process's getpid calls.
const tableDriver = `
	pid := os.Getpid()
	opts := NewMinimalOptions()
	opts.Rodata.FilterPid = uint32(pid)
	objs, err := LoadMinimal(opts)
	h.Must(err)
	h.Must(objs.Attach())
	for range 3 {
		syscall.Getpid()
	}
	n, err := objs.Counts.Lookup(uint32(pid))
	h.Must(err)
	fmt.Println("calls", objs.BSS.Calls, "counts", n, "rodata", objs.Rodata.FilterPid == uint32(pid))
	h.Must(objs.Close())
`

// TestTableSkeleton builds a skeleton of minimal around a table loader
// and runs it: the generated code passes lskel.Table, and the program
// counts what it should.
func TestTableSkeleton(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with a generated skeleton")
	}
	kernelOrSkip(t)
	root := repoRoot(t)
	obj, err := object.Open(filepath.Join(root, "testdata", "minimal.bpf.o"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.GenerateWith(obj, nil, gen.Options{Table: true})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(obj, l, testOptions("minimal", "main"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Table:      lskel.Table,", "Table:      true,", "LoaderFuncInfo: []byte("} {
		if !strings.Contains(string(src), want) {
			t.Errorf("table skeleton lacks %q", want)
		}
	}
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module e2e\n\ngo 1.26\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n\nreplace github.com/bpfgen/bpfgen => "+root+"\n")
	writeFile(t, filepath.Join(mod, "h", "h.go"), e2eHelpers)
	writeFile(t, filepath.Join(mod, "table", "minimal_lskel.go"), string(src))
	writeFile(t, filepath.Join(mod, "table", "main.go"), driverSource(tableDriver))
	bin := filepath.Join(mod, "table.bin")
	cmd := exec.Command("go", "build", "-o", bin, "./table")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the table skeleton: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if want := "calls 3 counts 3 rodata true\n"; err != nil || string(out) != want {
		t.Errorf("output %q (%v), want %q", out, err, want)
	}
}
