package object

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Sizes of the ELF file header.
const (
	elfIdentLen   = 16 // e_ident
	elfMachineEnd = 20 // e_machine ends at 18+2, in both classes
	elf64HdrLen   = 64
)

// checkELFHeader says in plain words what is wrong with a file that is not
// a 64-bit BPF ELF object, before debug/elf (whose message for most of
// these is a bare "EOF") reads it: an empty file, a file that is not ELF,
// an ELF file for another machine or class, and a file cut short before
// its header or section headers end.
func checkELFHeader(raw []byte) error {
	if len(raw) == 0 {
		return errors.New("empty file")
	}
	if len(raw) < 4 || string(raw[:4]) != elf.ELFMAG {
		return errors.New("not an ELF file")
	}
	if len(raw) < elfMachineEnd {
		return fmt.Errorf("truncated ELF (file header cut short at %d bytes)", len(raw))
	}
	var bo binary.ByteOrder
	switch elf.Data(raw[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return fmt.Errorf("malformed ELF: unknown byte order %d", raw[elf.EI_DATA])
	}
	if m := elf.Machine(bo.Uint16(raw[18:])); m != elf.EM_BPF && m != elf.EM_NONE {
		return fmt.Errorf("ELF for %s, not BPF", machineName(m))
	}
	if c := elf.Class(raw[elf.EI_CLASS]); c != elf.ELFCLASS64 {
		return fmt.Errorf("not a 64-bit ELF file (class %v)", c)
	}
	if len(raw) < elf64HdrLen {
		return fmt.Errorf("truncated ELF (file header cut short at %d bytes)", len(raw))
	}
	shoff := bo.Uint64(raw[0x28:])
	shentsize := uint64(bo.Uint16(raw[0x3a:]))
	shnum := uint64(bo.Uint16(raw[0x3c:])) // 0: the count is in section 0, checked by debug/elf
	if shoff > uint64(len(raw)) || shnum*shentsize > uint64(len(raw))-shoff {
		return errors.New("truncated ELF (section headers past the end of the file)")
	}
	return nil
}

// machineNames spells the machines BPF objects are most often confused
// with as their users know them.
var machineNames = map[elf.Machine]string{
	elf.EM_X86_64:    "x86-64",
	elf.EM_386:       "i386",
	elf.EM_AARCH64:   "AArch64",
	elf.EM_ARM:       "ARM",
	elf.EM_RISCV:     "RISC-V",
	elf.EM_PPC64:     "PowerPC64",
	elf.EM_PPC:       "PowerPC",
	elf.EM_S390:      "s390",
	elf.EM_MIPS:      "MIPS",
	elf.EM_LOONGARCH: "LoongArch",
}

// machineName names an ELF machine: "x86-64", else debug/elf's name
// without its EM_ prefix.
func machineName(m elf.Machine) string {
	if n, ok := machineNames[m]; ok {
		return n
	}
	return strings.TrimPrefix(m.String(), "EM_")
}
