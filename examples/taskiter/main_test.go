package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestTaskIter lists the processes and finds this test process, with its
// parent, its command name and its threads (the Go runtime's: more than
// one), and a child it started, each process once.
func TestTaskIter(t *testing.T) {
	testutil.RequireLoaders(t)
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = child.Process.Kill()
		_ = child.Wait()
	}()
	procs, err := processes()
	if err != nil {
		t.Fatal(err)
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]process{}
	for _, p := range procs {
		if _, dup := seen[p.PID]; dup {
			t.Errorf("pid %d listed twice", p.PID)
		}
		seen[p.PID] = p
	}
	if c, ok := seen[child.Process.Pid]; !ok || c.PPID != os.Getpid() || c.Comm != "sleep" || c.Threads != 1 {
		t.Errorf("child %d: %+v (listed: %v); want ppid %d, comm sleep, one thread", child.Process.Pid, c, ok, os.Getpid())
	}
	self, ok := seen[os.Getpid()]
	if !ok {
		t.Fatalf("pid %d (this test) not among %d processes", os.Getpid(), len(procs))
	}
	if want := strings.TrimSpace(string(comm)); self.PPID != os.Getppid() || self.Comm != want || self.Threads < 2 {
		t.Errorf("this test: %+v; want ppid %d, comm %q, threads > 1", self, os.Getppid(), want)
	}
}
