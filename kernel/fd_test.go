package kernel_test

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// pipe returns both ends of a new pipe. The write end is closed at the end
// of the test; the read end is the test's to close (usually by handing it
// to NewFD): closing a number twice could close another goroutine's file.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[1]) })
	return p[0], p[1]
}

// isOpen reports whether raw is an open fd.
func isOpen(raw int) bool {
	_, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0)
	return err == nil
}

// inode returns the inode of the file raw refers to.
func inode(t *testing.T, raw int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(raw, &st); err != nil {
		t.Fatalf("fstat(%d): %v", raw, err)
	}
	return st.Ino
}

func newFD(t *testing.T, raw int) *kernel.FD {
	t.Helper()
	f, err := kernel.NewFD(raw)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFDClose(t *testing.T) {
	r, _ := pipe(t)
	f := newFD(t, r)
	if f.Int() != r {
		t.Fatalf("Int %d, want %d", f.Int(), r)
	}
	for i := range 2 {
		if err := f.Close(); err != nil {
			t.Fatalf("close #%d: %v", i+1, err)
		}
	}
	if isOpen(r) {
		t.Error("number still open after Close")
	}
	if f.Int() != -1 {
		t.Errorf("after Close: Int %d, want -1", f.Int())
	}
	if f.Disown() != -1 {
		t.Error("Disown of a closed FD returned a number")
	}
}

func TestFDNil(t *testing.T) {
	var f *kernel.FD
	if err := f.Close(); err != nil {
		t.Error(err)
	}
	if f.Int() != -1 || f.Disown() != -1 {
		t.Error("nil FD has a number")
	}
	if _, err := f.Dup(); !errors.Is(err, unix.EBADF) {
		t.Errorf("Dup of nil: %v, want EBADF", err)
	}
}

func TestFDDisown(t *testing.T) {
	r, _ := pipe(t)
	f := newFD(t, r)
	if got := f.Disown(); got != r {
		t.Fatalf("Disown = %d, want %d", got, r)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC() // a stopped cleanup must not close the number either
	runtime.GC()
	if !isOpen(r) {
		t.Fatal("Close after Disown closed the number")
	}
	unix.Close(r)
}

func TestFDConcurrentClose(t *testing.T) {
	r, _ := pipe(t)
	f := newFD(t, r)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = f.Close() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err) // a second close(2) of the number gives EBADF
		}
	}
}

func TestFDDup(t *testing.T) {
	r, _ := pipe(t)
	f := newFD(t, r)
	defer f.Close()
	d, err := f.Dup()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Int() < 3 || d.Int() == r {
		t.Fatalf("dup number %d", d.Int())
	}
	if inode(t, d.Int()) != inode(t, r) {
		t.Error("dup refers to another file")
	}
	f.Close()
	if !isOpen(d.Int()) {
		t.Error("closing the original closed the dup")
	}
	if _, err := f.Dup(); !errors.Is(err, unix.EBADF) {
		t.Errorf("Dup of a closed FD: %v, want EBADF", err)
	}
}

func TestNewFDNegative(t *testing.T) {
	if _, err := kernel.NewFD(-1); !errors.Is(err, unix.EBADF) {
		t.Errorf("NewFD(-1): %v, want EBADF", err)
	}
}

// TestNewFDStandard puts a pipe on 0, 1 and 2 in turn and checks that
// NewFD moves it off: the FD's number is 3 or more, refers to the pipe, and
// the standard number is free again.
func TestNewFDStandard(t *testing.T) {
	for _, std := range []int{0, 1, 2} {
		t.Run(strconv.Itoa(std), func(t *testing.T) {
			r, _ := pipe(t)
			ino := inode(t, r)
			defer unix.Close(r)
			// Keep the real standard fd aside and put it back afterwards.
			saved, err := unix.FcntlInt(uintptr(std), unix.F_DUPFD_CLOEXEC, 3)
			if err != nil {
				saved = -1 // it was not open
			}
			defer func() {
				if saved >= 0 {
					unix.Dup3(saved, std, 0)
					unix.Close(saved)
				}
			}()
			if err := unix.Dup3(r, std, 0); err != nil {
				t.Fatal(err)
			}
			f, err := kernel.NewFD(std)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Int() < 3 {
				t.Fatalf("NewFD(%d) kept number %d", std, f.Int())
			}
			if inode(t, f.Int()) != ino {
				t.Error("the moved fd refers to another file")
			}
			if isOpen(std) {
				t.Errorf("fd %d still open after NewFD moved it", std)
			}
		})
	}
}

// dropFD makes an FD for raw and forgets it.
//
//go:noinline
func dropFD(t *testing.T, raw int) {
	newFD(t, raw)
}

// TestFDCleanup drops the read end of a pipe and waits for the garbage
// collector to close it. The write end tells: writing to a pipe nobody can
// read fails with EPIPE. (Checking the read end's number would be fooled by
// another goroutine reusing it.)
func TestFDCleanup(t *testing.T) {
	r, w := pipe(t)
	dropFD(t, r)
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		_, err := unix.Write(w, []byte{0})
		if errors.Is(err, unix.EPIPE) {
			return
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the garbage collector did not close a dropped FD")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFDTrace(t *testing.T) {
	defer kernel.TraceFDs(kernel.TraceFDs(true))
	r, _ := pipe(t)
	f := newFD(t, r)
	defer f.Close()

	tr, ok := findTrace(r)
	if !ok {
		t.Fatalf("fd %d not in OpenFDs", r)
	}
	s := tr.String()
	for _, want := range []string{"fd " + strconv.Itoa(r) + " made at:", "kernel_test.newFD", "kernel_test.TestFDTrace", "fd_test.go:"} {
		if !strings.Contains(s, want) {
			t.Errorf("trace lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "kernel.NewFD") {
		t.Errorf("trace starts inside NewFD:\n%s", s)
	}

	d, err := f.Dup()
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := findTrace(d.Int()); !ok || !strings.Contains(tr.String(), "TestFDTrace") {
		t.Errorf("dup not traced to the test: %v", tr)
	}
	dupNum := d.Int()
	d.Disown()
	unix.Close(dupNum)
	f.Close()
	if _, ok := findTrace(r); ok {
		t.Error("closed FD still in OpenFDs")
	}
	if _, ok := findTrace(dupNum); ok {
		t.Error("disowned FD still in OpenFDs")
	}
}

func TestFDTraceOff(t *testing.T) {
	defer kernel.TraceFDs(kernel.TraceFDs(false))
	r, _ := pipe(t)
	f := newFD(t, r)
	defer f.Close()
	if _, ok := findTrace(r); ok {
		t.Error("FD traced with tracing off")
	}
}

func findTrace(raw int) (kernel.FDTrace, bool) {
	for _, tr := range kernel.OpenFDs() {
		if tr.FD == raw {
			return tr, true
		}
	}
	return kernel.FDTrace{}, false
}
