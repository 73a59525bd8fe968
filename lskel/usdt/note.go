package usdt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Probe is one USDT probe site of an ELF binary: one note of its
// .note.stapsdt section, with the addresses turned into what a uprobe
// takes.
type Probe struct {
	Provider, Name string
	// Args is the note's argument string ("-4@%esi 8@%rax").
	Args string
	// Addr is the site's virtual address in the binary, after the
	// .stapsdt.base adjustment (prelink), and Offset its file offset: the
	// uprobe's offset.
	Addr, Offset uint64
	// Semaphore is the virtual address of the probe's semaphore (0: none)
	// and SemaphoreOffset its file offset: the uprobe's ref_ctr_offset.
	Semaphore, SemaphoreOffset uint64
}

// File is what attaching needs of a binary: its probes and how its
// addresses relate to a process's.
type File struct {
	Machine int              // ELF machine (62: x86-64, 183: arm64)
	Dynamic bool             // ET_DYN (PIE or shared object): loaded at a varying address
	Order   binary.ByteOrder // the binary's byte order, also its programs'
	// LoadAddr is the address of the binary's start (file offset 0) as
	// linked: a process that maps the file there at A has the probe at
	// Addr - LoadAddr + A.
	LoadAddr uint64
	Probes   []Probe
}

// NT_STAPSDT is the note type of SystemTap SDT probes, owner "stapsdt".
const ntStapsdt = 3

// Open reads the USDT probes of the ELF file at path.
func Open(path string) (*File, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

// Read reads the USDT probes of f.
func Read(f *elf.File) (*File, error) {
	if f.Class != elf.ELFCLASS64 {
		return nil, errors.New("not a 64-bit ELF file: USDT probes of 32-bit binaries are not supported")
	}
	u := &File{Machine: int(f.Machine), Dynamic: f.Type == elf.ET_DYN, Order: f.ByteOrder}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Off == 0 {
			u.LoadAddr = p.Vaddr
			break
		}
	}
	notes := f.Section(".note.stapsdt")
	if notes == nil {
		return u, nil
	}
	if notes.Type != elf.SHT_NOTE {
		return nil, errors.New("section .note.stapsdt is not a note section")
	}
	data, err := notes.Data()
	if err != nil {
		return nil, fmt.Errorf("section .note.stapsdt: %w", err)
	}
	// Prelink moves the binary; the notes keep the link-time address of
	// .stapsdt.base, whose section header has the new one.
	var base uint64
	hasBase := false
	if s := f.Section(".stapsdt.base"); s != nil {
		base, hasBase = s.Addr, true
	}
	for n := 0; len(data) > 0; n++ {
		var owner, desc []byte
		var typ uint32
		owner, desc, typ, data, err = nextNote(data, f.ByteOrder)
		if err != nil {
			return nil, fmt.Errorf("section .note.stapsdt: note %d: %w", n, err)
		}
		if string(owner) != "stapsdt" || typ != ntStapsdt {
			continue
		}
		p, err := parseNote(desc, f.ByteOrder)
		if err != nil {
			return nil, fmt.Errorf("section .note.stapsdt: note %d: %w", n, err)
		}
		if hasBase && p.base != 0 {
			p.Addr += base - p.base
			if p.Semaphore != 0 {
				p.Semaphore += base - p.base
			}
		}
		if p.Offset, err = fileOffset(f, p.Addr, true); err != nil {
			return nil, fmt.Errorf("probe %s:%s at 0x%x: %w", p.Provider, p.Name, p.Addr, err)
		}
		if p.Semaphore != 0 {
			if p.SemaphoreOffset, err = fileOffset(f, p.Semaphore, false); err != nil {
				return nil, fmt.Errorf("probe %s:%s: semaphore at 0x%x: %w", p.Provider, p.Name, p.Semaphore, err)
			}
		}
		u.Probes = append(u.Probes, p.Probe)
	}
	return u, nil
}

// nextNote splits the first ELF note (namesz, descsz, type, name, desc,
// each padded to 4 bytes) off data.
func nextNote(data []byte, bo binary.ByteOrder) (owner, desc []byte, typ uint32, rest []byte, err error) {
	if len(data) < 12 {
		return nil, nil, 0, nil, io.ErrUnexpectedEOF
	}
	namesz, descsz, typ := uint64(bo.Uint32(data)), uint64(bo.Uint32(data[4:])), bo.Uint32(data[8:])
	data = data[12:]
	nameEnd := align4(namesz)
	if nameEnd > uint64(len(data)) || descsz > uint64(len(data))-nameEnd {
		return nil, nil, 0, nil, fmt.Errorf("name (%d bytes) and descriptor (%d bytes) run past the section", namesz, descsz)
	}
	owner = bytes.TrimRight(data[:namesz], "\x00")
	desc = data[nameEnd : nameEnd+descsz]
	rest = data[min(nameEnd+align4(descsz), uint64(len(data))):]
	return owner, desc, typ, rest, nil
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// note is a parsed stapsdt descriptor: the probe and the link-time address
// of .stapsdt.base it was recorded against.
type note struct {
	Probe
	base uint64
}

// parseNote parses a stapsdt note descriptor of a 64-bit binary: the
// site, .stapsdt.base and semaphore addresses, then provider, name and
// arguments, each NUL-terminated.
func parseNote(desc []byte, bo binary.ByteOrder) (note, error) {
	if len(desc) < 24 {
		return note{}, fmt.Errorf("descriptor of %d bytes, shorter than its three addresses", len(desc))
	}
	var n note
	n.Addr, n.base, n.Semaphore = bo.Uint64(desc), bo.Uint64(desc[8:]), bo.Uint64(desc[16:])
	strs := desc[24:]
	for _, dst := range []*string{&n.Provider, &n.Name, &n.Args} {
		i := bytes.IndexByte(strs, 0)
		if i < 0 {
			return note{}, errors.New("provider, name or arguments not NUL-terminated")
		}
		*dst, strs = string(strs[:i]), strs[i+1:]
	}
	if n.Provider == "" || n.Name == "" {
		return note{}, errors.New("empty provider or probe name")
	}
	return n, nil
}

// fileOffset turns the virtual address addr into a file offset through
// the PT_LOAD segment that holds it (an executable one for code).
func fileOffset(f *elf.File, addr uint64, exec bool) (uint64, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || (exec && p.Flags&elf.PF_X == 0) {
			continue
		}
		if addr >= p.Vaddr && addr-p.Vaddr < p.Filesz {
			return addr - p.Vaddr + p.Off, nil
		}
	}
	what := "loaded segment"
	if exec {
		what = "executable segment"
	}
	return 0, fmt.Errorf("address in no %s with file contents", what)
}

// Find returns the probes of provider:name, one per site.
func (u *File) Find(provider, name string) []Probe {
	var out []Probe
	for _, p := range u.Probes {
		if p.Provider == provider && p.Name == name {
			out = append(out, p)
		}
	}
	return out
}
