package main

import (
	"io"
	"path/filepath"
	"testing"
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
