package main

import (
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// BenchmarkGenerate runs the whole command path of `bpfgen skeleton` and
// `bpfgen loader` on testdata objects, output to a file, for profiling
// (go test -run '^$' -bench Generate -cpuprofile cpu.out ./cmd/bpfgen).
// bench/ compares the whole process against bpftool.
func BenchmarkGenerate(b *testing.B) {
	for _, obj := range []string{"minimal", "core", "ksyms", "many"} {
		path := filepath.Join("..", "..", "testdata", obj+".bpf.o")
		for _, cmd := range []string{"skeleton", "loader"} {
			b.Run(obj+"/"+cmd, func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "out")
				for b.Loop() {
					if status := run([]string{cmd, path, "-o", out}, io.Discard, io.Discard); status != 0 {
						b.Fatalf("bpfgen %s %s: exit status %d", cmd, path, status)
					}
				}
			})
		}
	}
}

// TestStaticallyLinked checks that bpfgen does not link net (crypto/x509
// imports it): net makes a program a cgo program, dynamically linked,
// which costs about 1 ms at every start of every command.
func TestStaticallyLinked(t *testing.T) {
	out, err := exec.Command(testutil.GoTool(), "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net" || pkg == "runtime/cgo" || pkg == "crypto/x509" {
			t.Errorf("bpfgen links %s", pkg)
		}
	}
}
