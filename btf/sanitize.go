package btf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Features says which BTF kinds and encodings the kernel that is to load a
// blob accepts. Each field names the Linux release that brought it.
type Features struct {
	Func         bool // FUNC and FUNC_PROTO (4.20/5.0)
	GlobalFunc   bool // FUNC linkage other than static (5.6)
	Datasec      bool // VAR and DATASEC (5.2)
	QmarkDatasec bool // DATASEC names starting with '?' (6.9)
	Float        bool // FLOAT (5.13)
	DeclTag      bool // DECL_TAG (5.16)
	TypeTag      bool // TYPE_TAG (5.17)
	Enum64       bool // ENUM64, and ENUM's kind_flag (signed values) (6.0)
}

// AllFeatures is a kernel that accepts every kind this package parses.
func AllFeatures() Features {
	return Features{
		Func: true, GlobalFunc: true, Datasec: true, QmarkDatasec: true,
		Float: true, DeclTag: true, TypeTag: true, Enum64: true,
	}
}

// Complete reports whether f lacks nothing, so that no BTF needs
// sanitizing for it.
func (f Features) Complete() bool { return f == AllFeatures() }

// Enum64Placeholder names the INT that Sanitize appends as the member type
// of the UNIONs that replace ENUM64s.
const Enum64Placeholder = "enum64_placeholder"

// needs reports whether Sanitize rewrites t for f.
func (f Features) needs(t *Type) bool {
	switch t.Kind {
	case KindVar:
		return !f.Datasec
	case KindDatasec:
		return !f.Datasec || (!f.QmarkDatasec && strings.HasPrefix(t.Name, "?"))
	case KindFunc:
		return !f.Func || (!f.GlobalFunc && (t.Vlen != LinkageStatic || t.KindFlag))
	case KindFuncProto:
		return !f.Func
	case KindFloat:
		return !f.Float
	case KindDeclTag:
		return !f.DeclTag
	case KindTypeTag:
		return !f.TypeTag
	case KindEnum:
		return !f.Enum64 && t.KindFlag
	case KindEnum64:
		return !f.Enum64
	}
	return false
}

// NeedsSanitize reports whether Sanitize would change s for f.
func (s *Spec) NeedsSanitize(f Features) bool {
	if f.Complete() {
		return false
	}
	for i := range s.types {
		if f.needs(&s.types[i]) {
			return true
		}
	}
	return false
}

