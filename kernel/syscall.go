// Package kernel is bpfgen's bpf(2) layer: one Go struct per command laid out
// exactly like the kernel's union bpf_attr member, thin wrappers that pass the
// smallest attribute size covering the fields they set, errors that name the
// command and unwrap to the errno, the BPF_OBJ_GET_INFO_BY_FD records, and a
// few cached feature probes.
//
// The package imports only the standard library and golang.org/x/sys/unix:
// the runtime of generated light skeletons links it, so it must stay small.
// File descriptors are plain ints; the caller closes them with unix.Close.
//
// The package builds on every platform Go supports, so that code shared
// with other platforms compiles: the system calls themselves are in the
// files built for Linux only (sys_linux.go and the few that need Linux's
// types), and elsewhere they fail with ErrNotSupported (sys_other.go).
package kernel

import (
	"strconv"
	"syscall"
	"unsafe"
)

// Cmd is a bpf(2) command number.
type Cmd uint32

// The bpf(2) commands (enum bpf_cmd), including the ones x/sys/unix lacks.
const (
	CmdMapCreate              Cmd = 0
	CmdMapLookupElem          Cmd = 1
	CmdMapUpdateElem          Cmd = 2
	CmdMapDeleteElem          Cmd = 3
	CmdMapGetNextKey          Cmd = 4
	CmdProgLoad               Cmd = 5
	CmdObjPin                 Cmd = 6
	CmdObjGet                 Cmd = 7
	CmdProgAttach             Cmd = 8
	CmdProgDetach             Cmd = 9
	CmdProgTestRun            Cmd = 10
	CmdProgGetNextID          Cmd = 11
	CmdMapGetNextID           Cmd = 12
	CmdProgGetFDByID          Cmd = 13
	CmdMapGetFDByID           Cmd = 14
	CmdObjGetInfoByFD         Cmd = 15
	CmdProgQuery              Cmd = 16
	CmdRawTracepointOpen      Cmd = 17
	CmdBTFLoad                Cmd = 18
	CmdBTFGetFDByID           Cmd = 19
	CmdTaskFDQuery            Cmd = 20
	CmdMapLookupAndDeleteElem Cmd = 21
	CmdMapFreeze              Cmd = 22
	CmdBTFGetNextID           Cmd = 23
	CmdMapLookupBatch         Cmd = 24
	CmdMapLookupAndDeleteBat  Cmd = 25
	CmdMapUpdateBatch         Cmd = 26
	CmdMapDeleteBatch         Cmd = 27
	CmdLinkCreate             Cmd = 28
	CmdLinkUpdate             Cmd = 29
	CmdLinkGetFDByID          Cmd = 30
	CmdLinkGetNextID          Cmd = 31
	CmdEnableStats            Cmd = 32
	CmdIterCreate             Cmd = 33
	CmdLinkDetach             Cmd = 34
	CmdProgBindMap            Cmd = 35
	CmdTokenCreate            Cmd = 36
	CmdProgStreamReadByFD     Cmd = 37
)

var cmdNames = [...]string{
	"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM",
	"BPF_MAP_DELETE_ELEM", "BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD",
	"BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH", "BPF_PROG_DETACH",
	"BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
	"BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD",
	"BPF_PROG_QUERY", "BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD",
	"BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
	"BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
	"BPF_MAP_UPDATE_BATCH", "BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE",
	"BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID",
	"BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH",
	"BPF_PROG_BIND_MAP", "BPF_TOKEN_CREATE", "BPF_PROG_STREAM_READ_BY_FD",
}

// String returns the kernel's name of the command, e.g. "BPF_PROG_LOAD".
func (c Cmd) String() string {
	if int(c) < len(cmdNames) {
		return cmdNames[c]
	}
	return "BPF_CMD_" + strconv.FormatUint(uint64(c), 10)
}

// ENOTSUPP is the kernel-internal "operation not supported" errno (524) that
// bpf(2) leaks to user space, e.g. for unsupported helpers or attach types.
// It is distinct from syscall.ENOTSUP/EOPNOTSUPP (95).
const ENOTSUPP = syscall.Errno(524)

// Error is a failed bpf(2) call. It unwraps to its errno, so
// errors.Is(err, syscall.EPERM) works.
type Error struct {
	Cmd   Cmd
	Errno syscall.Errno
}

func (e *Error) Error() string {
	return "bpf(" + e.Cmd.String() + "): " + errnoString(e.Errno)
}

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

func errnoString(e syscall.Errno) string {
	if e == ENOTSUPP {
		return "operation not supported (ENOTSUPP)"
	}
	return e.Error()
}

// bytesPtr points at b's first byte; an empty b gives NULL.
func bytesPtr(b []byte) ptr {
	return ptr{p: slicePtr(b)}
}

// cstring returns s as a NUL-terminated byte slice; an empty s gives nil
// (a NULL pointer for the kernel).
func cstring(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, syscall.EINVAL
		}
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

// objName copies an object name (program, map) into the kernel's 16-byte
// field, truncated to 15 bytes as libbpf does.
func objName(s string) (n [BPF_OBJ_NAME_LEN]byte) {
	copy(n[:BPF_OBJ_NAME_LEN-1], s)
	return n
}

// attrSize returns the number of bytes of the attribute at p (full bytes
// long) to pass to the kernel: up to and including the last non-zero byte,
// rounded up to 4 (every bpf_attr field is 4-aligned), and at least min.
// Kernels older than the attribute layout reject a non-zero byte past their
// own union bpf_attr with E2BIG, and zero-fill what we do not pass, so the
// shortest covering size is both correct and maximally portable. min lets a
// caller include an output field (log_true_size) the kernel only writes when
// the size covers it.
func attrSize(p unsafe.Pointer, full, min uintptr) uintptr {
	b := unsafe.Slice((*byte)(p), full)
	n := full
	for n > 0 && b[n-1] == 0 {
		n--
	}
	n = (n + 3) &^ 3
	if n < min {
		n = min
	}
	if n > full {
		n = full
	}
	return n
}

// call passes the attribute at p with its minimal size.
func call(cmd Cmd, p unsafe.Pointer, full, min uintptr) (int, error) {
	return sys(cmd, p, attrSize(p, full, min))
}
