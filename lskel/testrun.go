package lskel

import (
	"strconv"
	"time"

	"github.com/bpfgen/bpfgen/kernel"
)

// TestRunOptions is one BPF_PROG_TEST_RUN: the input and room for the
// output of a program run in the kernel, for unit-testing BPF programs
// from Go. Which fields a program type takes is the kernel's rule: packet
// programs (XDP, tc, socket filters) take Data and may take a Context
// (xdp_md, __sk_buff), syscall and raw tracepoint programs a Context only.
type TestRunOptions struct {
	// Data is the packet the program sees.
	Data []byte
	// DataOut is the room for the packet as the program leaves it; nil
	// means len(Data)+256 bytes when Data is set (programs may grow it).
	DataOut []byte
	// Context is the program's context (ctx_in).
	Context []byte
	// ContextOut is the room for the context as the program leaves it
	// (ctx_out); nil means none. Syscall programs change Context itself.
	ContextOut []byte
	// Repeat runs the program that many times (0 means once), for a
	// benchmark: Duration is then the average.
	Repeat uint32
	// Flags are BPF_F_TEST_* flags; CPU is the CPU to run on with
	// BPF_F_TEST_RUN_ON_CPU.
	Flags, CPU uint32
}

// TestRunResult is what a test run gives back.
type TestRunResult struct {
	// Retval is the program's return value.
	Retval uint32
	// Duration is the average time of one run, as the kernel measured it.
	Duration time.Duration
	// Data is the packet out, a prefix of DataOut; Context the context
	// out, a prefix of ContextOut.
	Data, Context []byte
}

// RunTest runs program p with BPF_PROG_TEST_RUN.
func RunTest(p *Program, opts *TestRunOptions) (*TestRunResult, error) {
	if p == nil {
		return nil, errNotLoaded
	}
	a := &kernel.TestRunAttr{
		ProgFD: p.FD(), DataIn: opts.Data, DataOut: opts.DataOut, CtxIn: opts.Context, CtxOut: opts.ContextOut,
		Repeat: opts.Repeat, Flags: opts.Flags, CPU: opts.CPU,
	}
	if a.DataOut == nil && len(a.DataIn) > 0 {
		a.DataOut = make([]byte, len(a.DataIn)+256)
	}
	r, err := kernel.ProgTestRun(a)
	if err != nil {
		return nil, sysErr("test run of program "+p.name+" (fd "+strconv.Itoa(p.FD())+")", err)
	}
	return &TestRunResult{
		Retval:   r.Retval,
		Duration: time.Duration(r.Duration),
		Data:     a.DataOut[:min(int(r.DataSizeOut), len(a.DataOut))],
		Context:  a.CtxOut[:min(int(r.CtxSizeOut), len(a.CtxOut))],
	}, nil
}

// RunTestContext runs p once with *ctx as its context and data (may be
// nil) as its packet, and writes the context as the program left it back
// into *ctx: a typed test run, as generated skeletons offer it for
// programs whose context type they know. It returns the program's return
// value and the packet out. The kernel checks the context: fields the
// program type does not take from user space must be zero, and an
// xdp_md's data_end must be the packet's length.
func RunTestContext[C any](p *Program, ctx *C, data []byte) (retval uint32, dataOut []byte, err error) {
	in := Bytes(ctx)
	opts := &TestRunOptions{Data: data, Context: in}
	if !isSyscallProg(p) {
		// Syscall programs write into ctx_in itself and take no ctx_out.
		// The kernel refuses a ctx_out smaller than its own context type
		// (ENOSPC), which may have grown since the object's headers: leave
		// room.
		opts.ContextOut = make([]byte, max(len(in), 1024))
	}
	r, err := RunTest(p, opts)
	if err != nil {
		return 0, nil, err
	}
	if opts.ContextOut != nil {
		copy(in, r.Context)
	}
	return r.Retval, r.Data, nil
}

func isSyscallProg(p *Program) bool { return p != nil && p.typ == progTypeSyscall }