// Sanitize returns BTF that a kernel with only the features f accepts,
// rewritten the way libbpf rewrites an object's BTF before loading it:
//
//   - without Func, FUNC becomes a TYPEDEF of the same type and FUNC_PROTO
//     an ENUM of size 4 whose enumerators are the parameters, named as
//     they are and valued with their type ids. Unlike libbpf, an unnamed
//     parameter's enumerator is named "anon_param<i>" (i: its index),
//     appended to the string table: kernels check that every enumerator
//     has a valid name (4.20, and 4.19 stable from 4.19.89), so libbpf's
//     nameless enumerators fail there and on every newer kernel;
//   - without GlobalFunc (but with Func), every FUNC becomes static;
//   - without Datasec, VAR becomes a 1-byte INT of the same name and
//     DATASEC a STRUCT of the same size whose members are its variables
//     (named after them, at their offsets), the section's name having
//     every '.' and '?' replaced by '_';
//   - without QmarkDatasec (but with Datasec), a DATASEC name's leading
//     '?' becomes '_';
//   - without Float, FLOAT becomes an anonymous STRUCT of the same size
//     with no members;
//   - without DeclTag, DECL_TAG becomes a 1-byte INT of the tag's name;
//   - without TypeTag, TYPE_TAG becomes an anonymous CONST;
//   - without Enum64, ENUM loses its kind_flag and ENUM64 becomes a UNION
//     of the same size whose members, named after the enumerators, are all
//     at offset 0 and of type Enum64Placeholder, a 1-byte INT appended as
//     the last type.
//
// Every rewrite keeps the size of the type's record, so every type id and
// string offset stays what it was: func_info, line_info and CO-RE records
// remain valid. Names are rewritten in place in the string table, and new
// names are appended to it (an existing identical string is reused).
// Every rewritten type has kind_flag 0.
//
// When nothing needs rewriting Sanitize returns s itself; otherwise s is
// left untouched and the result shares no mutable state with it. Split
// BTF is not supported.
func (s *Spec) Sanitize(f Features) (*Spec, error) {
	if s.base != nil {
		return nil, errors.New("btf: Sanitize: split BTF is not supported")
	}
	if !s.NeedsSanitize(f) {
		return s, nil
	}
	types := slices.Clone(s.types)
	strs := &strTable{orig: s.strings}
	var placeholder TypeID
	for i := 1; i < len(types); i++ {
		t := &types[i]
		if !f.needs(t) {
			continue
		}
		switch {
		case t.Kind == KindVar || t.Kind == KindDeclTag:
			*t = Type{Kind: KindInt, Name: t.Name, NameOff: t.NameOff, Size: 1, IntBits: 8}
		case t.Kind == KindDatasec && !f.Datasec:
			strs.rename(t.NameOff, func(_ int, c byte) byte {
				if c == '.' || c == '?' {
					return '_'
				}
				return c
			})
			members := make([]Member, len(t.Vars))
			for j, v := range t.Vars {
				// The variable's current record: rewrites of lower ids
				// count, as in libbpf's single pass.
				vt := &types[v.Type]
				members[j] = Member{Name: vt.Name, NameOff: vt.NameOff, Type: v.Type, Offset: v.Offset * 8}
			}
			*t = Type{Kind: KindStruct, Name: t.Name, NameOff: t.NameOff, Vlen: t.Vlen, Size: t.Size, Members: members}
		case t.Kind == KindDatasec:
			strs.rename(t.NameOff, func(i int, c byte) byte {
				if i == 0 {
					return '_'
				}
				return c
			})
		case t.Kind == KindFuncProto:
			enums := make([]EnumValue, len(t.Params))
			for j, p := range t.Params {
				enums[j] = EnumValue{Name: p.Name, NameOff: p.NameOff, Value: int64(p.Type)}
				if p.NameOff == 0 {
					enums[j].Name = fmt.Sprintf("anon_param%d", j)
					enums[j].NameOff = strs.add(enums[j].Name)
				}
			}
			*t = Type{Kind: KindEnum, Name: t.Name, NameOff: t.NameOff, Vlen: t.Vlen, Size: 4, Enums: enums}
		case t.Kind == KindFunc && !f.Func:
			*t = Type{Kind: KindTypedef, Name: t.Name, NameOff: t.NameOff, Type: t.Type}
		case t.Kind == KindFunc:
			*t = Type{Kind: KindFunc, Name: t.Name, NameOff: t.NameOff, Type: t.Type}
		case t.Kind == KindFloat:
			*t = Type{Kind: KindStruct, Size: t.Size, Members: []Member{}}
		case t.Kind == KindTypeTag:
			*t = Type{Kind: KindConst, Type: t.Type}
		case t.Kind == KindEnum:
			// Without the flag the values read as unsigned 32-bit.
			enums := slices.Clone(t.Enums)
			for j := range enums {
				enums[j].Value = int64(uint32(enums[j].Value))
			}
			t.KindFlag, t.Enums = false, enums
		case t.Kind == KindEnum64:
			if placeholder == 0 {
				placeholder = TypeID(len(types))
			}
			members := make([]Member, len(t.Enums))
			for j, e := range t.Enums {
				members[j] = Member{Name: e.Name, NameOff: e.NameOff, Type: placeholder}
			}
			*t = Type{Kind: KindUnion, Name: t.Name, NameOff: t.NameOff, Vlen: t.Vlen, Size: t.Size, Members: members}
		}
	}
	for i := range types {
		if got, want := recordSize(&types[i]), recordSize(&s.types[i]); got != want {
			// Cannot happen: every rewrite above keeps the record size.
			return nil, fmt.Errorf("btf: Sanitize: type %d: %s record of %d bytes replaced by %s of %d", i, s.types[i].Kind, want, types[i].Kind, got)
		}
	}

	if placeholder != 0 {
		types = append(types, Type{Kind: KindInt, Name: Enum64Placeholder, NameOff: strs.add(Enum64Placeholder), Size: 1, IntBits: 8})
	}
	ns := &Spec{bo: s.bo, hdrLen: s.hdrLen, types: types, strings: strs.String()}
	if strs.renamed {
		if err := ns.refreshNames(s); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// SanitizeRaw is Sanitize on raw BTF: it returns raw itself when nothing
// needs rewriting, else the marshalled sanitized BTF.
func SanitizeRaw(raw []byte, f Features) ([]byte, error) {
	if f.Complete() {
		return raw, nil
	}
	s, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	ns, err := s.Sanitize(f)
	if err != nil {
		return nil, err
	}
	if ns == s {
		return raw, nil
	}
	return ns.Marshal()
}

// recordSize is the number of bytes t takes in the type section.
func recordSize(t *Type) int {
	n, _ := trailing(t.Kind, uint16(recordCount(t)))
	return typeHdrSize + n
}

// strTable is a string table being sanitized: orig until the first
// change, then a copy with renames and appended strings.
type strTable struct {
	orig    string
	buf     []byte // nil until the first change
	renamed bool
	added   map[string]uint32
}

func (st *strTable) String() string {
	if st.buf == nil {
		return st.orig
	}
	return string(st.buf)
}

// rename replaces each byte of the NUL-terminated string at off (an offset
// Parse checked) by replace(index in the string, byte).
func (st *strTable) rename(off uint32, replace func(i int, c byte) byte) {
	if st.buf == nil {
		st.buf = []byte(st.orig)
	}
	st.renamed = true
	for i := int(off); st.buf[i] != 0; i++ {
		st.buf[i] = replace(i-int(off), st.buf[i])
	}
}

// add returns the offset of str, appending it unless the original table
// already holds it as a whole string.
func (st *strTable) add(str string) uint32 {
	if off, ok := st.added[str]; ok {
		return off
	}
	if st.added == nil {
		st.added = make(map[string]uint32)
	}
	var off uint32
	if i := strings.Index(st.orig, "\x00"+str+"\x00"); i >= 0 {
		off = uint32(i + 1)
	} else {
		if st.buf == nil {
			st.buf = []byte(st.orig)
		}
		off = uint32(len(st.buf))
		st.buf = append(append(st.buf, str...), 0)
	}
	st.added[str] = off
	return off
}

// refreshNames re-reads every name of s from its string table after
// renames. Record slices still shared with orig are copied before any of
// their names change.
func (s *Spec) refreshNames(orig *Spec) error {
	name := func(off uint32) (string, error) {
		n, err := s.nameAt(off)
		if err != nil {
			return "", fmt.Errorf("btf: Sanitize: %w", err)
		}
		return n, nil
	}
	var err error
	for i := range s.types {
		t := &s.types[i]
		if t.Name, err = name(t.NameOff); err != nil {
			return err
		}
		shared := i < len(orig.types)
		for j := range t.Members {
			n, err := name(t.Members[j].NameOff)
			if err != nil {
				return err
			}
			if n != t.Members[j].Name {
				if shared && len(orig.types[i].Members) > 0 && &orig.types[i].Members[0] == &t.Members[0] {
					t.Members = slices.Clone(t.Members)
				}
				t.Members[j].Name = n
			}
		}
		for j := range t.Enums {
			n, err := name(t.Enums[j].NameOff)
			if err != nil {
				return err
			}
			if n != t.Enums[j].Name {
				if shared && len(orig.types[i].Enums) > 0 && &orig.types[i].Enums[0] == &t.Enums[0] {
					t.Enums = slices.Clone(t.Enums)
				}
				t.Enums[j].Name = n
			}
		}
		for j := range t.Params {
			n, err := name(t.Params[j].NameOff)
			if err != nil {
				return err
			}
			if n != t.Params[j].Name {
				if shared && len(orig.types[i].Params) > 0 && &orig.types[i].Params[0] == &t.Params[0] {
					t.Params = slices.Clone(t.Params)
				}
				t.Params[j].Name = n
			}
		}
	}
	return nil
}
