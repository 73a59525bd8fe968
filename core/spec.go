package core

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
)

// MaxAccessLen is the most indexes an access string may hold, and the
// deepest a target field may be nested (libbpf's BPF_CORE_SPEC_MAX_LEN).
const MaxAccessLen = 64

// errTooDeep is libbpf's E2BIG: a spec longer than MaxAccessLen.
var errTooDeep = fmt.Errorf("access deeper than %d levels", MaxAccessLen)

// ParseAccess parses a CO-RE access string such as "0:1:2" into its
// indexes. It takes what libbpf's sscanf("%d") loop takes: colon-separated
// decimal numbers, each optionally preceded by white space and a sign; the
// string must not be empty or start with a colon, and every number must be
// non-negative. Unlike libbpf, a number beyond 2^31-1 is an error rather
// than silently truncated.
func ParseAccess(s string) ([]int, error) {
	if s == "" {
		return nil, errors.New("empty access string")
	}
	if s[0] == ':' {
		return nil, fmt.Errorf("access string %q starts with ':'", s)
	}
	var out []int
	for i := 0; i < len(s); {
		if s[i] == ':' {
			i++
		}
		j := i
		for j < len(s) && isCSpace(s[j]) {
			j++
		}
		neg := false
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			neg = s[j] == '-'
			j++
		}
		start := j
		var v uint64
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if v <= math.MaxInt32 {
				v = v*10 + uint64(s[j]-'0')
			}
			j++
		}
		if j == start {
			return nil, fmt.Errorf("access string %q: no number at offset %d", s, i)
		}
		switch {
		case neg && v != 0:
			return nil, fmt.Errorf("access string %q: negative index at offset %d", s, i)
		case v > math.MaxInt32:
			return nil, fmt.Errorf("access string %q: index at offset %d out of range", s, i)
		case len(out) == MaxAccessLen:
			return nil, fmt.Errorf("access string %q: %w", s, errTooDeep)
		}
		out = append(out, int(v))
		i = j
	}
	return out, nil
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// accessor is one semantically meaningful step of a spec: the root (an
// implicit array index into the root type), a named field, an array
// element or an enumerator.
type accessor struct {
	// typeID is, for a field, the STRUCT or UNION holding it; for an array
	// step or the root, the element type; for an enumerator, the enum. It
	// is always past typedefs and qualifiers.
	typeID btf.TypeID
	idx    int
	// named is set for fields and enumerators (libbpf's non-NULL name).
	named bool
	name  string
}

// spec is a relocation's access path resolved in one BTF: libbpf's struct
// bpf_core_spec.
type spec struct {
	btf  *btf.Spec
	root btf.TypeID // as in the record or the candidate, not resolved
	kind btf.COREKind
	// acc are the high-level steps, raw every index including those
	// through anonymous members.
	acc []accessor
	raw []int
	// bitOff is the field's offset from the root in bits; like libbpf it
	// wraps at 32 bits.
	bitOff uint32
}

func isFieldKind(k btf.COREKind) bool {
	return k <= btf.COREFieldRShiftU64
}

func isTypeKind(k btf.COREKind) bool {
	switch k {
	case btf.CORETypeIDLocal, btf.CORETypeIDTarget, btf.CORETypeExists, btf.CORETypeMatches, btf.CORETypeSize:
		return true
	}
	return false
}

func isEnumvalKind(k btf.COREKind) bool {
	return k == btf.COREEnumvalExists || k == btf.COREEnumvalValue
}

func isComposite(t *btf.Type) bool { return t.Kind == btf.KindStruct || t.Kind == btf.KindUnion }

func isAnyEnum(t *btf.Type) bool { return t.Kind == btf.KindEnum || t.Kind == btf.KindEnum64 }

// skipMods resolves typedefs and qualifiers; a broken chain is an error.
func skipMods(s *btf.Spec, id btf.TypeID) (btf.TypeID, *btf.Type, error) {
	return s.Resolve(id)
}

// memberBitOffset and memberBitfieldSize read a member the way libbpf's
// btf_member_bit_offset and btf_member_bitfield_size do: a bitfield width
// exists only with the parent's kind flag.
func memberBitfieldSize(t *btf.Type, i int) uint32 {
	if !t.KindFlag {
		return 0
	}
	return uint32(t.Members[i].BitfieldSize)
}

// isFlexArray reports whether an array reached through the field parent
// is a flexible array member: zero elements and the last member.
func isFlexArray(s *btf.Spec, parent accessor, a *btf.Type) bool {
	if !parent.named || a.Array.Nelems > 0 {
		return false
	}
	t, err := s.Type(parent.typeID)
	if err != nil {
		return false
	}
	return parent.idx == len(t.Members)-1
}

