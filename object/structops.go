package object

import (
	"bytes"
	"debug/elf"

	"github.com/bpfgen/bpfgen/btf"
)

// Section names of struct_ops maps. A map in .struct_ops is registered by
// writing its value; one in .struct_ops.link is created with BPF_F_LINK
// and registered by a BPF_LINK_CREATE.
const (
	secStructOps     = ".struct_ops"
	secStructOpsLink = ".struct_ops.link"
)

// MapFlagLink is BPF_F_LINK: a struct_ops map registered through a link.
const MapFlagLink = 1 << 13

// StructOps is what a struct_ops map holds: an instance of a kernel
// struct (tcp_congestion_ops, sched_ext_ops ...) whose function pointers
// name programs of the object and whose other members are data.
type StructOps struct {
	// TypeName is the struct's name, which is also the kernel's: the
	// kernel's value type is "bpf_struct_ops_" + TypeName.
	TypeName string
	// TypeID is the struct in Object.BTF.
	TypeID btf.TypeID
	// Link is set for a map of .struct_ops.link.
	Link bool
	// Data is the initial value of the object's struct (its size), as
	// the compiler laid it out; function pointer slots are zero.
	Data []byte
	// Members are the struct's members in the object's order.
	Members []StructOpsMember
}

// StructOpsMember is one member of a struct_ops map's struct, as the
// object declares it.
type StructOpsMember struct {
	Name   string
	Offset uint32 // bytes into StructOps.Data
	Size   uint32
	// Func is set for a function pointer member.
	Func bool
	// Prog is the program a function pointer member names, nil if none.
	Prog *Function
}

// Zero reports whether the member's initial value is all zero and it
// names no program: the load phase may leave out a member the kernel's
// struct does not have only then.
func (m *StructOpsMember) Zero(data []byte) bool {
	if m.Prog != nil {
		return false
	}
	end := min(int(m.Offset+m.Size), len(data))
	return bytes.Count(data[m.Offset:end], []byte{0}) == end-int(m.Offset)
}

// isStructOpsSection reports whether an ELF section holds struct_ops maps.
func isStructOpsSection(name string) bool {
	return name == secStructOps || name == secStructOpsLink
}

