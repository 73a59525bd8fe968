// Package kstate describes kernel maps and programs in a form two loads of
// the same object can be compared by: the tests' equivalence oracle.
package kstate

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
)

// Map is what the kernel says about a map.
type Map struct {
	Name           string
	Type           uint32
	KeySize        uint32
	ValueSize      uint32
	MaxEntries     uint32
	Flags          uint32
	MapExtra       uint64
	HasBTF         bool
	BTFKeyTypeID   uint32
	BTFValueTypeID uint32
	// BTFVmlinuxValueTypeID is a struct_ops map's value type in kernel BTF.
	BTFVmlinuxValueTypeID uint32
	// Contents of array-like maps with one element (global data): hex.
	Contents string
}

// Prog is what the kernel says about a program.
type Prog struct {
	Name        string
	Type        uint32
	NrFuncInfo  uint32
	NrLineInfo  uint32
	GPL         bool
	AttachBTFID uint32
	// Insns are the translated instructions, one per line, with map ids
	// replaced by the map's index in the object.
	Insns []string
}

// DescribeMap reads a map's state.
func DescribeMap(fd int) (Map, error) {
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		return Map{}, err
	}
	m := Map{
		Name: info.Name, Type: info.Type, KeySize: info.KeySize, ValueSize: info.ValueSize,
		MaxEntries: info.MaxEntries, Flags: info.Flags, MapExtra: info.MapExtra,
		HasBTF: info.BTFID != 0, BTFKeyTypeID: info.BTFKeyTypeID, BTFValueTypeID: info.BTFValueTypeID,
		BTFVmlinuxValueTypeID: info.BTFVmlinuxValueTypeID,
	}
	const arrayMap = 2
	if info.Type == arrayMap && info.MaxEntries == 1 {
		value := make([]byte, info.ValueSize)
		if err := kernel.MapLookupElem(fd, make([]byte, 4), value); err != nil {
			return Map{}, fmt.Errorf("map %s: %w", info.Name, err)
		}
		m.Contents = hex.EncodeToString(value)
	}
	return m, nil
}

// DescribeProg reads a program's state. mapIndex gives, for each map id,
// its index in the object, so that two loads compare equal.
func DescribeProg(fd int, mapIndex map[uint32]int) (Prog, error) {
	info, err := kernel.GetProgInfo(fd)
	if err != nil {
		return Prog{}, err
	}
	p := Prog{
		Name: info.Name, Type: info.Type, NrFuncInfo: info.NrFuncInfo, NrLineInfo: info.NrLineInfo,
		GPL: info.GPLCompatible, AttachBTFID: info.AttachBTFID,
	}
	insns, err := asm.Decode(info.XlatedInsns, binary.NativeEndian)
	if err != nil {
		return Prog{}, err
	}
	for i := 0; i < len(insns); i++ {
		if insns[i].IsLdImm64() && insns[i].Src == 0 && i+2 < len(insns) && insns[i+2].IsCall() && insns[i+2].Src == asm.PseudoKfuncCall {
			// The verifier passes a kfunc's implicit "__prog" argument
			// (sched_ext's on Linux 7.x) as the address of the program's
			// own bpf_prog_aux, loaded just before the call: each load's
			// own, like a map's id.
			insns[i].Imm, insns[i+1].Imm = 0, 0
		}
		ins := insns[i]
		if ins.IsLdImm64() && (ins.Src == asm.PseudoMapFD || ins.Src == asm.PseudoMapValue) {
			idx, ok := mapIndex[uint32(ins.Imm)]
			if !ok {
				return Prog{}, fmt.Errorf("program %s: instruction %d refers to map id %d, not one of the object's", info.Name, i, ins.Imm)
			}
			ins.Imm = int32(idx)
		}
		if ins.IsCall() && ins.Src == asm.PseudoKfuncCall && ins.Off != 0 {
			// A kfunc of a module: the fd_array slot holding the module's
			// BTF is each loader's own choice; the BTF id is what counts.
			ins.Off = 1
		}
		p.Insns = append(p.Insns, ins.String())
	}
	return p, nil
}

