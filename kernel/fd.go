package kernel

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// FD owns one file descriptor: whoever holds the *FD closes it, once.
//
// Closing twice is harmless, Disown hands the number over to code that
// takes ownership of it, and an FD the program drops without closing is
// closed by the garbage collector, so a forgotten FD leaks only until the
// next collection. Because of that, keep the FD reachable (for example with
// runtime.KeepAlive) while a system call uses the number from Int.
//
// With fd tracing on (TraceFDs; the tests' leak check turns it on) each FD
// records where it was made, and OpenFDs lists the ones still open.
type FD struct {
	raw   atomic.Int64 // -1 once closed or disowned
	trace uint64       // key in the trace registry; 0 when not traced
}

// fdErr is a failed operation on the file descriptor fd, as an
// *os.SyscallError (which every binary with package os links already); it
// unwraps to the errno.
func fdErr(op string, fd int, err error) error {
	return os.NewSyscallError(op+" fd "+strconv.Itoa(fd), err)
}

// NewFD takes ownership of raw. A raw of 0, 1 or 2 is moved to a number
// of at least 3 (close-on-exec) and the original closed: a BPF object
// sitting on stdin, stdout or stderr gets written to or closed by code that
// means the terminal. If NewFD fails, raw is closed (unless negative), so a
// caller never has to clean up after it.
func NewFD(raw int) (*FD, error) {
	return newFD(raw, 4)
}

// newFD is NewFD; skip is runtime.Callers' skip that starts the trace at
// the caller of the exported function (NewFD or Dup): Callers, add, newFD,
// the exported function.
func newFD(raw, skip int) (*FD, error) {
	if raw < 0 {
		return nil, fdErr("own", raw, syscall.EBADF)
	}
	if raw <= 2 {
		moved, err := dupCloexec(raw)
		Close(raw)
		if err != nil {
			return nil, fdErr("move standard", raw, err)
		}
		raw = moved
	}
	f := &FD{}
	f.raw.Store(int64(raw))
	if add := traceAdd.Load(); add != nil {
		f.trace = (*add)(raw, skip)
	}
	// A finalizer rather than runtime.AddCleanup: every Go binary that
	// uses package os already links the finalizer machinery (os.File has
	// one), while AddCleanup's queue adds 12 KiB to a skeleton.
	runtime.SetFinalizer(f, (*FD).closeDropped)
	return f, nil
}

// closeDropped closes the number of an FD that became unreachable while
// still open.
func (f *FD) closeDropped() {
	if raw := f.raw.Swap(-1); raw >= 0 {
		untrace(f.trace)
		Close(int(raw))
	}
}

// Int returns the file descriptor number, or -1 once the FD is closed or
// disowned (or f is nil).
func (f *FD) Int() int {
	if f == nil {
		return -1
	}
	return int(f.raw.Load())
}

// Close closes the file descriptor. Closing a closed FD, or a nil *FD,
// does nothing and returns nil; so does Close after Disown. Concurrent
// calls close the number once.
func (f *FD) Close() error {
	raw := f.release()
	if raw < 0 {
		return nil
	}
	if err := Close(raw); err != nil {
		return fdErr("close", raw, err)
	}
	return nil
}

// Disown returns the file descriptor number and gives up ownership of it:
// the FD reads as closed, Close does nothing, the garbage collector will not
// close the number, and the caller must. It returns -1 if f is already
// closed or disowned.
func (f *FD) Disown() int {
	return f.release()
}

// release marks f closed and returns the number it held, or -1 if another
// call already did. The caller decides whether to close the number.
func (f *FD) release() int {
	if f == nil {
		return -1
	}
	raw := int(f.raw.Swap(-1))
	if raw < 0 {
		return -1
	}
	runtime.SetFinalizer(f, nil)
	untrace(f.trace)
	return raw
}