// initStructOpsMaps makes a map of every variable of the .struct_ops and
// .struct_ops.link sections, as libbpf's init_struct_ops_maps does.
func (o *opener) initStructOpsMaps() error {
	for _, s := range o.secs {
		if s == nil || s.kind != kindStructOps {
			continue
		}
		spec := o.obj.BTF
		if spec == nil {
			return o.secErrorf(s, "struct_ops maps need BTF, but the object has no %s section", secBTF)
		}
		_, sec, err := spec.TypeByName(s.name, btf.KindDatasec)
		if err != nil {
			return o.secErrorf(s, "no DATASEC %q in BTF: %w", s.name, err)
		}
		for i, vi := range sec.Vars {
			v, err := spec.Type(vi.Type)
			if err != nil || v.Kind != btf.KindVar {
				return o.secErrorf(s, "DATASEC entry %d (type %d) is not a VAR", i, vi.Type)
			}
			if err := o.addStructOpsMap(s, v, vi); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *opener) addStructOpsMap(s *section, v *btf.Type, vi btf.VarSecinfo) error {
	spec := o.obj.BTF
	name := v.Name
	if name == "" {
		return o.secErrorf(s, "struct_ops variable at offset %#x has no name", vi.Offset)
	}
	id, t, err := spec.Resolve(v.Type)
	if err != nil {
		return o.secErrorf(s, "struct_ops map %s: %w", name, err)
	}
	if t.Kind != btf.KindStruct || t.Name == "" {
		return o.secErrorf(s, "struct_ops map %s: type is %s %q, want a named STRUCT", name, t.Kind, t.Name)
	}
	if t.Size != vi.Size || uint64(vi.Offset)+uint64(vi.Size) > uint64(len(s.data)) {
		return o.secErrorf(s, "struct_ops map %s: offset %#x size %d does not hold struct %s (%d bytes) inside the section (%d bytes)", name, vi.Offset, vi.Size, t.Name, t.Size, len(s.data))
	}
	so := &StructOps{
		TypeName: t.Name,
		TypeID:   id,
		Link:     s.name == secStructOpsLink,
		Data:     append([]byte(nil), s.data[vi.Offset:vi.Offset+vi.Size]...),
	}
	for i, mem := range t.Members {
		bitOff, bitSize, isBitfield, err := spec.Bitfield(t, i)
		if err != nil {
			return o.secErrorf(s, "struct_ops map %s: member %d: %w", name, i, err)
		}
		if mem.Name == "" {
			return o.secErrorf(s, "struct_ops map %s: member %d of struct %s has no name (anonymous members are not supported)", name, i, t.Name)
		}
		if isBitfield || bitOff%8 != 0 {
			return o.secErrorf(s, "struct_ops map %s: member %s of struct %s is a bitfield (not supported)", name, mem.Name, t.Name)
		}
		m := StructOpsMember{Name: mem.Name, Offset: bitOff / 8, Size: bitSize / 8}
		if m.Offset+m.Size > t.Size {
			return o.secErrorf(s, "struct_ops map %s: member %s of struct %s ends past the struct", name, mem.Name, t.Name)
		}
		if _, mt, err := spec.Resolve(mem.Type); err == nil && mt.Kind == btf.KindPtr {
			if _, pt, err := spec.Resolve(mt.Type); err == nil && pt.Kind == btf.KindFuncProto {
				m.Func = true
			}
		}
		so.Members = append(so.Members, m)
	}
	m := &Map{
		Name:       name,
		KernelName: truncate(name, objNameLen-1),
		Section:    s.name,
		Type:       MapTypeStructOps,
		KeySize:    4,
		ValueSize:  t.Size,
		MaxEntries: 1,
		BTFValueID: id,
		StructOps:  so,
		secIdx:     s.idx,
		secOff:     uint64(vi.Offset),
	}
	if so.Link {
		m.Flags |= MapFlagLink
	}
	o.obj.Maps = append(o.obj.Maps, m)
	return nil
}

// structOpsRelocs reads the relocations of a struct_ops section: each
// places a program in a function pointer member of one of its maps.
func (o *opener) structOpsRelocs(s, target *section) error {
	n := len(s.data) / relSize
	for i := 0; i < n; i++ {
		r, err := o.readRel(s, i)
		if err != nil {
			return err
		}
		m := o.structOpsMapAt(target.idx, r.off)
		if m == nil {
			return o.relErrorf(s, i, r, "offset is in no struct_ops map of section %q", target.name)
		}
		so := m.StructOps
		moff := r.off - m.secOff
		mem := so.memberAt(uint32(moff))
		if mem == nil {
			return o.relErrorf(s, i, r, "struct_ops map %s: offset %d is the start of no member of struct %s", m.Name, moff, so.TypeName)
		}
		if !mem.Func {
			return o.relErrorf(s, i, r, "struct_ops map %s: member %s is not a function pointer", m.Name, mem.Name)
		}
		sym := &o.syms[r.sym]
		if sym.typ() == elf.STT_SECTION || int(sym.shndx) >= len(o.secs) || o.secs[sym.shndx].kind != kindProg {
			return o.relErrorf(s, i, r, "struct_ops map %s: member %s: symbol is not a program", m.Name, mem.Name)
		}
		prog := o.funcStartingAt(int(sym.shndx), sym.value)
		if prog == nil || prog.Subprog {
			return o.relErrorf(s, i, r, "struct_ops map %s: member %s: symbol is not a program", m.Name, mem.Name)
		}
		if prog.Type != ProgTypeStructOps {
			return o.relErrorf(s, i, r, "struct_ops map %s: member %s: program %s (section %q) is not a struct_ops program", m.Name, mem.Name, prog.Name, prog.Section)
		}
		if prog.StructOps != nil && (prog.StructOps.Type != so.TypeName || prog.StructOps.Member != mem.Name) {
			return o.relErrorf(s, i, r, "struct_ops map %s: program %s is already %s.%s, cannot also be %s.%s", m.Name, prog.Name, prog.StructOps.Type, prog.StructOps.Member, so.TypeName, mem.Name)
		}
		prog.StructOps = &StructOpsTarget{Type: so.TypeName, Member: mem.Name}
		mem.Prog = prog
	}
	return nil
}

// structOpsMapAt returns the struct_ops map of section idx holding byte
// offset off.
func (o *opener) structOpsMapAt(idx int, off uint64) *Map {
	for _, m := range o.obj.Maps {
		if m.StructOps != nil && m.secIdx == idx && off >= m.secOff && off < m.secOff+uint64(len(m.StructOps.Data)) {
			return m
		}
	}
	return nil
}

func (so *StructOps) memberAt(off uint32) *StructOpsMember {
	for i := range so.Members {
		if so.Members[i].Offset == off {
			return &so.Members[i]
		}
	}
	return nil
}

// StructOpsTarget says which kernel struct member a struct_ops program
// implements.
type StructOpsTarget struct {
	Type   string // the struct, e.g. "tcp_congestion_ops"
	Member string // the function pointer member, e.g. "cong_avoid"
}

// finishStructOps turns off struct_ops programs no map names, as libbpf
// does: the kernel needs a struct member to load one against.
func (o *opener) finishStructOps() error {
	for _, f := range o.obj.Functions {
		if !f.Subprog && f.Type == ProgTypeStructOps && f.StructOps == nil {
			f.Autoload = false
		}
	}
	return nil
}
