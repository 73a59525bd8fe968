package object

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
)

// Well-known section names.
const (
	secText      = ".text"
	secMaps      = ".maps"
	secLegacyMap = "maps"
	secKconfig   = ".kconfig"
	secKsyms     = ".ksyms"
	secBTF       = ".BTF"
	secBTFExt    = ".BTF.ext"
	secLicense   = "license"
	secVersion   = "version"
	secData      = ".data"
	secRodata    = ".rodata"
	secBSS       = ".bss"
)

// objNameLen is the kernel's BPF_OBJ_NAME_LEN: names keep at most 15 bytes.
const objNameLen = 16

// ObjectName returns the object name libbpf derives from a path when it
// opens a file: the base name up to its first '.', at most 15 bytes
// ("minimal.bpf.o" → "minimal").
func ObjectName(path string) string {
	name := filepath.Base(path)
	name = truncate(name, objNameLen-1)
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	return name
}

// SkeletonObjectName returns the object name bpftool passes to libbpf when
// it generates a skeleton of path: the base name without a ".o" suffix,
// every character other than a letter, digit or '_' turned into '_'
// ("minimal.bpf.o" → "minimal_bpf"). Opening with it (OpenBytes) gives the
// internal map names a bpftool skeleton uses.
func SkeletonObjectName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".o")
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Open reads the BPF ELF object at path, as libbpf's bpf_object__open does.
// Errors name the file once and say what is wrong with it: "x.o: no such
// file or directory", "dir: is a directory", "notes.txt: not an ELF file",
// "x.o: empty file", "/bin/true: ELF for x86-64, not BPF".
func Open(path string) (*Object, error) {
	raw, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	obj, err := parse(path, ObjectName(path), raw)
	if err != nil {
		return nil, err
	}
	obj.Path = path
	return obj, nil
}

// ReadFile reads the file at path as Open does, for callers that look at
// the bytes before opening them (a loader file or an object): a failure
// is one error naming path once ("x.o: no such file or directory", "dir:
// is a directory"), which unwraps to the operating system's error.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fileError(path, err)
	}
	return raw, nil
}

// fileError names path once: the operating system's errors already carry
// the path and the operation ("open x.o: no such file or directory"), so
// only the cause is kept.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// OpenBytes reads a BPF ELF object from memory. name is the object name
// (libbpf's object_name option): it prefixes the kernel names of global
// data maps and names the object in errors.
func OpenBytes(name string, data []byte) (*Object, error) {
	return parse(name, truncate(name, objNameLen-1), data)
}

// symbol is one ELF symbol table entry.
type symbol struct {
	name  string
	info  uint8
	other uint8
	shndx uint16
	value uint64
	size  uint64
}

func (s *symbol) typ() elf.SymType   { return elf.ST_TYPE(s.info) }
func (s *symbol) bind() elf.SymBind  { return elf.ST_BIND(s.info) }
func (s *symbol) vis() elf.SymVis    { return elf.ST_VISIBILITY(s.other) }
func (s *symbol) hidden() bool       { v := s.vis(); return v == elf.STV_HIDDEN || v == elf.STV_INTERNAL }
func (s *symbol) globalOrWeak() bool { return s.bind() == elf.STB_GLOBAL || s.bind() == elf.STB_WEAK }

// isExtern mirrors libbpf: NOTYPE, GLOBAL or WEAK, undefined section.
func (s *symbol) isExtern() bool {
	return s.shndx == uint16(elf.SHN_UNDEF) && s.globalOrWeak() && s.typ() == elf.STT_NOTYPE
}

// secKind classifies ELF sections as libbpf does.
type secKind int

const (
	kindOther secKind = iota
	kindProg
	kindData
	kindRodata
	kindBSS
	kindRel
	kindStructOps
)

type section struct {
	idx   int
	name  string
	typ   elf.SectionType
	flags elf.SectionFlag
	size  uint64
	link  uint32
	info  uint32
	entsz uint64
	data  []byte // nil for SHT_NOBITS
	kind  secKind
}