// Dup returns a new FD for the same open file, numbered 3 or more and
// close-on-exec.
func (f *FD) Dup() (*FD, error) {
	raw := f.Int()
	if raw < 0 {
		return nil, fdErr("dup", raw, syscall.EBADF)
	}
	dup, err := dupCloexec(raw)
	runtime.KeepAlive(f)
	if err != nil {
		return nil, fdErr("dup", raw, err)
	}
	return newFD(dup, 4)
}

// Tracing.
//
// NewFD reaches the tracing code only through traceAdd, which TraceFDs
// sets: a program that never traces (a skeleton) links none of it.
var traceAdd atomic.Pointer[func(raw, skip int) uint64]

// TraceFDs turns fd tracing on or off for FDs made from now on and returns
// whether it was on. FDs traced earlier stay in OpenFDs until closed.
func TraceFDs(on bool) (was bool) {
	add, remove := traces.add, traces.remove
	var next *func(raw, skip int) uint64
	if on {
		next = &add
		traceRemove.CompareAndSwap(nil, &remove)
	}
	return traceAdd.Swap(next) != nil
}

// traceRemove is set with traceAdd and never unset (FDs traced earlier
// are forgotten when closed, even after tracing is off).
var traceRemove atomic.Pointer[func(key uint64)]

// untrace forgets the trace with key, if it has one.
func untrace(key uint64) {
	if key != 0 {
		if remove := traceRemove.Load(); remove != nil {
			(*remove)(key)
		}
	}
}

// FDTrace is an open FD and the call stack that made it.
type FDTrace struct {
	FD     int             // the number
	Frames []runtime.Frame // innermost first, from the caller of NewFD or Dup
}

// String gives the number and one "function (file:line)" per frame,
// each on its own indented line.
func (t FDTrace) String() string {
	var b strings.Builder
	b.WriteString("fd ")
	b.WriteString(strconv.Itoa(t.FD))
	b.WriteString(" made at:")
	for _, fr := range t.Frames {
		b.WriteString("\n\t")
		b.WriteString(fr.Function)
		b.WriteString("\n\t\t")
		b.WriteString(fr.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(fr.Line))
	}
	return b.String()
}

// OpenFDs lists the traced FDs that are still open, by number, each with
// the stack that made it. FDs made while tracing was off are not listed.
func OpenFDs() []FDTrace {
	traces.mu.Lock()
	open := make([]traceEntry, 0, len(traces.open))
	for _, e := range traces.open {
		open = append(open, e)
	}
	traces.mu.Unlock()
	slices.SortFunc(open, func(a, b traceEntry) int { return a.raw - b.raw })

	out := make([]FDTrace, len(open))
	for i, e := range open {
		// Symbolised here, not in NewFD: most traces are never read.
		out[i] = FDTrace{FD: e.raw}
		frames := runtime.CallersFrames(e.pcs)
		for {
			fr, more := frames.Next()
			if fr.Function != "runtime.goexit" {
				out[i].Frames = append(out[i].Frames, fr)
			}
			if !more {
				break
			}
		}
	}
	return out
}

// maxTraceDepth bounds the frames recorded per FD.
const maxTraceDepth = 32

type traceEntry struct {
	raw int
	pcs []uintptr
}

type traceRegistry struct {
	mu   sync.Mutex
	last uint64                // last key handed out
	open map[uint64]traceEntry // keyed by a counter, not *FD, so the GC can still drop an FD
}

var traces traceRegistry

// add records raw with the stack runtime.Callers(skip) gives and returns
// its key.
func (r *traceRegistry) add(raw, skip int) uint64 {
	pcs := make([]uintptr, maxTraceDepth)
	pcs = pcs[:runtime.Callers(skip, pcs)]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open == nil {
		r.open = map[uint64]traceEntry{}
	}
	r.last++
	r.open[r.last] = traceEntry{raw: raw, pcs: pcs}
	return r.last
}

func (r *traceRegistry) remove(key uint64) {
	if key == 0 {
		return
	}
	r.mu.Lock()
	delete(r.open, key)
	r.mu.Unlock()
}
