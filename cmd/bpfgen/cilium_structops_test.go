package main

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

// TestCiliumTCPCongestion runs testdata/generate/ciliumso, a bpf2go
// user's program over examples/tcpcc's congestion control generated with
// -api cilium: the load registers nothing, cilium/ebpf's
// link.AttachStructOps registers it, a loopback TCP connection with it
// carries data and moves its counters, and closing the link and the
// objects takes it out of the kernel's list.
func TestCiliumTCPCongestion(t *testing.T) {
	testutil.RequireClang(t)
	testutil.RequireLoaders(t)
	behave.TCPCongestionOps.Require(t)
	// Not the example's own name, which its test may register meanwhile.
	const cc = "bpfgen_cilium"
	dir := t.TempDir()
	newToolModule(t, dir, "github.com/cilium/ebpf v0.22.0")
	src := readFile(t, filepath.Join(testutil.Root(), "examples", "tcpcc", "bpf", "tcpcc.bpf.c"))
	if !strings.Contains(src, `.name = "bpfgen_reno"`) {
		t.Fatal("examples/tcpcc/bpf/tcpcc.bpf.c names its congestion control otherwise")
	}
	// As bpf2go's users do, the C file is kept out of the Go build.
	src = "//go:build ignore\n\n" + strings.Replace(src, `"bpfgen_reno"`, `"`+cc+`"`, 1)
	writeFile(t, filepath.Join(dir, "tcpcc.c"), []byte(src))
	for _, h := range []string{"common.h", "vmlinux.h"} {
		copyTo(t, filepath.Join(testutil.Root(), "testdata", h), filepath.Join(dir, h))
	}
	copyTo(t, filepath.Join("testdata", "generate", "ciliumso", "main.go"), filepath.Join(dir, "main.go"))
	goCmd(t, dir, []string{"GOFLAGS=-mod=mod"}, "mod", "tidy")
	goCmd(t, dir, nil, "generate")
	bin := filepath.Join(dir, "ciliumso")
	goCmd(t, dir, nil, "build", "-o", bin, ".")

	cmd := exec.Command(bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed, the program's fds close, which unregisters the link.
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out := bufio.NewScanner(stdout)
	step := func(want string) {
		t.Helper()
		if !out.Scan() || out.Text() != want {
			rest, _ := io.ReadAll(stdout)
			t.Fatalf("ciliumso printed %q, want %q:\n%s%s", out.Text(), want, rest, stderr.Bytes())
		}
	}
	goAhead := func() {
		t.Helper()
		if _, err := io.WriteString(stdin, "\n"); err != nil {
			t.Fatal(err)
		}
	}

	step("loaded")
	if behave.HasCongestionControl(cc) {
		t.Errorf("%s registered by the load, before link.AttachStructOps", cc)
	}
	goAhead()
	step("attached")
	if !behave.HasCongestionControl(cc) {
		t.Errorf("%s not in the kernel's list after link.AttachStructOps", cc)
	}
	if err := behave.TCPTransfer(cc, 4<<20); err != nil {
		t.Errorf("TCP with %s: %v", cc, err)
	}
	goAhead()
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ciliumso: %v\n%s%s", err, rest, stderr.Bytes())
	}
	if !strings.HasSuffix(string(rest), "\nclosed\n") {
		t.Errorf("ciliumso did not close cleanly:\n%s%s", rest, stderr.Bytes())
	}
	t.Logf("%s", rest)
	if behave.HasCongestionControl(cc) {
		t.Errorf("%s still registered after closing the link and the objects", cc)
	}
}
