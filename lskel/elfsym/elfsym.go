// Package elfsym resolves ELF function symbols to the file offsets
// uprobes take (lskel.AttachUprobe, lskel.AttachUprobeMulti). It is a
// package of its own because importing debug/elf costs every binary
// ~25 KB (its package initialisation links debug/dwarf and the
// decompressors) even when nothing calls it: only programs that resolve
// symbols import elfsym.
package elfsym

import (
	"debug/elf"
	"errors"
	"path"
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
	eachFunc(f, func(s elf.Symbol) bool {
		if s.Name == name && (version == "" || s.Version == version) {
			addr, found = s.Value, true
		}
		return !found
	})
	if !found {
		return 0, errors.New(path + ": no function symbol " + strconv.Quote(symbol))
	}
	off, ok := fileOffset(f, addr)
	if !ok {
		return 0, errors.New(path + ": symbol " + strconv.Quote(symbol) + " at 0x" + strconv.FormatUint(addr, 16) + " is in no executable segment")
	}
	return off, nil
}

// MatchFunctions returns the function symbols of the ELF file at path
// whose names match the glob pattern (path.Match syntax: '*', '?',
// character classes), each name once, with their file offsets, for
// lskel.AttachUprobeMulti. Symbols at no executable segment's address are
// left out.
func MatchFunctions(file, pattern string) (names []string, offsets []uint64, err error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, nil, errors.New("bad pattern " + strconv.Quote(pattern) + ": " + err.Error())
	}
	f, err := elf.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	eachFunc(f, func(s elf.Symbol) bool {
		if ok, _ := path.Match(pattern, s.Name); !ok || seen[s.Name] {
			return true
		}
		if off, ok := fileOffset(f, s.Value); ok {
			seen[s.Name] = true
			names = append(names, s.Name)
			offsets = append(offsets, off)
		}
		return true
	})
	if len(names) == 0 {
		return nil, nil, errors.New(file + ": no function symbol matches " + strconv.Quote(pattern))
	}
	return names, offsets, nil
}

// eachFunc calls fn with each defined function symbol of f (the static
// symbol table's first, then the dynamic one's) until fn returns false.
func eachFunc(f *elf.File, fn func(elf.Symbol) bool) {
	for _, get := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := get()
		if err != nil {
			continue
		}
		for _, s := range syms {
			typ := elf.ST_TYPE(s.Info)
			if (typ != elf.STT_FUNC && typ != elf.STT_GNU_IFUNC) || s.Section == elf.SHN_UNDEF || s.Value == 0 {
				continue
			}
			if !fn(s) {
				return
			}
		}
	}
}

// fileOffset turns the virtual address addr into a file offset through
// the executable segment that holds it.
func fileOffset(f *elf.File, addr uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			return addr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}
