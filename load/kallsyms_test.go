package load

import (
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
)

// TestLookupKallsyms checks the helper-based lookup against
// /proc/kallsyms, for present, missing and over-long names.
func TestLookupKallsyms(t *testing.T) {
	testutil.RequireKernel(t)
	present := []string{"bpf_prog_put", "schedule", "do_sys_openat2"}
	long := strings.Repeat("x", 300)
	names := append(append([]string{}, present...), "bpfgen_no_such_symbol", long)
	got, err := lookupKallsyms(names)
	if err != nil {
		t.Fatal(err)
	}
	want, err := kernel.ReadKallsyms(present...)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range present {
		if got[n] == 0 || got[n] != want[n] {
			t.Errorf("%s: helper says %#x, /proc/kallsyms %#x", n, got[n], want[n])
		}
	}
	for _, n := range []string{"bpfgen_no_such_symbol", long} {
		if a, ok := got[n]; ok {
			t.Errorf("%.20s...: found at %#x, want missing", n, a)
		}
	}
}

func BenchmarkLookupKallsyms(b *testing.B) {
	testutil.RequireKernel(b)
	for _, tc := range []struct {
		name string
		fn   func([]string) (map[string]uint64, error)
	}{
		{"helper", lookupKallsyms},
		{"proc", func(n []string) (map[string]uint64, error) { return kernel.ReadKallsyms(n...) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tc.fn([]string{"bpf_prog_put", "schedule"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
