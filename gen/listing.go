package gen

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Line is one instruction of a loader's listing (see Loader.Listing).
type Line struct {
	Index   int    // instruction index (an ld_imm64 takes two)
	Text    string // the instruction, as asm.Disasm prints it
	Comment string // what the generator wrote before it: the step it starts, ...
	// Note names what the instruction's numbers mean: the bpf command of
	// a bpf_sys_bpf call, and the blob item and attr field a blob access
	// or address reaches ("PROG_LOAD attr handle_getpid: insn_cnt").
	Note string
}

// attrFields are the bpf_attr fields a loader fills in, by command; a
// blob item holding an attr is named by attrItem.
var attrFields = map[kernel.Cmd][]attrField{
	kernel.CmdBTFLoad: {
		{kernel.BTFLoadBTF, "btf"}, {kernel.BTFLoadLogBuf, "btf_log_buf"}, {kernel.BTFLoadSize, "btf_size"},
		{kernel.BTFLoadLogSize, "btf_log_size"}, {kernel.BTFLoadLogLevel, "btf_log_level"},
		{kernel.BTFLoadLogTrueSize, "btf_log_true_size"},
	},
	kernel.CmdMapCreate: {
		{kernel.MapCreateType, "map_type"}, {kernel.MapCreateKeySize, "key_size"}, {kernel.MapCreateValueSize, "value_size"},
		{kernel.MapCreateMaxEntries, "max_entries"}, {kernel.MapCreateFlags, "map_flags"}, {kernel.MapCreateInnerMapFD, "inner_map_fd"},
		{kernel.MapCreateNumaNode, "numa_node"}, {kernel.MapCreateName, "map_name"}, {kernel.MapCreateBTFFD, "btf_fd"},
		{kernel.MapCreateBTFKeyID, "btf_key_type_id"}, {kernel.MapCreateBTFValueID, "btf_value_type_id"},
		{kernel.MapCreateMapExtra, "map_extra"},
	},
	kernel.CmdMapUpdateElem: {{kernel.MapElemFD, "map_fd"}, {kernel.MapElemKey, "key"}, {kernel.MapElemValue, "value"}},
	kernel.CmdMapFreeze:     {{kernel.MapElemFD, "map_fd"}},
	kernel.CmdProgLoad: {
		{kernel.ProgLoadType, "prog_type"}, {kernel.ProgLoadInsnCnt, "insn_cnt"}, {kernel.ProgLoadInsns, "insns"},
		{kernel.ProgLoadLicense, "license"}, {kernel.ProgLoadLogLevel, "log_level"}, {kernel.ProgLoadLogSize, "log_size"},
		{kernel.ProgLoadLogBuf, "log_buf"}, {kernel.ProgLoadKernVersion, "kern_version"}, {kernel.ProgLoadFlags, "prog_flags"},
		{kernel.ProgLoadName, "prog_name"}, {kernel.ProgLoadAttachType, "expected_attach_type"}, {kernel.ProgLoadBTFFD, "prog_btf_fd"},
		{kernel.ProgLoadFuncInfoRec, "func_info_rec_size"}, {kernel.ProgLoadFuncInfo, "func_info"}, {kernel.ProgLoadFuncInfoCnt, "func_info_cnt"},
		{kernel.ProgLoadLineInfoRec, "line_info_rec_size"}, {kernel.ProgLoadLineInfo, "line_info"}, {kernel.ProgLoadLineInfoCnt, "line_info_cnt"},
		{kernel.ProgLoadAttachBTFID, "attach_btf_id"}, {kernel.ProgLoadAttachBTFObj, "attach_btf_obj_fd"},
		{kernel.ProgLoadCoreReloCnt, "core_relo_cnt"}, {kernel.ProgLoadFDArray, "fd_array"}, {kernel.ProgLoadCoreRelos, "core_relos"},
		{kernel.ProgLoadCoreReloRec, "core_relo_rec_size"}, {kernel.ProgLoadLogTrueSize, "log_true_size"},
	},
}

// attrField is one bpf_attr field: its offset and the kernel's name.
type attrField struct {
	off  int
	name string
}

// attrItem names the blob item holding an attr of cmd for name (a map or
// a program; empty for the BTF): "PROG_LOAD attr handle_getpid".
func attrItem(cmd kernel.Cmd, name string) string {
	s := strings.TrimPrefix(cmd.String(), "BPF_") + " attr"
	if name != "" {
		s += " " + name
	}
	return s
}

