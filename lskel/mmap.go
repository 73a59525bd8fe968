package lskel

import (
	"errors"
	"os"
	"strconv"
)

// MmapMap maps the value of a BPF_F_MMAPABLE array map (one element, as
// global-data maps are) into memory. The mapping covers the value size
// rounded up to the page size; the returned slice has the value's length
// (its capacity is the whole mapping). Maps that are frozen or
// BPF_F_RDONLY_PROG must be mapped read-only (writable false): the kernel
// refuses a writable mapping of them. The mapping outlives the map's fd;
// release it with Munmap.
func MmapMap(m *Map, writable bool) ([]byte, error) {
	return mmapValue(m.FD(), m.valueSize, writable)
}

// mmapValue maps valueSize bytes of the map fd.
func mmapValue(fd int, valueSize uint32, writable bool) ([]byte, error) {
	if valueSize == 0 {
		return nil, errors.New("mmap map: value size 0")
	}
	page := uint64(os.Getpagesize())
	size := (uint64(valueSize) + page - 1) &^ (page - 1)
	b, err := mmap(fd, 0, int(size), writable)
	if err != nil {
		return nil, &SyscallError{Op: "mmap map fd " + strconv.Itoa(fd), Err: err}
	}
	return b[:valueSize], nil
}

// Munmap releases a mapping returned by MmapMap. It accepts nil.
func Munmap(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	// The mapping is the slice's whole capacity.
	if err := munmap(b); err != nil {
		return &SyscallError{Op: "munmap", Err: err}
	}
	return nil
}

// SyscallError is a failed system call of the runtime, with what it was
// doing; it unwraps to the errno.
type SyscallError struct {
	Op  string
	Err error
}

func (e *SyscallError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SyscallError) Unwrap() error { return e.Err }

// wrapErr prefixes err with context and keeps it for errors.Is and As
// (fmt.Errorf's %w would link fmt into the runtime).
func wrapErr(context string, err error) error { return &SyscallError{Op: context, Err: err} }

func sysErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &SyscallError{Op: op, Err: err}
}