// opener holds the state of one open.
type opener struct {
	file string // what errors call the file
	raw  []byte
	bo   binary.ByteOrder
	obj  *Object

	secs      []*section // by ELF index; nil for ignored ones
	syms      []symbol   // by symbol index, 0 is the null symbol
	symtabIdx int
	textIdx   int // 0 if none
	mapsIdx   int // .maps, 0 if none
	legacyIdx int // "maps", 0 if none

	ext *btf.Ext

	funcs       map[int][]*Function // per section, by offset
	mapsSecID   btf.TypeID          // DATASEC .maps
	btfMapVars  []btf.VarSecinfo    // .maps DATASEC entries, one per BTF map
	btfMapIdx   []int               // Object.Maps index of each of them
	dataMaps    map[int]int         // ELF section index → Object.Maps index
	kconfigMap  int                 // Object.Maps index of .kconfig, -1
	externBySym map[int]int         // symbol index → Object.Externs index
	kconfigSec  btf.TypeID
	ksymsSec    btf.TypeID
}

func (o *opener) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{o.file}, args...)...)
}

func (o *opener) secErrorf(s *section, format string, args ...any) error {
	return fmt.Errorf("%s: section %q (index %d): "+format, append([]any{o.file, s.name, s.idx}, args...)...)
}

// parse runs the open phase on raw bytes.
func parse(file, name string, raw []byte) (obj *Object, err error) {
	o := &opener{
		file:        file,
		raw:         raw,
		funcs:       make(map[int][]*Function),
		dataMaps:    make(map[int]int),
		kconfigMap:  -1,
		externBySym: make(map[int]int),
	}
	o.obj = &Object{Name: name}
	steps := []func() error{
		o.readELF,
		o.readSymbols,
		o.classifySections,
		o.readPrograms,
		o.readBTF,
		o.collectExterns,
		o.fixupBTF,
		o.initMaps,
		o.initPrograms,
		o.collectRelocs,
		o.collectLocalCalls,
		o.finishStructOps,
		o.splitExt,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return o.obj, nil
}

// readELF checks the header and reads the section table, bounding every
// section by the file's length.
func (o *opener) readELF() (err error) {
	// debug/elf returns errors for malformed input, but a parser bug must
	// not take the caller down: turn a panic into an error.
	defer func() {
		if r := recover(); r != nil {
			err = o.errorf("malformed ELF: %v", r)
		}
	}()
	if err := checkELFHeader(o.raw); err != nil {
		return o.errorf("%w", err)
	}
	f, err := elf.NewFile(bytes.NewReader(o.raw))
	if err != nil {
		return o.errorf("malformed ELF: %w", err)
	}
	if f.Type != elf.ET_REL {
		return o.errorf("not a relocatable object (ELF type %v)", f.Type)
	}
	o.bo = f.ByteOrder
	o.obj.ByteOrder = f.ByteOrder
	o.secs = make([]*section, len(f.Sections))
	for i, s := range f.Sections {
		sec := &section{
			idx: i, name: s.Name, typ: s.Type, flags: s.Flags, size: s.Size,
			link: s.Link, info: s.Info, entsz: s.Entsize,
		}
		o.secs[i] = sec
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		if s.Flags&elf.SHF_COMPRESSED != 0 {
			return o.secErrorf(sec, "compressed sections are not supported")
		}
		if s.Offset > uint64(len(o.raw)) || s.Size > uint64(len(o.raw))-s.Offset {
			return o.secErrorf(sec, "offset %#x size %#x beyond the end of the file (%#x bytes)", s.Offset, s.Size, len(o.raw))
		}
		sec.data = o.raw[s.Offset : s.Offset+s.Size : s.Offset+s.Size]
	}
	return nil
}

// readSymbols reads the only symbol table.
func (o *opener) readSymbols() error {
	var symtab *section
	for _, s := range o.secs {
		if s.typ != elf.SHT_SYMTAB {
			continue
		}
		if symtab != nil {
			return o.secErrorf(s, "multiple symbol tables")
		}
		symtab = s
	}
	if symtab == nil {
		return o.errorf("no symbol table (stripped object?)")
	}
	const symSize = 24
	if symtab.entsz != symSize || len(symtab.data)%symSize != 0 {
		return o.secErrorf(symtab, "symbol entry size %d, section size %d: want entries of %d bytes", symtab.entsz, len(symtab.data), symSize)
	}
	if int(symtab.link) >= len(o.secs) || symtab.link == 0 || o.secs[symtab.link].typ != elf.SHT_STRTAB {
		return o.secErrorf(symtab, "string table index %d is invalid", symtab.link)
	}
	strs := o.secs[symtab.link].data
	o.symtabIdx = symtab.idx
	n := len(symtab.data) / symSize // bounded by the file size
	o.syms = make([]symbol, n)
	for i := range o.syms {
		b := symtab.data[i*symSize:]
		nameOff := o.bo.Uint32(b)
		s := symbol{
			info:  b[4],
			other: b[5],
			shndx: o.bo.Uint16(b[6:]),
			value: o.bo.Uint64(b[8:]),
			size:  o.bo.Uint64(b[16:]),
		}
		if nameOff != 0 {
			name, ok := cString(strs, nameOff)
			if !ok {
				return o.secErrorf(symtab, "symbol %d: name offset %#x out of range", i, nameOff)
			}
			s.name = name
		}
		o.syms[i] = s
	}
	return nil
}

// cString returns the NUL-terminated string at off.
func cString(b []byte, off uint32) (string, bool) {
	if uint64(off) >= uint64(len(b)) {
		return "", false
	}
	b = b[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i]), true
	}
	return "", false
}

