package elfsym

import (
	"os"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestSymbolOffset(t *testing.T) {
	libc := ""
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/lib64/libc.so.6"} {
		if _, err := os.Stat(p); err == nil {
			libc = p
			break
		}
	}
	if libc == "" {
		t.Fatal("no libc.so.6 found")
	}
	tests := []struct {
		path, sym, wantErr string
	}{
		{libc, "getpid", ""},
		{libc, "no_such_symbol", `no function symbol "no_such_symbol"`},
		{libc, "getpid@BPFGEN_NO_VERSION", `no function symbol "getpid@BPFGEN_NO_VERSION"`},
		{libc, "_IO_stdin_used", "no function symbol"}, // an object, not a function
		{"/no/such/file", "main", "no such file"},
	}
	for _, tt := range tests {
		off, err := SymbolOffset(tt.path, tt.sym)
		if tt.wantErr == "" {
			if err != nil || off == 0 {
				t.Errorf("SymbolOffset(%s, %s) = %#x, %v", tt.path, tt.sym, off, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("SymbolOffset(%s, %s) error = %v, want %q", tt.path, tt.sym, err, tt.wantErr)
		}
	}
}

func TestMatchFunctions(t *testing.T) {
	bin := strings.TrimSuffix(testutil.Object("usdt_target"), ".bpf.o")
	tests := []struct {
		pattern string
		want    []string
		wantErr string
	}{
		{"site_*", []string{"site_one", "site_two"}, ""},
		{"site_tw?", []string{"site_two"}, ""},
		{"step", []string{"step"}, ""},
		{"nothing*", nil, `no function symbol matches "nothing*"`},
		{"[", nil, `bad pattern "["`},
	}
	for _, tt := range tests {
		names, offs, err := MatchFunctions(bin, tt.pattern)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("MatchFunctions(%q) error = %v, want %q", tt.pattern, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(names, ",") != strings.Join(tt.want, ",") || len(offs) != len(names) {
			t.Errorf("MatchFunctions(%q) = %v %v, %v, want %v", tt.pattern, names, offs, err, tt.want)
			continue
		}
		// Each offset is the one SymbolOffset gives.
		for i, n := range names {
			if off, err := SymbolOffset(bin, n); err != nil || off != offs[i] {
				t.Errorf("%s: MatchFunctions offset %#x, SymbolOffset %#x, %v", n, offs[i], off, err)
			}
		}
	}
}
