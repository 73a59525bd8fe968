package lskel

import (
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// StructOpsContext keeps the context of a run of a loader with struct_ops
// maps: the loader leaves the maps' values there, which AttachStructOps
// registers.
type StructOpsContext struct {
	l   *abi.Loader
	ctx []byte
}

// Prepare is RunOptions.StructOps: it runs the layout check
// (CheckStructOps) and keeps the context.
func (c *StructOpsContext) Prepare(l *abi.Loader, ctx []byte) error {
	c.l, c.ctx = l, ctx
	return CheckStructOps(l, ctx)
}

// Values returns the value of each struct_ops map of the run, by map
// index (abi.StructOpsDesc.Map), as AttachStructOps registers it.
func (c *StructOpsContext) Values() map[int][]byte {
	if c.l == nil {
		return nil
	}
	vs := make(map[int][]byte)
	for _, d := range c.l.StructOps {
		vs[d.Map] = append([]byte(nil), c.ctx[d.ValueOff:d.ValueOff+d.ValueSize]...)
	}
	return vs
}

// CheckStructOps runs a loader's layout check (abi.Loader.LayoutCheck):
// it loads the check program with its BTF, so that the kernel relocates
// it against its own structs (kernel CO-RE, Linux 5.17), runs it once and
// copies what it found into the loader's context, where the loader
// compares it with the layout it was generated for. Pass it as
// RunOptions.StructOps for loaders with struct_ops maps; generated code
// does so only for those objects.
func CheckStructOps(l *abi.Loader, ctx []byte) error {
	c := l.LayoutCheck
	if c == nil {
		return nil
	}
	what := "load " + l.Name + ": struct_ops layout check"
	btfFD, err := kernel.BTFLoad(c.BTF, nil, 0)
	if err != nil {
		return wrapErr(what+": BTF", err)
	}
	defer closeFD(btfFD)
	prog, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{
		Type:            progTypeSyscall,
		Insns:           c.Insns,
		License:         "GPL",
		Flags:           progFlagSleepable,
		Name:            "bpfgen_layout",
		BTFFD:           uint32(btfFD),
		FuncInfo:        c.FuncInfo,
		FuncInfoRecSize: funcInfoSize,
		CoreRelos:       c.CORERelos,
		CoreReloRecSize: coreReloSize,
	})
	if err != nil {
		return wrapErr(what+" (needs kernel CO-RE, Linux 5.17)", err)
	}
	defer closeFD(prog)
	out := ctx[c.CtxOff : c.CtxOff+4*c.Results]
	if _, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: prog, CtxIn: out}); err != nil {
		return wrapErr(what+": run", err)
	}
	return nil
}

// Sizes of struct bpf_core_relo and struct bpf_func_info.
const (
	coreReloSize = 16
	funcInfoSize = 8
)

// AttachStructOps registers struct_ops map k of a loader's result
// (abi.Loader.StructOps[k]; c is the run's RunOptions.StructOps) with the kernel subsystem it implements, with
// the value the loader completed: through a link for a map of
// .struct_ops.link, by writing the map otherwise. Closing the returned
// Link unregisters it (deletes the map's value when there is no link).
// A map registers once.
func AttachStructOps(r *Result, c *StructOpsContext, k int) (*Link, error) {
	l := c.l
	d := &l.StructOps[k]
	m := r.maps[d.Map]
	what := "register struct_ops map " + l.Maps[d.Map].Name
	fd, err := kernel.RegisterStructOps(m.FD(), c.ctx[d.ValueOff:d.ValueOff+d.ValueSize], d.Link)
	if err != nil {
		return nil, sysErr(what, err)
	}
	if d.Link {
		return newLink(fd, what)
	}
	return &Link{cleanup: func() error {
		return sysErr("unregister struct_ops map "+l.Maps[d.Map].Name, kernel.UnregisterStructOps(m.FD()))
	}}, nil
}

// UpdateStructOps switches the struct_ops link of a registered map to
// struct_ops map k of another loader's result (a new version of the
// scheduler), which must be of .struct_ops.link and not registered yet:
// the subsystem changes implementation without a moment unregistered.
func UpdateStructOps(link *Link, r *Result, c *StructOpsContext, k int) error {
	l := c.l
	d := &l.StructOps[k]
	m := r.maps[d.Map]
	if err := kernel.MapUpdateElem(m.FD(), make([]byte, 4), c.ctx[d.ValueOff:d.ValueOff+d.ValueSize], 0); err != nil {
		return sysErr("write struct_ops map "+l.Maps[d.Map].Name, err)
	}
	return sysErr("update struct_ops link", kernel.LinkUpdateMap(link.FD(), m.FD(), -1))
}
