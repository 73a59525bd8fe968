package lskel

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// sizeBudget is what the runtime may add to a stripped hello world.
const sizeBudget = 100 << 10

var sizePrograms = map[string]string{
	"fmtonly": `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`,
	// What a generated skeleton uses: run the loader, map global data,
	// attach by section, look a value up, close.
	"skeleton": `package main

import (
	"fmt"

	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

var loader = &abi.Loader{Name: "hello", KconfigMap: -1}

func main() {
	fmt.Println("hello, world")
	res, err := lskel.Run(loader, &lskel.RunOptions{MaxEntries: map[string]uint32{"x": 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Close()
	mem, _ := lskel.MmapMap(res.Map(0), true)
	defer lskel.Munmap(mem)
	for j := range res.NumPrograms() {
		if p := res.Program(j); p != nil {
			l, err := p.Attach()
			if err == nil {
				defer l.Close()
			}
		}
	}
	res.Map(1).Lookup(make([]byte, 4), make([]byte, 8))
}
`,
}

// TestBinarySize builds a stripped hello world with and without the
// runtime and checks the difference against the budget.
func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	goBin := testutil.GoTool()
	if _, err := os.Stat(goBin); err != nil {
		t.Skipf("no go command: %v", err)
	}
	root := testutil.Root()
	dir := t.TempDir()
	gomod := "module sizetest\n\ngo 1.26\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n\nreplace github.com/bpfgen/bpfgen => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for name, src := range sizePrograms {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+".bin")
		cmd := exec.Command(goBin, "build", "-mod=mod", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, b)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		sizes[name] = st.Size()
	}
	extra := sizes["skeleton"] - sizes["fmtonly"]
	t.Logf("stripped hello world: fmt only %d bytes, with lskel %d bytes: +%d bytes (budget %d)",
		sizes["fmtonly"], sizes["skeleton"], extra, sizeBudget)
	if extra >= sizeBudget {
		t.Fatalf("lskel adds %d bytes to a stripped binary, budget %d", extra, sizeBudget)
	}
}