// parseSpec turns a record into its spec in the local BTF, checking it
// and computing the field's bit offset (libbpf's bpf_core_parse_spec).
func parseSpec(b *btf.Spec, relo btf.CORERelo, access string) (*spec, error) {
	if access == "" || access[0] == ':' {
		return nil, fmt.Errorf("malformed access string %q", access)
	}
	sp := &spec{btf: b, root: relo.TypeID, kind: relo.Kind}
	if isTypeKind(relo.Kind) {
		if access != "0" {
			return nil, fmt.Errorf("type relocation with access string %q, want \"0\"", access)
		}
		return sp, nil
	}
	raw, err := ParseAccess(access)
	if err != nil {
		return nil, err
	}
	sp.raw = raw
	id, t, err := skipMods(b, relo.TypeID)
	if err != nil {
		return nil, err
	}
	idx := raw[0]
	sp.acc = append(sp.acc, accessor{typeID: id, idx: idx})

	if isEnumvalKind(relo.Kind) {
		if !isAnyEnum(t) {
			return nil, fmt.Errorf("enum value relocation of %s, not an enum", t.Kind)
		}
		if len(raw) > 1 || idx >= len(t.Enums) {
			return nil, fmt.Errorf("enum value relocation: access %q does not name one of %d enumerators", access, len(t.Enums))
		}
		sp.acc[0].named = true
		sp.acc[0].name = t.Enums[idx].Name
		return sp, nil
	}
	if !isFieldKind(relo.Kind) {
		return nil, fmt.Errorf("unknown relocation kind %d", uint32(relo.Kind))
	}

	sz, err := b.Size(id)
	if err != nil {
		return nil, err
	}
	sp.bitOff = uint32(idx) * sz * 8
	for i := 1; i < len(raw); i++ {
		id, t, err = skipMods(b, id)
		if err != nil {
			return nil, err
		}
		idx = raw[i]
		switch {
		case isComposite(t):
			if idx >= len(t.Members) {
				return nil, fmt.Errorf("access index %d (at %d) beyond the %d members of %s %q", idx, i, len(t.Members), t.Kind, t.Name)
			}
			m := t.Members[idx]
			sp.bitOff += m.Offset
			if m.NameOff != 0 {
				if m.Name == "" {
					return nil, fmt.Errorf("member %d of %s %q has an empty name", idx, t.Kind, t.Name)
				}
				sp.acc = append(sp.acc, accessor{typeID: id, idx: idx, named: true, name: m.Name})
			}
			id = m.Type
		case t.Kind == btf.KindArray:
			elem, _, err := skipMods(b, t.Array.Type)
			if err != nil {
				return nil, err
			}
			if !isFlexArray(b, sp.acc[len(sp.acc)-1], t) && uint64(idx) >= uint64(t.Array.Nelems) {
				return nil, fmt.Errorf("array index %d (at %d) out of bounds [0, %d)", idx, i, t.Array.Nelems)
			}
			id = elem
			sp.acc = append(sp.acc, accessor{typeID: id, idx: idx})
			esz, err := b.Size(id)
			if err != nil {
				return nil, err
			}
			sp.bitOff += uint32(idx) * esz * 8
		default:
			return nil, fmt.Errorf("access index %d (at %d) applied to type [%d] of kind %s", idx, i, id, t.Kind)
		}
	}
	return sp, nil
}

// String formats a spec for messages: the kind, the root type, the access
// in C syntax, the raw indexes and the offset.
func (sp *spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<%s> %s", sp.kind, typeString(sp.btf, sp.root))
	switch {
	case isTypeKind(sp.kind):
	case isEnumvalKind(sp.kind):
		if len(sp.acc) > 0 {
			fmt.Fprintf(&b, "::%s", sp.acc[0].name)
		}
	default:
		b.WriteByte(' ')
		for i, a := range sp.acc {
			switch {
			case a.named:
				b.WriteString("." + a.name)
			case i > 0 || a.idx > 0:
				fmt.Fprintf(&b, "[%d]", a.idx)
			}
		}
		b.WriteString(" (")
		for i, r := range sp.raw {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(strconv.Itoa(r))
		}
		if sp.bitOff%8 != 0 {
			fmt.Fprintf(&b, " @ offset %d.%d)", sp.bitOff/8, sp.bitOff%8)
		} else {
			fmt.Fprintf(&b, " @ offset %d)", sp.bitOff/8)
		}
	}
	return b.String()
}

// typeString names a type for messages: "[12] STRUCT task_struct".
func typeString(s *btf.Spec, id btf.TypeID) string {
	t, err := s.Type(id)
	if err != nil {
		return fmt.Sprintf("[%d] <invalid>", id)
	}
	name := t.Name
	if name == "" {
		name = "<anon>"
	}
	return fmt.Sprintf("[%d] %s %s", id, t.Kind, name)
}
