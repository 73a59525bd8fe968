package object

import (
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
)

// initMaps builds Object.Maps in libbpf's order: legacy "maps", BTF
// ".maps", global data sections by section index, then ".kconfig".
func (o *opener) initMaps() error {
	if err := o.initLegacyMaps(); err != nil {
		return err
	}
	if err := o.initBTFMaps(); err != nil {
		return err
	}
	for _, s := range o.secs {
		var kind InternalKind
		switch s.kind {
		case kindData:
			kind = InternalData
		case kindRodata:
			kind = InternalRodata
		case kindBSS:
			kind = InternalBSS
		default:
			continue
		}
		if err := o.addInternalMap(kind, s.name, s.idx, s.data, s.size); err != nil {
			return err
		}
	}
	var last *Extern
	for _, e := range o.obj.Externs {
		if e.Kind == ExternKconfig {
			last = e
		}
	}
	if last != nil {
		if err := o.addInternalMap(InternalKconfig, secKconfig, -1, nil, uint64(last.Offset)+uint64(last.Size)); err != nil {
			return err
		}
		o.kconfigMap = len(o.obj.Maps) - 1
	}
	return o.initStructOpsMaps()
}

// maxValueSize bounds global data maps: the kernel refuses array values
// above KMALLOC_MAX_SIZE anyway, and .bss sizes are not backed by file
// bytes.
const maxValueSize = 1 << 30

// addInternalMap adds a global data map for an ELF section.
func (o *opener) addInternalMap(kind InternalKind, name string, secIdx int, data []byte, size uint64) error {
	if size > maxValueSize {
		return o.errorf("section %q (index %d): size %#x is too large for a global data map", name, secIdx, size)
	}
	m := &Map{
		Name:       name,
		KernelName: internalMapName(o.obj.Name, name),
		Section:    name,
		Type:       MapTypeArray,
		KeySize:    4,
		ValueSize:  uint32(size),
		MaxEntries: 1,
		Internal:   kind,
		secIdx:     secIdx,
	}
	if kind == InternalRodata || kind == InternalKconfig {
		m.Flags |= MapFlagRdonlyProg
	}
	if data != nil {
		m.Contents = append([]byte(nil), data...)
	}
	if spec := o.obj.BTF; spec != nil {
		// Failing to find a DATASEC is fine: .rodata.str1.1 has none.
		if id, t, err := spec.TypeByName(name, btf.KindDatasec); err == nil {
			m.BTFValueID = id
			m.DatasecID = id
			for _, v := range t.Vars {
				if vt, err := spec.Type(v.Type); err == nil && vt.Kind == btf.KindVar && vt.Linkage != btf.LinkageStatic {
					m.Flags |= MapFlagMmapable
					break
				}
			}
		}
	}
	if secIdx >= 0 {
		o.dataMaps[secIdx] = len(o.obj.Maps)
	}
	o.obj.Maps = append(o.obj.Maps, m)
	return nil
}

