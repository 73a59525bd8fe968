package main

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestDemo runs what `make demo` runs: load through the skeleton, attach,
// trigger, read back the counts (run checks they match).
func TestDemo(t *testing.T) {
	testutil.RequireLoaders(t)
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
