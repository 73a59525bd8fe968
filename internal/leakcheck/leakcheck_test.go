package leakcheck

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { Main(m) }

func TestDetectsLeaks(t *testing.T) {
	s := Take(true)
	if !s.kernel {
		testutil.SkipOrFail(t, "bpf(2) unavailable")
	}
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 4, MaxEntries: 1, Name: "lc_leak"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil {
		unix.Close(fd)
		t.Fatal("open map not reported")
	}
	for _, want := range []string{"anon_inode:bpf-map", "map id", `name "lc_leak"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err, want)
		}
	}
	unix.Close(fd)
	if err := s.Wait(2 * time.Second); err != nil {
		t.Errorf("after close: %v", err)
	}
}

func TestFDOnly(t *testing.T) {
	s := Take(false)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "pipe:") {
		t.Errorf("open pipe not reported: %v", err)
	}
	r.Close()
	w.Close()
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// leakTracedFD wraps the read end of a new pipe in a kernel.FD and returns
// it open; the write end is closed.
//
//go:noinline
func leakTracedFD(t *testing.T) *kernel.FD {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[1])
	f, err := kernel.NewFD(p[0])
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTracedLeaks(t *testing.T) {
	defer kernel.TraceFDs(kernel.TraceFDs(true))
	f := leakTracedFD(t)
	n := f.Int()
	err := tracedLeaks(kernel.OpenFDs())
	f.Close()
	if err == nil {
		t.Fatal("open traced FD not reported")
	}
	for _, want := range []string{"1 traced fd(s) still open", "fd " + strconv.Itoa(n) + " made at:", "leakcheck.leakTracedFD", "leakcheck.TestTracedLeaks", "leakcheck_test.go:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report lacks %q:\n%v", want, err)
		}
	}
	if err := tracedLeaks(kernel.OpenFDs()); err != nil {
		t.Errorf("after Close: %v", err)
	}
}

// fakeTests stands for a package's tests: Run leaks a traced FD if leak is
// set.
type fakeTests struct {
	t      *testing.T
	leak   bool
	leaked *kernel.FD
}

func (f *fakeTests) Run() int {
	if f.leak {
		f.leaked = leakTracedFD(f.t)
	}
	return 0
}

// TestRun runs run as Main would, on tests that leak a traced FD and on
// tests that do not.
func TestRun(t *testing.T) {
	defer kernel.TraceFDs(kernel.TraceFDs(true)) // run turns tracing on; put back what it was
	defer func(old time.Duration) { Timeout = old }(Timeout)
	Timeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name     string
		leak     bool
		wantCode int
	}{
		{"clean", false, 0},
		{"leak", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tests := &fakeTests{t: t, leak: tc.leak}
			var out bytes.Buffer
			code := run(tests, "fd", &out)
			n := tests.leaked.Int()
			tests.leaked.Close()
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tc.wantCode, &out)
			}
			if !tc.leak {
				if out.Len() > 0 {
					t.Errorf("output for clean tests:\n%s", &out)
				}
				return
			}
			// The traced report names where the fd was made; the fd
			// comparison still names the fd.
			for _, want := range []string{"traced fd(s) still open", "fd " + strconv.Itoa(n) + " made at:", "leakcheck.leakTracedFD", "leakcheck.(*fakeTests).Run", "fd " + strconv.Itoa(n) + " -> pipe:"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, &out)
				}
			}
		})
	}
}
