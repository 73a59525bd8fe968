package elfsym

import (
	"os"
	"strings"
	"testing"
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
