package object

import (
	"debug/elf"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// collectExterns finds kconfig and ksym externs (undefined NOTYPE symbols
// described by an extern VAR or FUNC in BTF), sorts them like libbpf, lays
// out .kconfig and .ksyms, and makes those DATASECs loadable.
func (o *opener) collectExterns() error {
	spec := o.obj.BTF
	type found struct {
		e     *Extern
		sym   int
		align uint32
	}
	var exts []found
	for i := range o.syms {
		sym := &o.syms[i]
		if !sym.isExtern() || sym.name == "" {
			continue
		}
		if spec == nil {
			return o.errorf("extern %s (symbol %d): the object has no BTF to describe it", sym.name, i)
		}
		id, t, err := findExternBTF(spec, sym.name)
		if err != nil {
			return o.errorf("extern %s (symbol %d): %w", sym.name, i, err)
		}
		secID, sec, err := findExternSec(spec, id)
		if err != nil {
			return o.errorf("extern %s (symbol %d): %w", sym.name, i, err)
		}
		e := &Extern{
			Name:          t.Name,
			Weak:          sym.bind() == elf.STB_WEAK,
			BTFID:         id,
			EssentialName: essentialName(t.Name),
		}
		f := found{e: e, sym: i}
		switch sec.Name {
		case secKconfig:
			if t.Kind == btf.KindFunc {
				return o.errorf("extern %s: functions are not supported in %s", t.Name, secKconfig)
			}
			o.kconfigSec = secID
			e.Kind = ExternKconfig
			size, err := spec.Size(t.Type)
			if err != nil || size == 0 {
				return o.errorf("extern (kconfig) %s: cannot determine its size: %v", t.Name, err)
			}
			align, err := alignOf(spec, t.Type)
			if err != nil || align == 0 {
				return o.errorf("extern (kconfig) %s: cannot determine its alignment: %v", t.Name, err)
			}
			e.Size, f.align = size, align
			e.KconfigType, e.Signed = kconfigType(spec, t.Type, 0)
			if e.KconfigType == abi.KconfigUnknown {
				return o.errorf("extern (kconfig) %s: type is not supported (want bool, char, an integer of 1, 2, 4 or 8 bytes, enum libbpf_tristate or a char array)", t.Name)
			}
		case secKsyms:
			o.ksymsSec = secID
			e.Kind = ExternKsym
			if t.Kind == btf.KindFunc {
				e.Func, e.TargetKind = true, btf.KindFunc
			} else {
				e.TargetKind = btf.KindVar
				rid, _, err := spec.Resolve(t.Type)
				if err != nil {
					return o.errorf("extern (ksym) %s: %w", t.Name, err)
				}
				e.Typeless = rid == 0
			}
		default:
			return o.errorf("extern %s: in DATASEC %q: only %s and %s hold externs", t.Name, sec.Name, secKconfig, secKsyms)
		}
		exts = append(exts, f)
	}
	if len(exts) == 0 {
		return nil
	}
	// libbpf's order: kconfig before ksyms; kconfig by alignment
	// (descending) then size; ties by name. Offsets follow from it.
	sort.SliceStable(exts, func(i, j int) bool {
		a, b := exts[i], exts[j]
		if a.e.Kind != b.e.Kind {
			return a.e.Kind < b.e.Kind
		}
		if a.e.Kind == ExternKconfig {
			if a.align != b.align {
				return a.align > b.align
			}
			if a.e.Size != b.e.Size {
				return a.e.Size < b.e.Size
			}
		}
		return a.e.Name < b.e.Name
	})
	off := uint32(0)
	for i, f := range exts {
		o.obj.Externs = append(o.obj.Externs, f.e)
		o.externBySym[f.sym] = i
		if f.e.Kind == ExternKconfig {
			f.e.Offset = (off + f.align - 1) / f.align * f.align
			off = f.e.Offset + f.e.Size
		}
	}
	if o.kconfigSec != 0 {
		if err := o.layoutKconfig(off); err != nil {
			return err
		}
	}
	if o.ksymsSec != 0 {
		if err := o.layoutKsyms(); err != nil {
			return err
		}
	}
	return nil
}

func (o *opener) externByName(name string) *Extern {
	for _, e := range o.obj.Externs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// layoutKconfig gives the .kconfig DATASEC its size and each VAR its
// offset, and makes the VARs allocated so the kernel accepts them.
func (o *opener) layoutKconfig(size uint32) error {
	spec := o.obj.BTF
	sec, err := spec.Type(o.kconfigSec)
	if err != nil {
		return o.errorf("DATASEC %s: %w", secKconfig, err)
	}
	vars := append([]btf.VarSecinfo(nil), sec.Vars...)
	for i := range vars {
		vt, err := spec.Type(vars[i].Type)
		if err != nil {
			return o.errorf("DATASEC %s var %d: %w", secKconfig, i, err)
		}
		e := o.externByName(vt.Name)
		if e == nil || vt.Kind != btf.KindVar {
			return o.errorf("DATASEC %s: %s %q has no extern symbol", secKconfig, vt.Kind, vt.Name)
		}
		setVarLinkage(vt, btf.LinkageGlobal)
		vars[i].Offset = e.Offset
	}
	sortVars(vars)
	if err := spec.SetDatasec(o.kconfigSec, size, vars); err != nil {
		return o.errorf("DATASEC %s: %w", secKconfig, err)
	}
	return nil
}

// layoutKsyms turns every .ksyms entry into a 4-byte allocated int VAR,
// as libbpf does: the kernel accepts neither extern VARs nor FUNCs in a
// DATASEC. A kfunc's entry points at an added "dummy_ksym" VAR, its FUNC
// becomes global and its unnamed parameters get a name.
func (o *opener) layoutKsyms() error {
	spec := o.obj.BTF
	sec, err := spec.Type(o.ksymsSec)
	if err != nil {
		return o.errorf("DATASEC %s: %w", secKsyms, err)
	}
	intID := findInt32(spec)
	var dummyID btf.TypeID
	hasFunc := false
	for _, v := range sec.Vars {
		if t, err := spec.Type(v.Type); err == nil && t.Kind == btf.KindFunc {
			hasFunc = true
		}
	}
	if hasFunc {
		// Adding a type re-parses the BTF: fetch everything again after.
		spec, dummyID, err = addVar(spec, "dummy_ksym", intID, btf.LinkageGlobal)
		if err != nil {
			return o.errorf("DATASEC %s: adding the dummy_ksym VAR: %w", secKsyms, err)
		}
		o.obj.BTF = spec
		if sec, err = spec.Type(o.ksymsSec); err != nil {
			return o.errorf("DATASEC %s: %w", secKsyms, err)
		}
	}
	dummy, _ := spec.Type(dummyID)
	vars := append([]btf.VarSecinfo(nil), sec.Vars...)
	for i := range vars {
		vt, err := spec.Type(vars[i].Type)
		if err != nil {
			return o.errorf("DATASEC %s var %d: %w", secKsyms, i, err)
		}
		if o.externByName(vt.Name) == nil {
			return o.errorf("DATASEC %s: %s %q has no extern symbol", secKsyms, vt.Kind, vt.Name)
		}
		switch vt.Kind {
		case btf.KindFunc:
			proto, err := spec.Type(vt.Type)
			if err != nil || proto.Kind != btf.KindFuncProto {
				return o.errorf("kfunc %s: type %d is not a FUNC_PROTO", vt.Name, vt.Type)
			}
			for j := range proto.Params {
				if proto.Params[j].Type != 0 && proto.Params[j].NameOff == 0 {
					setParamName(proto, j, dummy)
				}
			}
			setFuncLinkage(vt, btf.LinkageGlobal)
			vars[i].Type = dummyID
		case btf.KindVar:
			setVarLinkage(vt, btf.LinkageGlobal)
			setVarType(vt, intID)
		default:
			return o.errorf("DATASEC %s: entry %d is %s %q, want VAR or FUNC", secKsyms, i, vt.Kind, vt.Name)
		}
		vars[i].Offset = uint32(4 * i)
		vars[i].Size = 4
	}
	if err := spec.SetDatasec(o.ksymsSec, uint32(4*len(vars)), vars); err != nil {
		return o.errorf("DATASEC %s: %w", secKsyms, err)
	}
	return nil
}

// findExternBTF finds the VAR or FUNC named name; it must be extern.
func findExternBTF(spec *btf.Spec, name string) (btf.TypeID, *btf.Type, error) {
	for id, t := range spec.Types() {
		if t.Name != name || (t.Kind != btf.KindVar && t.Kind != btf.KindFunc) {
			continue
		}
		if t.Kind == btf.KindVar && t.Linkage != btf.LinkageExtern {
			return 0, nil, fmt.Errorf("BTF VAR [%d] has linkage %d, want extern", id, t.Linkage)
		}
		if t.Kind == btf.KindFunc && t.Vlen != btf.LinkageExtern {
			return 0, nil, fmt.Errorf("BTF FUNC [%d] has linkage %d, want extern", id, t.Vlen)
		}
		return id, t, nil
	}
	return 0, nil, fmt.Errorf("no BTF VAR or FUNC describes it: %w", btf.ErrNotFound)
}

// findExternSec finds the DATASEC listing id.
func findExternSec(spec *btf.Spec, id btf.TypeID) (btf.TypeID, *btf.Type, error) {
	for sid, t := range spec.Types() {
		if t.Kind != btf.KindDatasec {
			continue
		}
		for _, v := range t.Vars {
			if v.Type == id {
				return sid, t, nil
			}
		}
	}
	return 0, nil, fmt.Errorf("BTF type [%d] is in no DATASEC (declare it __kconfig or __ksym): %w", id, btf.ErrNotFound)
}

// kconfigType is libbpf's find_kcfg_type.
func kconfigType(spec *btf.Spec, id btf.TypeID, depth int) (abi.KconfigType, bool) {
	_, t, err := spec.Resolve(id)
	if err != nil || depth > 1 {
		return abi.KconfigUnknown, false
	}
	switch t.Kind {
	case btf.KindInt:
		if t.IntEncoding&btf.IntBool != 0 {
			if t.Size == 1 {
				return abi.KconfigBool, false
			}
			return abi.KconfigUnknown, false
		}
		signed := t.IntEncoding&btf.IntSigned != 0
		if t.Size == 1 {
			return abi.KconfigChar, signed
		}
		if t.Size < 1 || t.Size > 8 || t.Size&(t.Size-1) != 0 {
			return abi.KconfigUnknown, false
		}
		return abi.KconfigInt, signed
	case btf.KindEnum, btf.KindEnum64:
		if t.Name != "libbpf_tristate" || (t.Kind == btf.KindEnum && t.Size != 4) {
			return abi.KconfigUnknown, false
		}
		return abi.KconfigTristate, false
	case btf.KindArray:
		if t.Array.Nelems == 0 {
			return abi.KconfigUnknown, false
		}
		if et, _ := kconfigType(spec, t.Array.Type, depth+1); et != abi.KconfigChar {
			return abi.KconfigUnknown, false
		}
		return abi.KconfigCharArray, false
	}
	return abi.KconfigUnknown, false
}

// alignOf is libbpf's btf__align_of for the types kconfig externs can have.
func alignOf(spec *btf.Spec, id btf.TypeID) (uint32, error) {
	for depth := 0; depth <= spec.NumTypes(); depth++ {
		t, err := spec.Type(id)
		if err != nil {
			return 0, err
		}
		switch t.Kind {
		case btf.KindInt, btf.KindEnum, btf.KindEnum64, btf.KindFloat:
			return min(t.Size, 8), nil
		case btf.KindPtr:
			return 8, nil
		case btf.KindArray:
			id = t.Array.Type
		case btf.KindTypedef, btf.KindConst, btf.KindVolatile, btf.KindRestrict, btf.KindTypeTag, btf.KindVar:
			id = t.Type
		case btf.KindStruct, btf.KindUnion:
			align := uint32(1)
			for _, m := range t.Members {
				a, err := alignOf(spec, m.Type)
				if err != nil {
					return 0, err
				}
				if a == 0 || (!t.KindFlag || m.BitfieldSize == 0) && m.Offset%(8*a) != 0 {
					return 1, nil // packed
				}
				align = max(align, a)
			}
			if t.Size%align != 0 {
				return 1, nil
			}
			return align, nil
		default:
			return 0, fmt.Errorf("type [%d] is %s, which has no alignment", id, t.Kind)
		}
	}
	return 0, errors.New("type loop")
}

// findInt32 returns the first 32-bit INT, 0 if there is none (libbpf's
// find_int_btf_id).
func findInt32(spec *btf.Spec) btf.TypeID {
	for id, t := range spec.Types() {
		if t.Kind == btf.KindInt && t.IntBits == 32 {
			return id
		}
	}
	return 0
}

// essentialName drops a "___flavour" suffix, as CO-RE does.
func essentialName(name string) string {
	if i := strings.LastIndex(name, "___"); i > 0 {
		return name[:i]
	}
	return name
}

func sortVars(vars []btf.VarSecinfo) {
	sort.SliceStable(vars, func(i, j int) bool { return vars[i].Offset < vars[j].Offset })
}

// The helpers below are the only places that edit BTF types other than
// DATASECs. The btf package documents its types as read-only except
// through SetDatasec; Marshal encodes these fields as they are, and the
// edits keep every type id and string offset unchanged.

func setVarLinkage(t *btf.Type, linkage uint32) { t.Linkage = linkage }
func setVarType(t *btf.Type, id btf.TypeID)     { t.Type = id }
func setFuncLinkage(t *btf.Type, linkage uint16) {
	t.Vlen = linkage
}
func setParamName(proto *btf.Type, i int, named *btf.Type) {
	if named != nil {
		proto.Params[i].NameOff = named.NameOff
		proto.Params[i].Name = named.Name
	}
}

// addVar returns a copy of spec with a VAR appended, re-parsed from its
// marshalled bytes plus the new record and name; every existing id and
// string offset stays as it was.
func addVar(spec *btf.Spec, name string, typ btf.TypeID, linkage uint32) (*btf.Spec, btf.TypeID, error) {
	raw, err := spec.Marshal()
	if err != nil {
		return nil, 0, err
	}
	bo := spec.ByteOrder()
	hdrLen := bo.Uint32(raw[4:])
	typeOff, typeLen := bo.Uint32(raw[8:]), bo.Uint32(raw[12:])
	strOff, strLen := bo.Uint32(raw[16:]), bo.Uint32(raw[20:])
	if strOff != typeOff+typeLen || uint64(hdrLen)+uint64(strOff)+uint64(strLen) != uint64(len(raw)) {
		return nil, 0, errors.New("unexpected BTF layout")
	}
	types := raw[hdrLen+typeOff : hdrLen+typeOff+typeLen]
	strs := raw[hdrLen+strOff:]
	rec := make([]byte, 16)
	bo.PutUint32(rec, strLen) // the name goes at the end of the strings
	bo.PutUint32(rec[4:], uint32(btf.KindVar)<<24)
	bo.PutUint32(rec[8:], uint32(typ))
	bo.PutUint32(rec[12:], linkage)
	out := make([]byte, 0, len(raw)+len(rec)+len(name)+1)
	out = append(out, raw[:hdrLen]...)
	out = append(out, types...)
	out = append(out, rec...)
	out = append(out, strs...)
	out = append(out, name...)
	out = append(out, 0)
	putHdr := func(off int, v uint32) { bo.PutUint32(out[off:], v) }
	putHdr(8, 0)
	putHdr(12, typeLen+uint32(len(rec)))
	putHdr(16, typeLen+uint32(len(rec)))
	putHdr(20, strLen+uint32(len(name))+1)
	id := btf.TypeID(spec.NumTypes())
	ns, err := btf.Parse(out)
	if err != nil {
		return nil, 0, err
	}
	return ns, id, nil
}
