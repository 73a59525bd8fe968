// Package elfsym resolves an ELF function symbol to the file offset a
// uprobe takes (lskel.AttachUprobe). It is a package of its own because
// importing debug/elf costs every binary ~25 KB (its package
// initialisation links debug/dwarf and the decompressors) even when
// nothing calls it: only programs that resolve symbols import elfsym.
package elfsym

import (
	"debug/elf"
	"errors"
	"strconv"
)

// SymbolOffset returns the file offset of the function symbol in the ELF
// file at path (static or dynamic symbol table), for lskel.AttachUprobe.
func SymbolOffset(path, symbol string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var addr uint64
	found := false
	for _, get := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := get()
		if err != nil {
			continue
		}
		for _, s := range syms {
			if s.Name == symbol && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
				addr, found = s.Value, true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		return 0, errors.New(path + ": no function symbol " + strconv.Quote(symbol))
	}
	// Turn the virtual address into a file offset through the executable
	// segment that holds it.
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && addr >= p.Vaddr && addr < p.Vaddr+p.Memsz {
			return addr - p.Vaddr + p.Off, nil
		}
	}
	return 0, errors.New(path + ": symbol " + strconv.Quote(symbol) + " at 0x" + strconv.FormatUint(addr, 16) + " is in no executable segment")
}
