package btf

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain fails the run if the tests leave BPF objects (here: BTF) open:
// a kernel object loaded by a test lives as long as its fd.
func TestMain(m *testing.M) {
	flag.Parse()
	before := bpfFDs()
	code := m.Run()
	if code == 0 && !fuzzing() {
		if after := bpfFDs(); len(after) > len(before) {
			fmt.Fprintf(os.Stderr, "btf tests leaked BPF file descriptors: %v before, %v after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

// bpfFDs lists the open fds that refer to BPF objects. Other fds are not
// counted: the Go runtime itself keeps some (cgroup CPU limits) open lazily.
func bpfFDs() []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	var fds []string
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && (strings.HasPrefix(l, "anon_inode:bpf") || l == "anon_inode:btf") {
			fds = append(fds, e.Name()+"="+l)
		}
	}
	return fds
}

func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}
