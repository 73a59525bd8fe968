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
	"strings"
)

// SymbolOffset returns the file offset of the function symbol in the ELF
// file at path (static or dynamic symbol table), for lskel.AttachUprobe:
// the symbol's address minus the start of the PT_LOAD segment holding it
// plus that segment's file offset, which is right for executables, PIE
// and shared objects alike. GNU indirect functions count as functions;
// undefined symbols do not. "name@VERSION" picks one version of a
// versioned dynamic symbol (getpid@GLIBC_2.2.5).
func SymbolOffset(path, symbol string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	name, version, _ := strings.Cut(symbol, "@")
	var addr uint64
	found := false
	for _, get := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := get()
		if err != nil {
			continue
		}
		for _, s := range syms {
			typ := elf.ST_TYPE(s.Info)
			if s.Name != name || (typ != elf.STT_FUNC && typ != elf.STT_GNU_IFUNC) ||
				s.Section == elf.SHN_UNDEF || s.Value == 0 || (version != "" && s.Version != version) {
				continue
			}
			addr, found = s.Value, true
			break
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
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			return addr - p.Vaddr + p.Off, nil
		}
	}
	return 0, errors.New(path + ": symbol " + strconv.Quote(symbol) + " at 0x" + strconv.FormatUint(addr, 16) + " is in no executable segment")
}