// fieldAt names the field of fields at offset off: "insn_cnt", or
// "log_level+4" inside a field.
func fieldAt(fields []attrField, off int) string {
	best := -1
	for i, f := range fields {
		if f.off <= off && (best < 0 || f.off > fields[best].off) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	if d := off - fields[best].off; d != 0 {
		return fmt.Sprintf("%s+%d", fields[best].name, d)
	}
	return fields[best].name
}

// blobNote names what blob offset off holds: the TOC item, with the attr
// field for attrs and the slot for the fd table; the address of an item's
// start (addr) is named by the item alone.
func (l *Loader) blobNote(off int, addr bool) string {
	i := sort.Search(len(l.TOC), func(i int) bool { return l.TOC[i].Offset+l.TOC[i].Size > off })
	if i == len(l.TOC) || l.TOC[i].Offset > off {
		return ""
	}
	it := l.TOC[i]
	rel := off - it.Offset
	if addr && rel == 0 {
		return it.What
	}
	for cmd, fields := range attrFields { // the items' prefixes differ: any order
		if p := attrItem(cmd, ""); it.What == p || strings.HasPrefix(it.What, p+" ") {
			return it.What + ": " + fieldAt(fields, rel)
		}
	}
	if it.What == "fd table" {
		return fmt.Sprintf("fd table slot %d", rel/4)
	}
	if rel != 0 {
		return fmt.Sprintf("%s +%d", it.What, rel)
	}
	return it.What
}

// ctxNote names the context field at off (r6 holds the context
// throughout): a header field, or a field of a map, program or target
// descriptor ("context: map 0 counts: fd").
func (l *Loader) ctxNote(off int) string {
	header := map[int]string{abi.CtxSizeOff: "size", abi.CtxFlagsOff: "flags", abi.CtxLogLevelOff: "log level",
		abi.CtxLogSizeOff: "log size", abi.CtxLogBufOff: "log buffer", abi.CtxStepOff: "step", abi.CtxLogStepOff: "step given the log"}
	nm, np := len(l.Maps), len(l.Progs)
	switch {
	case off < abi.CtxHeaderSize:
		if h, ok := header[off]; ok {
			return "context: " + h
		}
	case off < abi.ProgDescOff(nm, 0):
		i := (off - abi.CtxHeaderSize) / abi.MapDescSize
		field := map[int]string{abi.MapDescFDOff: "fd", abi.MapDescMaxEntriesOff: "max_entries", abi.MapDescInitValueOff: "initial value"}[off-abi.MapDescOff(i)]
		return fmt.Sprintf("context: map %d %s: %s", i, l.Maps[i].Name, field)
	case off < abi.TargetDescOff(nm, np, 0):
		j := (off - abi.ProgDescOff(nm, 0)) / abi.ProgDescSize
		return fmt.Sprintf("context: program %d %s: fd", j, l.Progs[j].Name)
	default:
		k := (off - abi.TargetDescOff(nm, np, 0)) / abi.TargetDescSize
		field := map[int]string{abi.TargetDescFDOff: "fd", abi.TargetDescBTFIDOff: "btf id"}[off-abi.TargetDescOff(nm, np, k)]
		return fmt.Sprintf("context: freplace target %d: %s", k, field)
	}
	return ""
}

// Listing decodes the loader program into lines: each instruction with
// the generator's comment and a note naming its numbers (see Line).
// Notes follow the blob's base registers through each straight run of
// instructions: r9 always holds the blob, and a register set from it
// ("r2 = r9; r2 += 1080") until it is written again or a jump lands.
func (l *Loader) Listing(bo binary.ByteOrder) ([]Line, error) {
	insns, err := asm.Decode(l.Insns, bo)
	if err != nil {
		return nil, fmt.Errorf("loader of %s: %w", l.Name, err)
	}
	targets := map[int]bool{}
	for i, ins := range insns {
		if c := ins.Class(); (c == asm.ClassJMP || c == asm.ClassJMP32) && !ins.IsCall() {
			targets[i+1+int(ins.Off)] = true
		}
	}
	movImm, movReg, addImm := asm.Mov.Imm(asm.R0, 0).Code, asm.Mov.Reg(asm.R0, asm.R0).Code, asm.Add.Imm(asm.R0, 0).Code
	base := map[asm.Register]int{}
	r1 := -1 // the immediate last moved into r1, -1 if unknown
	var lines []Line
	for i := 0; i < len(insns); i++ {
		ins := insns[i]
		if targets[i] || i < len(l.Comments) && l.Comments[i] != "" {
			base, r1 = map[asm.Register]int{}, -1
		}
		base[rBlob] = 0
		line := Line{Index: i, Text: asm.Text(insns, i)}
		if i < len(l.Comments) {
			line.Comment = l.Comments[i]
		}
		switch {
		case ins.IsCall() && ins.Src == 0 && ins.Imm == int32(helperSysBPF) && r1 >= 0:
			line.Note = kernel.Cmd(r1).String()
		case ins.Code == movImm && ins.Dst == asm.R1:
			r1 = int(ins.Imm)
		case ins.Code == movReg:
			if off, ok := base[ins.Src]; ok && ins.Dst != rBlob {
				base[ins.Dst] = off
			}
		case ins.Code == addImm:
			if off, ok := base[ins.Dst]; ok && ins.Dst != rBlob {
				base[ins.Dst] = off + int(ins.Imm)
				line.Note = "&" + l.blobNote(off+int(ins.Imm), true)
			}
		case ins.Class() == asm.ClassLDX:
			if off, ok := base[ins.Src]; ok {
				line.Note = l.blobNote(off+int(ins.Off), false)
			} else if ins.Src == rCtx {
				line.Note = l.ctxNote(int(ins.Off))
			}
		case ins.Class() == asm.ClassST || ins.Class() == asm.ClassSTX:
			if off, ok := base[ins.Dst]; ok {
				line.Note = l.blobNote(off+int(ins.Off), false)
			} else if ins.Dst == rCtx {
				line.Note = l.ctxNote(int(ins.Off))
			}
		}
		// Any other write to a register ends what it held.
		if ins.Code != movReg && ins.Code != addImm && writesDst(ins) && ins.Dst != rBlob {
			delete(base, ins.Dst)
		}
		if ins.Code != movImm && ins.Dst == asm.R1 && writesDst(ins) || ins.IsCall() {
			if ins.IsCall() {
				for r := asm.R0; r <= asm.R5; r++ {
					delete(base, r)
				}
			}
			if !(ins.Code == movImm && ins.Dst == asm.R1) {
				r1 = -1
			}
		}
		if line.Note == "&" {
			line.Note = ""
		}
		lines = append(lines, line)
		if ins.IsLdImm64() {
			i++
		}
	}
	return lines, nil
}

// writesDst reports whether ins writes its destination register.
func writesDst(ins asm.Insn) bool {
	switch ins.Class() {
	case asm.ClassALU, asm.ClassALU64, asm.ClassLDX, asm.ClassLD:
		return true
	}
	return false
}