// MapIndex builds the id → object index table from map fds in object
// order.
func MapIndex(fds []int) (map[uint32]int, error) {
	idx := make(map[uint32]int)
	for i, fd := range fds {
		info, err := kernel.GetMapInfo(fd)
		if err != nil {
			return nil, fmt.Errorf("map %d: %w", i, err)
		}
		idx[info.ID] = i
	}
	return idx, nil
}

// Diff returns a readable list of differences between two descriptions.
func Diff[T any](a, b T) string {
	sa, sb := fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b)
	if sa == sb {
		return ""
	}
	return fmt.Sprintf("- %s\n+ %s", sa, sb)
}

// DiffProg compares programs instruction by instruction.
func DiffProg(a, b Prog) string {
	var out []string
	if a.Name != b.Name || a.Type != b.Type || a.NrFuncInfo != b.NrFuncInfo || a.NrLineInfo != b.NrLineInfo || a.GPL != b.GPL || a.AttachBTFID != b.AttachBTFID {
		out = append(out, fmt.Sprintf("header: %s/%d func_info %d line_info %d gpl %v attach %d vs %s/%d func_info %d line_info %d gpl %v attach %d",
			a.Name, a.Type, a.NrFuncInfo, a.NrLineInfo, a.GPL, a.AttachBTFID, b.Name, b.Type, b.NrFuncInfo, b.NrLineInfo, b.GPL, b.AttachBTFID))
	}
	if len(a.Insns) != len(b.Insns) {
		out = append(out, fmt.Sprintf("%d vs %d instructions", len(a.Insns), len(b.Insns)))
	}
	for i := 0; i < min(len(a.Insns), len(b.Insns)); i++ {
		if a.Insns[i] != b.Insns[i] {
			out = append(out, fmt.Sprintf("insn %d: %s vs %s", i, a.Insns[i], b.Insns[i]))
			if len(out) > 10 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// RegisteredStructOps registers the struct_ops map fd with value (through
// a link if link), reads back what the kernel keeps as its value
// (StructOpsValue), and unregisters it.
func RegisteredStructOps(fd int, value []byte, link bool) (string, error) {
	lfd, err := kernel.RegisterStructOps(fd, value, link)
	if err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	got, verr := StructOpsValue(fd, len(value))
	if link {
		err = kernel.Close(lfd)
	} else {
		err = kernel.UnregisterStructOps(fd)
	}
	if verr != nil {
		return "", verr
	}
	if err != nil {
		return "", fmt.Errorf("unregister: %w", err)
	}
	return got, nil
}

// StructOpsValue reads the value of the registered struct_ops map fd
// (size bytes) as the kernel keeps it, one line per non-zero 8-byte word,
// with the ids of programs (the kernel turns the fds it was given into
// ids) replaced by the programs' names, so that two loads compare equal.
func StructOpsValue(fd, size int) (string, error) {
	got := make([]byte, size)
	if err := kernel.MapLookupElem(fd, make([]byte, 4), got); err != nil {
		return "", fmt.Errorf("lookup: %w", err)
	}
	var b strings.Builder
	for off := 0; off+8 <= len(got); off += 8 {
		w := binary.NativeEndian.Uint64(got[off:])
		if w == 0 {
			continue
		}
		if name := progName(w); name != "" {
			fmt.Fprintf(&b, "%d: program %s\n", off, name)
		} else {
			fmt.Fprintf(&b, "%d: %016x\n", off, w)
		}
	}
	return b.String(), nil
}

// progName is the name of the struct_ops program with id w, or "".
func progName(w uint64) string {
	if w > 1<<32-1 {
		return ""
	}
	pfd, err := kernel.ProgFDByID(uint32(w))
	if err != nil {
		return ""
	}
	defer kernel.Close(pfd)
	info, err := kernel.GetProgInfo(pfd)
	if err != nil || info.Type != structOpsProgType {
		return ""
	}
	return info.Name
}

// structOpsProgType is BPF_PROG_TYPE_STRUCT_OPS.
const structOpsProgType = 27