// internalMapName is libbpf's rule for global data map names: up to 8
// bytes of the object name (7 before ".kconfig") and the section name,
// except that a section name with a second '.' (.data.foo, .rodata.str1.1)
// is used alone; at most 15 bytes; characters the kernel refuses become
// '_'.
func internalMapName(objName, secName string) string {
	sfx := max(7, len(secName))
	if sfx >= objNameLen {
		sfx = objNameLen - 1
	}
	pfx := 0
	if len(secName) < 2 || !strings.Contains(secName[1:], ".") {
		pfx = min(objNameLen-sfx-1, len(objName))
	}
	name := objName[:pfx] + truncate(secName, sfx)
	name = truncate(name, objNameLen-1)
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

// initLegacyMaps reads struct bpf_map_def entries from a "maps" section.
// libbpf 1.0 refuses such objects; we accept them (as older libbpf did) so
// old objects can still be inspected.
func (o *opener) initLegacyMaps() error {
	if o.legacyIdx == 0 {
		return nil
	}
	s := o.secs[o.legacyIdx]
	var syms []*symbol
	for i := range o.syms {
		sym := &o.syms[i]
		if int(sym.shndx) == s.idx && sym.typ() != elf.STT_SECTION && sym.name != "" {
			syms = append(syms, sym)
		}
	}
	if len(syms) == 0 {
		return nil
	}
	sort.SliceStable(syms, func(i, j int) bool { return syms[i].value < syms[j].value })
	defSize := uint64(len(s.data)) / uint64(len(syms))
	const minDef = 20 // type, key_size, value_size, max_entries, map_flags
	if defSize < minDef || uint64(len(s.data))%uint64(len(syms)) != 0 {
		return o.secErrorf(s, "%d map symbols in %d bytes: not a bpf_map_def array", len(syms), len(s.data))
	}
	for _, sym := range syms {
		if sym.value%defSize != 0 || sym.value+defSize > uint64(len(s.data)) {
			return o.secErrorf(s, "map %s: offset %#x is not a bpf_map_def slot", sym.name, sym.value)
		}
		b := s.data[sym.value:]
		m := &Map{
			Name:       sym.name,
			KernelName: truncate(sym.name, objNameLen-1),
			Section:    s.name,
			Type:       MapType(o.bo.Uint32(b)),
			KeySize:    o.bo.Uint32(b[4:]),
			ValueSize:  o.bo.Uint32(b[8:]),
			MaxEntries: o.bo.Uint32(b[12:]),
			Flags:      o.bo.Uint32(b[16:]),
			secIdx:     s.idx,
			secOff:     sym.value,
		}
		o.obj.Maps = append(o.obj.Maps, m)
	}
	return nil
}

// initBTFMaps parses the map definitions of the .maps DATASEC.
func (o *opener) initBTFMaps() error {
	if o.mapsIdx == 0 {
		return nil
	}
	s := o.secs[o.mapsIdx]
	spec := o.obj.BTF
	id, sec, err := spec.TypeByName(secMaps, btf.KindDatasec)
	if err != nil {
		return o.secErrorf(s, "no DATASEC %q in BTF: %w", secMaps, err)
	}
	o.mapsSecID = id
	for i, vi := range sec.Vars {
		v, err := spec.Type(vi.Type)
		if err != nil || v.Kind != btf.KindVar {
			return o.secErrorf(s, "DATASEC entry %d (type %d) is not a VAR", i, vi.Type)
		}
		name := v.Name
		if name == "" {
			return o.secErrorf(s, "map #%d has no name", i)
		}
		if uint64(vi.Offset)+uint64(vi.Size) > s.size {
			return o.secErrorf(s, "map %s: offset %#x size %d beyond the section (%d bytes)", name, vi.Offset, vi.Size, s.size)
		}
		if v.Linkage != btf.LinkageGlobal {
			return o.secErrorf(s, "map %s: linkage %d is not supported (maps must be global)", name, v.Linkage)
		}
		_, def, err := spec.Resolve(v.Type)
		if err != nil {
			return o.secErrorf(s, "map %s: %w", name, err)
		}
		if def.Kind != btf.KindStruct {
			return o.secErrorf(s, "map %s: definition is %s, want STRUCT", name, def.Kind)
		}
		if def.Size > vi.Size {
			return o.secErrorf(s, "map %s: definition of %d bytes does not fit its %d-byte variable", name, def.Size, vi.Size)
		}
		m := &Map{Name: name, KernelName: truncate(name, objNameLen-1), Section: secMaps, secIdx: s.idx, secOff: uint64(vi.Offset)}
		inner, err := o.parseMapDef(m, def, false)
		if err != nil {
			return o.secErrorf(s, "map %s: %w", name, err)
		}
		if inner != nil {
			inner.Name = name + ".inner"
			inner.KernelName = truncate(inner.Name, objNameLen-1)
			inner.Section = secMaps
			inner.secIdx = -1
			m.Inner = inner
		}
		o.btfMapVars = append(o.btfMapVars, vi)
		o.btfMapIdx = append(o.btfMapIdx, len(o.obj.Maps))
		o.obj.Maps = append(o.obj.Maps, m)
	}
	return nil
}

// parseMapDef is libbpf's parse_btf_map_def. It returns the inner map
// definition of a map-in-map.
func (o *opener) parseMapDef(m *Map, def *btf.Type, isInner bool) (*Map, error) {
	spec := o.obj.BTF
	var inner *Map
	for i, mem := range def.Members {
		switch mem.Name {
		case "type", "max_entries", "map_flags", "numa_node", "key_size", "value_size", "pinning":
			v, err := mapFieldInt(spec, mem)
			if err != nil {
				return nil, err
			}
			switch mem.Name {
			case "type":
				m.Type = MapType(v)
			case "max_entries":
				m.MaxEntries = v
			case "map_flags":
				m.Flags = v
			case "numa_node":
				m.NumaNode = v
			case "key_size":
				if m.KeySize != 0 && m.KeySize != v {
					return nil, fmt.Errorf("conflicting key size %d != %d", m.KeySize, v)
				}
				m.KeySize = v
			case "value_size":
				if m.ValueSize != 0 && m.ValueSize != v {
					return nil, fmt.Errorf("conflicting value size %d != %d", m.ValueSize, v)
				}
				m.ValueSize = v
			case "pinning":
				if isInner {
					return nil, fmt.Errorf("an inner map cannot be pinned")
				}
				if v > 1 {
					return nil, fmt.Errorf("invalid pinning value %d", v)
				}
				m.Pinning = v
			}
		case "key", "value":
			t, err := spec.Type(mem.Type)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", mem.Name, err)
			}
			if t.Kind != btf.KindPtr {
				return nil, fmt.Errorf("%s spec is %s, want PTR", mem.Name, t.Kind)
			}
			size, err := spec.Size(t.Type)
			if err != nil {
				return nil, fmt.Errorf("can't determine %s size for type [%d]: %w", mem.Name, t.Type, err)
			}
			if mem.Name == "key" {
				if m.KeySize != 0 && m.KeySize != size {
					return nil, fmt.Errorf("conflicting key size %d != %d", m.KeySize, size)
				}
				m.KeySize, m.BTFKeyID = size, t.Type
			} else {
				if m.ValueSize != 0 && m.ValueSize != size {
					return nil, fmt.Errorf("conflicting value size %d != %d", m.ValueSize, size)
				}
				m.ValueSize, m.BTFValueID = size, t.Type
			}
		case "values":
			isMapInMap := m.Type.IsMapInMap()
			isProgArray := m.Type == MapTypeProgArray
			if isInner {
				return nil, fmt.Errorf("multi-level inner maps are not supported")
			}
			if i != len(def.Members)-1 {
				return nil, fmt.Errorf("'values' must be the last member")
			}
			if !isMapInMap && !isProgArray {
				return nil, fmt.Errorf("'values' needs a map-in-map or a prog array, not %s", m.Type)
			}
			if m.ValueSize != 0 && m.ValueSize != 4 {
				return nil, fmt.Errorf("conflicting value size %d != 4", m.ValueSize)
			}
			m.ValueSize = 4
			t, err := spec.Type(mem.Type)
			if err != nil {
				return nil, fmt.Errorf("values: %w", err)
			}
			if t.Kind != btf.KindArray || t.Array.Nelems != 0 {
				return nil, fmt.Errorf("values spec is not a zero-sized array")
			}
			_, pt, err := spec.Resolve(t.Array.Type)
			if err != nil {
				return nil, fmt.Errorf("values: %w", err)
			}
			if pt.Kind != btf.KindPtr {
				return nil, fmt.Errorf("values element is %s, want PTR", pt.Kind)
			}
			_, target, err := spec.Resolve(pt.Type)
			if err != nil {
				return nil, fmt.Errorf("values: %w", err)
			}
			if isProgArray {
				if target.Kind != btf.KindFuncProto {
					return nil, fmt.Errorf("prog-array value def is %s, want FUNC_PROTO", target.Kind)
				}
				continue
			}
			if target.Kind != btf.KindStruct {
				return nil, fmt.Errorf("map-in-map inner def is %s, want STRUCT", target.Kind)
			}
			inner = &Map{}
			if _, err := o.parseMapDef(inner, target, true); err != nil {
				return nil, fmt.Errorf("inner map: %w", err)
			}
		case "map_extra":
			v, err := mapFieldLong(spec, mem)
			if err != nil {
				return nil, err
			}
			m.MapExtra = v
		default:
			return nil, fmt.Errorf("unknown field %q", mem.Name)
		}
	}
	if m.Type == MapTypeUnspec {
		return nil, fmt.Errorf("map type isn't specified")
	}
	if m.Type == MapTypeRingbuf || m.Type == MapTypeUserRingbuf {
		m.MaxEntries = adjustRingbufSize(m.MaxEntries, uint32(os.Getpagesize()))
	}
	if m.Type == MapTypePerfEventArray {
		// Its keys are CPU numbers and its values perf event fds, 4 bytes
		// each, whatever __type names: bpf2go's users name the event
		// type there (__type(value, struct event)) so that it gets a Go
		// type; the kernel refuses any other size.
		m.KeySize, m.ValueSize = 4, 4
	}
	return inner, nil
}

