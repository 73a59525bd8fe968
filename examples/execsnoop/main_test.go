package main

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestExecsnoop runs /bin/true while snooping and wants its record: the
// child's pid, this process as its parent, its name and its file; then
// cancelling the context ends snoop without an error.
func TestExecsnoop(t *testing.T) {
	testutil.RequireLoaders(t)
	testutil.RequireTracefs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	events := map[uint32]ExecsnoopEvent{}
	done := make(chan error, 1)
	go func() {
		done <- snoop(ctx, func(e *ExecsnoopEvent) {
			mu.Lock()
			events[e.Pid] = *e
			mu.Unlock()
		})
	}()
	// The first execs may run before the program is attached: exec until
	// one is seen.
	deadline := time.Now().Add(20 * time.Second)
	var got ExecsnoopEvent
	for found := false; !found; {
		if time.Now().After(deadline) {
			t.Fatal("no record of /bin/true in 20 s")
		}
		select {
		case err := <-done:
			t.Fatalf("snoop ended early: %v", err)
		default:
		}
		cmd := exec.Command("/bin/true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		got, found = events[uint32(cmd.Process.Pid)]
		mu.Unlock()
	}
	if got.Ppid != uint32(os.Getpid()) || cString(got.Comm[:]) != "true" || cString(got.Filename[:]) != "/bin/true" {
		t.Errorf("record pid %d ppid %d comm %q file %q; want ppid %d comm \"true\" file \"/bin/true\"",
			got.Pid, got.Ppid, cString(got.Comm[:]), cString(got.Filename[:]), os.Getpid())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("snoop after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("snoop did not return within 5 s of cancel")
	}
}
