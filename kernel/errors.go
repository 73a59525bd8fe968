package kernel

import (
	"errors"
	"runtime"
	"strconv"
	"syscall"
)

// ErrNotSupported is what the package's system calls fail with off Linux,
// and so every load, map operation and attach of bpfgen there: the code
// builds on every platform Go supports, but BPF needs Linux. Errors wrap
// it, so errors.Is(err, ErrNotSupported) tells.
var ErrNotSupported = errors.New("not supported on " + runtime.GOOS + ": BPF needs Linux")

// LoadError is a failed load of a BPF object, whichever way it was loaded
// (directly, or by running its loader program): the object, the step that
// failed and why. Both ways name their steps alike ("load BTF", "create
// map counts", "load program handle_exec").
type LoadError struct {
	Object string // the object's name
	Step   string // the step that failed
	// Err says why: a *VerifierError when the kernel refused a program or
	// the BTF, otherwise the failed call's error (a *Error, an errno) or
	// the reason bpfgen refused to go on.
	Err error
}

func (e *LoadError) Error() string {
	s := e.Step + ": " + errString(e.Err)
	if e.Object == "" {
		return s
	}
	return "load " + strconv.Quote(e.Object) + ": " + s
}

// Unwrap returns Err, so errors.Is(err, syscall.EPERM) and errors.As(err,
// &verifierErr) see through a LoadError.
func (e *LoadError) Unwrap() error { return e.Err }

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// VerifierError is a program or BTF blob the kernel refused, with the log
// the kernel wrote about it.
type VerifierError struct {
	Errno syscall.Errno
	// Log is the whole log; the message carries only its last
	// VerifierLogTail lines. It is empty when the kernel wrote none.
	Log string
}

// VerifierLogTail is how many lines of a verifier log an error message
// carries; the whole log stays in VerifierError.Log.
const VerifierLogTail = 60

// Error is the errno and the end of the log, indented one tab, as
//
//	permission denied
//	verifier log (last 60 of 132 lines):
//		...
func (e *VerifierError) Error() string {
	// Appends to a []byte rather than a strings.Builder: this runs in
	// skeletons too, and the byte loops keep it small.
	b := []byte(errnoString(e.Errno))
	log := e.Log
	for len(log) > 0 && (log[len(log)-1] == '\n' || log[len(log)-1] == ' ' || log[len(log)-1] == 0) {
		log = log[:len(log)-1]
	}
	if log == "" {
		return string(append(b, " (the kernel wrote no log)"...))
	}
	// Find where the last VerifierLogTail lines start, counting all lines.
	lines, start := 1, 0
	for i := len(log) - 1; i >= 0; i-- {
		if log[i] == '\n' {
			if lines == VerifierLogTail {
				start = i + 1
			}
			lines++
		}
	}
	b = append(b, "\nverifier log"...)
	if lines > VerifierLogTail {
		b = append(b, " (last "+strconv.Itoa(VerifierLogTail)+" of "...)
		b = strconv.AppendInt(b, int64(lines), 10)
		b = append(b, " lines)"...)
	}
	b = append(b, ":\n\t"...)
	for i := start; i < len(log); i++ {
		b = append(b, log[i])
		if log[i] == '\n' {
			b = append(b, '\t')
		}
	}
	return string(b)
}

// Unwrap returns the errno.
func (e *VerifierError) Unwrap() error { return e.Errno }

// CString returns the bytes of b up to the first NUL, as a string: the
// kernel's logs are NUL-terminated in a larger buffer.
func CString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// ErrnoOf is the errno a failed call ended with, EINVAL when err carries
// none. It walks the Unwrap chain by hand: errors.As would link
// internal/reflectlite into every skeleton.
func ErrnoOf(err error) syscall.Errno {
	for err != nil {
		switch e := err.(type) {
		case syscall.Errno:
			return e
		case *Error:
			return e.Errno
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return syscall.EINVAL
}
