package lskel

import (
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

// TestRun runs a program once with BPF_PROG_TEST_RUN: data is the packet
// (XDP, tc, socket programs), ctx the context (syscall programs get it
// back rewritten, as the kernel leaves it). It returns the program's
// return value and, for packet programs, the packet as the program left it.
func TestRun(progFD int, data, ctx []byte) (retval uint32, out []byte, err error) {
	a := &kernel.TestRunAttr{ProgFD: progFD, DataIn: data, CtxIn: ctx}
	if len(data) > 0 {
		// Programs may grow the packet (XDP adjust_tail): leave room.
		a.DataOut = make([]byte, len(data)+256)
	}
	r, err := kernel.ProgTestRun(a)
	if err != nil {
		return 0, nil, sysErr("test run of program fd "+strconv.Itoa(progFD), err)
	}
	if a.DataOut != nil {
		out = a.DataOut[:min(int(r.DataSizeOut), len(a.DataOut))]
	}
	return r.Retval, out, nil
}