// classifySections sorts sections into programs, data, relocations and the
// special ones, as libbpf's ELF walk does.
func (o *opener) classifySections() error {
	for _, s := range o.secs {
		if s.idx == 0 || s.typ == elf.SHT_STRTAB || s.typ == elf.SHT_SYMTAB ||
			s.typ == shtLLVMAddrsig || strings.HasPrefix(s.name, ".debug_") {
			continue
		}
		switch {
		case s.name == secLicense:
			// libbpf keeps at most 63 bytes, up to the first NUL.
			lic := s.data
			if i := bytes.IndexByte(lic, 0); i >= 0 {
				lic = lic[:i]
			}
			o.obj.License = truncate(string(lic), 63)
		case s.name == secVersion:
			if len(s.data) != 4 {
				return o.secErrorf(s, "size %d, want 4", len(s.data))
			}
			o.obj.KernVersion = o.bo.Uint32(s.data)
		case s.name == secLegacyMap:
			o.legacyIdx = s.idx
		case s.name == secMaps:
			o.mapsIdx = s.idx
		case s.name == secBTF, s.name == secBTFExt:
			if s.typ != elf.SHT_PROGBITS {
				return o.secErrorf(s, "type %v, want PROGBITS", s.typ)
			}
		case s.typ == elf.SHT_PROGBITS && isStructOpsSection(s.name):
			s.kind = kindStructOps
		case s.typ == elf.SHT_PROGBITS && s.size > 0:
			switch {
			case s.flags&elf.SHF_EXECINSTR != 0:
				s.kind = kindProg
				if s.name == secText {
					o.textIdx = s.idx
				}
			case s.name == secData || strings.HasPrefix(s.name, secData+"."):
				s.kind = kindData
			case s.name == secRodata || strings.HasPrefix(s.name, secRodata+"."):
				s.kind = kindRodata
			}
		case s.typ == elf.SHT_REL:
			if s.entsz != 16 || len(s.data)%16 != 0 {
				return o.secErrorf(s, "relocation entry size %d, section size %d: want entries of 16 bytes", s.entsz, len(s.data))
			}
			if s.info == 0 || int(s.info) >= len(o.secs) {
				return o.secErrorf(s, "target section index %d out of range", s.info)
			}
			s.kind = kindRel
		case s.typ == elf.SHT_NOBITS && (s.name == secBSS || strings.HasPrefix(s.name, secBSS+".")):
			if s.size > 0 {
				s.kind = kindBSS
			}
		}
	}
	return nil
}