// mapFieldInt reads an __uint(name, N) field: a pointer to an array of N
// elements.
func mapFieldInt(spec *btf.Spec, mem btf.Member) (uint32, error) {
	_, t, err := spec.Resolve(mem.Type)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", mem.Name, err)
	}
	if t.Kind != btf.KindPtr {
		return 0, fmt.Errorf("field %s is %s, want PTR", mem.Name, t.Kind)
	}
	at, err := spec.Type(t.Type)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", mem.Name, err)
	}
	if at.Kind != btf.KindArray {
		return 0, fmt.Errorf("field %s points to %s, want ARRAY", mem.Name, at.Kind)
	}
	return at.Array.Nelems, nil
}

// mapFieldLong reads a 64-bit field: an __uint-style pointer or an enum
// with a single value.
func mapFieldLong(spec *btf.Spec, mem btf.Member) (uint64, error) {
	_, t, err := spec.Resolve(mem.Type)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", mem.Name, err)
	}
	if t.Kind == btf.KindPtr {
		v, err := mapFieldInt(spec, mem)
		return uint64(v), err
	}
	if t.Kind != btf.KindEnum && t.Kind != btf.KindEnum64 {
		return 0, fmt.Errorf("field %s is %s, want PTR or ENUM", mem.Name, t.Kind)
	}
	if len(t.Enums) != 1 {
		return 0, fmt.Errorf("field %s: enum must have exactly one value", mem.Name)
	}
	v := t.Enums[0].Value
	if t.Kind == btf.KindEnum {
		return uint64(uint32(v)), nil
	}
	return uint64(v), nil
}

// adjustRingbufSize rounds a ring buffer size up to a power-of-2 multiple
// of the page size, as libbpf does at open.
func adjustRingbufSize(sz, page uint32) uint32 {
	if sz == 0 || page == 0 {
		return sz
	}
	if sz%page == 0 {
		n := sz / page
		if n&(n-1) == 0 {
			return sz
		}
	}
	for mul := uint64(1); mul*uint64(page) <= 1<<32-1; mul <<= 1 {
		if mul*uint64(page) > uint64(sz) {
			return uint32(mul * uint64(page))
		}
	}
	return sz
}
