package lskel

import (
	"errors"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Program is a loaded BPF program, and owns its fd: Close closes it, once.
// It knows the section it came from, so Attach can attach it without
// being told where.
type Program struct {
	fd         *kernel.FD
	name       string
	section    string
	typ        uint32
	attachType uint32
	attachTo   string
	// attachProbe attaches kprobe, uprobe and kprobe.multi sections for
	// Attach (RunOptions.AttachProbe); nil leaves them to the caller.
	attachProbe func(*Program) (*Link, error)
}

// NewProgram takes ownership of the program fd, which came from elsewhere
// (a pin, another loader), and asks the kernel for its type and name.
// section, if not empty, is the ELF section it was compiled for, so that
// Attach can attach it; else attach it with the Attach* function of its
// kind. If NewProgram fails, the caller still owns fd.
func NewProgram(fd int, section string) (*Program, error) {
	info, err := kernel.GetProgInfo(fd)
	if err != nil {
		return nil, sysErr("program info of fd "+strconv.Itoa(fd), err)
	}
	return newProgram(fd, &abi.ProgDesc{Name: info.Name, Section: section, Type: info.Type})
}

// newProgram owns fd as the program d describes; on failure fd is closed.
func newProgram(fd int, d *abi.ProgDesc) (*Program, error) {
	owned, err := kernel.NewFD(fd)
	if err != nil {
		return nil, sysErr("program "+d.Name, err)
	}
	return &Program{fd: owned, name: d.Name, section: d.Section, typ: d.Type, attachType: d.AttachType, attachTo: d.AttachTo}, nil
}

// FD is the program's file descriptor, -1 once closed (or for a nil
// Program: one not loaded). The Program still owns it.
func (p *Program) FD() int {
	if p == nil {
		return -1
	}
	return p.fd.Int()
}

// Name is the program's name in the object.
func (p *Program) Name() string { return p.name }

// Section is the ELF section the program came from, e.g.
// "tracepoint/syscalls/sys_enter_getpid".
func (p *Program) Section() string { return p.section }

// Type is the program type (BPF_PROG_TYPE_*).
func (p *Program) Type() uint32 { return p.typ }

// AttachType is the attach type the program was loaded with
// (BPF_CGROUP_*, BPF_TRACE_*...), 0 when it has none.
func (p *Program) AttachType() uint32 { return p.attachType }

// errNotLoaded is the error of using a program that was not loaded.
var errNotLoaded = errors.New("program not loaded")

// Close closes the program's fd; attached links keep the program in the
// kernel until they are closed too. Closing twice, or a nil Program, does
// nothing.
func (p *Program) Close() error {
	if p == nil {
		return nil
	}
	return sysErr("close program "+p.name, p.fd.Close())
}

// Test runs the program once with BPF_PROG_TEST_RUN: data is the packet
// (XDP, tc, socket programs), ctx the context (syscall programs get it
// back rewritten, as the kernel leaves it). It returns the program's
// return value and, for packet programs, the packet as the program left it.
func (p *Program) Test(data, ctx []byte) (retval uint32, out []byte, err error) {
	r, err := RunTest(p, &TestRunOptions{Data: data, Context: ctx})
	if err != nil {
		return 0, nil, err
	}
	return r.Retval, r.Data, nil
}