// readPrograms makes a Function of every STT_FUNC symbol in an executable
// section, ordered by section index and offset.
func (o *opener) readPrograms() error {
	for i := range o.syms {
		sym := &o.syms[i]
		if sym.typ() != elf.STT_FUNC || int(sym.shndx) >= len(o.secs) {
			continue
		}
		s := o.secs[sym.shndx]
		if s.kind != kindProg {
			continue
		}
		if sym.name == "" {
			return o.secErrorf(s, "function symbol %d at offset %#x has no name", i, sym.value)
		}
		if sym.size == 0 || sym.size%asm.InsnSize != 0 || sym.value%asm.InsnSize != 0 {
			return o.secErrorf(s, "function %s: offset %#x size %#x is not a whole number of instructions", sym.name, sym.value, sym.size)
		}
		if sym.value > s.size || sym.size > s.size-sym.value {
			return o.secErrorf(s, "function %s: offset %#x size %#x crosses the end of the section (%#x bytes)", sym.name, sym.value, sym.size, s.size)
		}
		if s.idx != o.textIdx && sym.bind() == elf.STB_LOCAL {
			return o.secErrorf(s, "function %s: static programs are not supported (only .text may hold static functions)", sym.name)
		}
		insns, err := asm.Decode(s.data[sym.value:sym.value+sym.size], o.bo)
		if err != nil {
			return o.secErrorf(s, "function %s: %w", sym.name, err)
		}
		f := &Function{
			Name:         sym.name,
			Section:      s.name,
			SectionIndex: s.idx,
			Offset:       sym.value,
			Global:       sym.bind() != elf.STB_LOCAL,
			Hidden:       sym.bind() != elf.STB_LOCAL && sym.hidden(),
			Subprog:      s.idx == o.textIdx,
			Autoload:     true,
			Insns:        insns,
		}
		o.funcs[s.idx] = append(o.funcs[s.idx], f)
		o.obj.Functions = append(o.obj.Functions, f)
	}
	sort.SliceStable(o.obj.Functions, func(i, j int) bool {
		a, b := o.obj.Functions[i], o.obj.Functions[j]
		if a.SectionIndex != b.SectionIndex {
			return a.SectionIndex < b.SectionIndex
		}
		return a.Offset < b.Offset
	})
	for idx, fs := range o.funcs {
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].Offset < fs[j].Offset })
		for i := 1; i < len(fs); i++ {
			prev := fs[i-1]
			if fs[i].Offset < prev.Offset+uint64(len(prev.Insns))*asm.InsnSize {
				return o.secErrorf(o.secs[idx], "functions %s (offset %#x) and %s (offset %#x) overlap", prev.Name, prev.Offset, fs[i].Name, fs[i].Offset)
			}
		}
	}
	return nil
}

// sectionByName returns the first section with that name.
func (o *opener) sectionByName(name string) *section {
	for _, s := range o.secs {
		if s != nil && s.idx != 0 && s.name == name {
			return s
		}
	}
	return nil
}

// readBTF parses .BTF and .BTF.ext.
func (o *opener) readBTF() error {
	s := o.sectionByName(secBTF)
	if s == nil {
		if o.mapsIdx != 0 {
			return o.errorf("section %q needs BTF, but the object has no %s section", secMaps, secBTF)
		}
		return nil
	}
	spec, err := btf.Parse(s.data)
	if err != nil {
		return o.secErrorf(s, "%w", err)
	}
	o.obj.BTF = spec
	if es := o.sectionByName(secBTFExt); es != nil {
		ext, err := btf.ParseExt(es.data, spec)
		if err != nil {
			return o.secErrorf(es, "%w", err)
		}
		o.ext = ext
	}
	return nil
}

// initPrograms gives every main program its type from the section table.
func (o *opener) initPrograms() error {
	for _, f := range o.obj.Functions {
		if f.Subprog {
			continue
		}
		sec := f.Section
		if strings.HasPrefix(sec, "?") {
			f.Autoload = false
		}
		def, target := FindSection(sec)
		if def == nil {
			return fmt.Errorf("%s: program %s: %w", o.file, f.Name, &UnknownSectionError{Section: sec})
		}
		f.Def = def
		f.Type = def.Type
		f.AttachType = def.AttachType
		f.AttachTo = target
		f.Flags = def.Flags()
	}
	return nil
}

// UnknownSectionError is returned for a program in a section the
// section-name table does not know.
type UnknownSectionError struct {
	Section string
}

func (e *UnknownSectionError) Error() string {
	return fmt.Sprintf("section %q: unknown program section name (see object.SectionDefs)", e.Section)
}

// shtLLVMAddrsig is SHT_LLVM_ADDRSIG, which debug/elf does not name.
const shtLLVMAddrsig = elf.SectionType(0x6fff4c03)
