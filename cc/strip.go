package cc

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// StripDWARF returns the relocatable ELF object obj without its DWARF:
// the .debug_* sections and the relocation sections that apply to them.
// It is what "llvm-strip -g" does to a BPF object, for machines with
// clang but no llvm-strip. Every other section keeps its bytes and its
// index, so symbols and relocations need no renumbering: a removed
// section's header stays, inactive (SHT_NULL, empty), and the section
// symbols that named it now name that empty header.
func StripDWARF(obj []byte) ([]byte, error) {
	// No BPF object section needs more than a page's alignment; a larger
	// one is a corrupt header, not a reason to write that many zeros.
	const maxAlign = 4096
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, fmt.Errorf("strip DWARF: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Type != elf.ET_REL {
		return nil, fmt.Errorf("strip DWARF: %v %v object, want a 64-bit relocatable one", f.Class, f.Type)
	}
	bo := f.ByteOrder
	const ehdrSize, shdrSize = 64, 64
	shoff := bo.Uint64(obj[0x28:])
	shnum := int(bo.Uint16(obj[0x3c:]))
	if shnum == 0 {
		return nil, errors.New("strip DWARF: the object has no sections")
	}
	if bo.Uint16(obj[0x3a:]) != shdrSize || shnum != len(f.Sections) || shoff > uint64(len(obj)) || uint64(len(obj))-shoff < uint64(shnum*shdrSize) {
		return nil, errors.New("strip DWARF: section header table out of bounds")
	}
	debug := make([]bool, shnum)
	for i, s := range f.Sections {
		debug[i] = strings.HasPrefix(s.Name, ".debug_")
	}
	for i, s := range f.Sections {
		if (s.Type == elf.SHT_REL || s.Type == elf.SHT_RELA) && int(s.Info) < shnum && debug[s.Info] {
			debug[i] = true
		}
	}
	out := append([]byte(nil), obj[:ehdrSize]...)
	headers := append([]byte(nil), obj[shoff:shoff+uint64(shnum*shdrSize)]...)
	for i, s := range f.Sections {
		h := headers[i*shdrSize : (i+1)*shdrSize]
		switch {
		case i == 0:
			continue
		case debug[i]:
			// sh_type, sh_flags, sh_offset, sh_size, sh_link, sh_info,
			// sh_addralign, sh_entsize: an inactive header that keeps
			// only its name.
			clear(h[4:])
			continue
		case s.Type == elf.SHT_NOBITS:
			continue
		}
		off, size := s.Offset, s.FileSize
		if off > uint64(len(obj)) || uint64(len(obj))-off < size {
			return nil, fmt.Errorf("strip DWARF: section %s out of bounds", s.Name)
		}
		if a := s.Addralign; a > 1 {
			if a&(a-1) != 0 || a > maxAlign {
				return nil, fmt.Errorf("strip DWARF: section %s has alignment %d", s.Name, a)
			}
			for uint64(len(out))%a != 0 {
				out = append(out, 0)
			}
		}
		bo.PutUint64(h[0x18:], uint64(len(out)))
		out = append(out, obj[off:off+size]...)
	}
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	bo.PutUint64(out[0x28:], uint64(len(out)))
	return append(out, headers...), nil
}
