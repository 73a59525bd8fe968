package load

import (
	"errors"
	"fmt"
	"iter"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// StructOpsValuePrefix prefixes a struct's name to give the kernel's type
// of a struct_ops map value (bpf_struct_ops_tcp_congestion_ops): the
// common header of every struct_ops value, then the struct as "data".
const StructOpsValuePrefix = "bpf_struct_ops_"

// KernelStruct is a kernel struct a struct_ops map implements, laid out
// as the kernel that will run it has it.
type KernelStruct struct {
	Name string
	// Size is the struct's size; ValueSize that of the map value wrapping
	// it (bpf_struct_ops_<Name>), DataOffset where the struct starts in
	// that value.
	Size       uint32
	ValueSize  uint32
	DataOffset uint32
	// Members in the kernel's order: a program's expected_attach_type is
	// the index of its member here.
	Members []KernelMember
	// Module is the kernel module whose BTF has the struct, "" for
	// vmlinux.
	Module string
	// Spec is the BTF the struct was found in, and ID its id there.
	Spec *btf.Spec
	ID   btf.TypeID
}

// KernelMember is one member of a KernelStruct.
type KernelMember struct {
	Name   string
	Offset uint32 // bytes into the struct
	Size   uint32
	Func   bool // a function pointer
	// Type is the member's type in KernelStruct.Spec.
	Type btf.TypeID
}

func (k *KernelStruct) member(name string) (int, *KernelMember) {
	for i := range k.Members {
		if k.Members[i].Name == name {
			return i, &k.Members[i]
		}
	}
	return -1, nil
}

// StructOpsSpec is the value of a struct_ops map: the kernel's layout,
// the image with the object's data members at the kernel's offsets, and
// where the programs' fds go once they are loaded.
type StructOpsSpec struct {
	Index  int // the map's index in object.Object.Maps
	Map    *object.Map
	Kernel *KernelStruct
	// Image is the map value (Kernel.ValueSize bytes) with the data
	// members of the object's struct copied in; function pointer slots
	// are zero.
	Image []byte
	// Copies say where each data member of the object's struct went:
	// the generator replays them on a value given at run time.
	Copies []MemberCopy
	// Progs are the function pointer slots to fill.
	Progs []StructOpsProg
}

// MemberCopy moves one data member from the object's struct to the map
// value.
type MemberCopy struct {
	Member string
	From   uint32 // offset in object.StructOps.Data
	To     uint32 // offset in StructOpsSpec.Image
	Size   uint32
}

// StructOpsProg is a function pointer slot of a struct_ops value.
type StructOpsProg struct {
	Member  string
	Offset  uint32 // in StructOpsSpec.Image; the fd is stored as 8 bytes
	Program int    // index in object.Object.Programs()
	Prog    Handle
}

// progTarget is what a struct_ops program is loaded against.
type progTarget struct {
	kernel *KernelStruct
	member int
}

// prepareStructOps lays out every struct_ops map of the object against
// the kernel's structs, as libbpf's bpf_map__init_kern_struct_ops does:
// members are matched by name; a member the kernel's struct lacks is an
// error unless its value is zero; data members are copied when their
// sizes agree. It returns the specs by map index and the kernel member
// each struct_ops program implements, by program index.
func (l *loader) prepareStructOps() (map[int]*StructOpsSpec, map[int]progTarget, error) {
	specs := make(map[int]*StructOpsSpec)
	targets := make(map[int]progTarget)
	layouts := make(map[string]*KernelStruct)
	progs := l.obj.Programs()
	for i, m := range l.obj.Maps {
		so := m.StructOps
		if so == nil {
			continue
		}
		step := "lay out struct_ops map " + m.Name
		k := layouts[so.TypeName]
		if k == nil {
			var err error
			k, err = l.b.StructOpsLayout(so.TypeName)
			if err != nil {
				return nil, nil, l.fail(step, fmt.Errorf("struct %s: %w", so.TypeName, err))
			}
			layouts[so.TypeName] = k
		}
		s := &StructOpsSpec{Index: i, Map: m, Kernel: k, Image: make([]byte, k.ValueSize)}
		for _, mem := range so.Members {
			ki, km := k.member(mem.Name)
			if km == nil {
				if mem.Zero(so.Data) {
					continue
				}
				return nil, nil, l.fail(step, fmt.Errorf("struct %s has no member %s in the kernel, and the object sets it", so.TypeName, mem.Name))
			}
			if mem.Func != km.Func {
				return nil, nil, l.fail(step, fmt.Errorf("struct %s member %s: a function pointer in one of the object and the kernel, not in the other", so.TypeName, mem.Name))
			}
			at := k.DataOffset + km.Offset
			if mem.Func {
				if mem.Prog == nil {
					continue
				}
				pi := programIndex(progs, mem.Prog)
				if t, ok := targets[pi]; ok && (t.kernel != k || t.member != ki) {
					return nil, nil, l.fail(step, fmt.Errorf("program %s implements two different struct members", mem.Prog.Name))
				}
				targets[pi] = progTarget{kernel: k, member: ki}
				s.Progs = append(s.Progs, StructOpsProg{Member: mem.Name, Offset: at, Program: pi, Prog: NoHandle})
				continue
			}
			if mem.Zero(so.Data) {
				continue
			}
			if km.Size != mem.Size {
				return nil, nil, l.fail(step, fmt.Errorf("struct %s member %s: %d bytes in the object, %d in the kernel", so.TypeName, mem.Name, mem.Size, km.Size))
			}
			copy(s.Image[at:at+km.Size], so.Data[mem.Offset:mem.Offset+mem.Size])
			s.Copies = append(s.Copies, MemberCopy{Member: mem.Name, From: mem.Offset, To: at, Size: km.Size})
		}
		specs[i] = s
	}
	return specs, targets, nil
}

// finishStructOps gives the backend each struct_ops map's value once its
// programs are loaded; the value registers the map only when the caller
// attaches it (AttachStructOps), as with libbpf.
func (l *loader) finishStructOps(specs map[int]*StructOpsSpec, res *Result) error {
	for i := range l.obj.Maps {
		s := specs[i]
		if s == nil {
			continue
		}
		for j := range s.Progs {
			p := &s.Progs[j]
			p.Prog = res.Programs[p.Program]
			if p.Prog == NoHandle {
				return l.fail("fill struct_ops map "+s.Map.Name, fmt.Errorf("member %s: program %s is not loaded", p.Member, l.obj.Programs()[p.Program].Name))
			}
		}
		v, err := l.b.StructOpsValue(res.Maps[i], s)
		if err != nil {
			return l.fail("fill struct_ops map "+s.Map.Name, err)
		}
		if v != nil {
			if res.StructOps == nil {
				res.StructOps = make(map[int][]byte)
			}
			res.StructOps[i] = v
		}
	}
	return nil
}

func programIndex(progs []*object.Function, f *object.Function) int {
	for i, p := range progs {
		if p == f {
			return i
		}
	}
	return -1
}

// FindKernelStruct lays out the struct name and its struct_ops value
// wrapper as kernel BTF has them: vmlinux, then the given module BTFs
// (split BTF on top of vmlinux, by module name).
func FindKernelStruct(vmlinux *btf.Spec, modules iter.Seq2[string, *btf.Spec], name string) (*KernelStruct, error) {
	k, err := kernelStructIn(vmlinux, name)
	if err == nil || !errors.Is(err, btf.ErrNotFound) || modules == nil {
		return k, err
	}
	for mod, spec := range modules {
		k, err := kernelStructIn(spec, name)
		if err == nil {
			k.Module = mod
			return k, nil
		}
		if !errors.Is(err, btf.ErrNotFound) {
			return nil, fmt.Errorf("module %s: %w", mod, err)
		}
	}
	return nil, fmt.Errorf("%w: neither struct %s nor %s%s in kernel BTF (no struct_ops of that name in this kernel)", ErrNotInKernel, name, StructOpsValuePrefix, name)
}

func kernelStructIn(spec *btf.Spec, name string) (*KernelStruct, error) {
	tid, t, err := spec.TypeByName(name, btf.KindStruct)
	if err != nil {
		return nil, err
	}
	_, w, err := spec.TypeByName(StructOpsValuePrefix+name, btf.KindStruct)
	if err != nil {
		return nil, fmt.Errorf("struct %s is not a struct_ops type of this kernel (no %s%s): %w", name, StructOpsValuePrefix, name, err)
	}
	k := &KernelStruct{Name: name, Size: t.Size, ValueSize: w.Size, Spec: spec, ID: tid}
	found := false
	for i, m := range w.Members {
		if id, _, err := spec.Resolve(m.Type); err == nil && id == tid {
			off, _, _, err := spec.Bitfield(w, i)
			if err != nil {
				return nil, err
			}
			k.DataOffset, found = off/8, true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s%s has no member of type struct %s", StructOpsValuePrefix, name, name)
	}
	for i, m := range t.Members {
		off, size, _, err := spec.Bitfield(t, i)
		if err != nil {
			return nil, fmt.Errorf("struct %s member %d: %w", name, i, err)
		}
		km := KernelMember{Name: m.Name, Offset: off / 8, Size: size / 8, Type: m.Type}
		if _, mt, err := spec.Resolve(m.Type); err == nil && mt.Kind == btf.KindPtr {
			if _, pt, err := spec.Resolve(mt.Type); err == nil && pt.Kind == btf.KindFuncProto {
				km.Func = true
			}
		}
		k.Members = append(k.Members, km)
	}
	return k, nil
}
