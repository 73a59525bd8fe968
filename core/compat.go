package core

import (
	"errors"

	"github.com/bpfgen/bpfgen/btf"
)

// maxCompatLevel bounds the nesting of function prototypes (and, for
// type matches, of members) the compatibility checks follow, as libbpf
// does; maxChainSteps bounds each chain of pointers, arrays and return
// types.
const (
	maxCompatLevel = 32
	maxChainSteps  = 32
)

var errTooNested = errors.New("types nested too deeply to compare")

// budget bounds the work of matching one candidate. Real BTF needs a tiny
// fraction of it; crafted BTF (a struct holding itself through anonymous
// members, types shared at every level) could otherwise take exponential
// time, where libbpf would spin as long.
type budget struct{ left int }

const matchBudget = 1 << 20

var errTooComplex = errors.New("types too complex to compare")

func newBudget() *budget { return &budget{left: matchBudget} }

func (b *budget) spend() error {
	b.left--
	if b.left < 0 {
		return errTooComplex
	}
	return nil
}

// EssentialName is name without its "___flavour" suffix: everything from
// the last "___" that has a non-underscore on either side. "sample",
// "sample___v2" and "sample___old___x" all have essential name "sample"
// (the last one "sample___old").
func EssentialName(name string) string {
	for i := len(name) - 5; i >= 0; i-- {
		if name[i] != '_' && name[i+1] == '_' && name[i+2] == '_' && name[i+3] == '_' && name[i+4] != '_' {
			return name[:i+1]
		}
	}
	return name
}

// kindsCompatible is libbpf's btf_kind_core_compat: the same kind, or
// both enums of either width.
func kindsCompatible(a, b *btf.Type) bool {
	return a.Kind == b.Kind || isAnyEnum(a) && isAnyEnum(b)
}

// fieldsCompatible reports whether a local field's type and a target
// field's type are close enough for a field relocation (libbpf's
// bpf_core_fields_are_compat): any two structs or unions, pointers,
// floats; enums and forward declarations of the same essential name (or
// anonymous); integers that are not old-style bitfields; arrays of
// compatible elements, whatever their length.
func fieldsCompatible(lb *btf.Spec, lid btf.TypeID, tb *btf.Spec, tid btf.TypeID) (bool, error) {
	for steps := 0; ; steps++ {
		if steps > lb.NumTypes()+tb.NumTypes() {
			return false, errTooNested
		}
		var lt, tt *btf.Type
		var err error
		if _, lt, err = skipMods(lb, lid); err != nil {
			return false, err
		}
		if _, tt, err = skipMods(tb, tid); err != nil {
			return false, err
		}
		if isComposite(lt) && isComposite(tt) {
			return true, nil
		}
		if !kindsCompatible(lt, tt) {
			return false, nil
		}
		switch lt.Kind {
		case btf.KindPtr, btf.KindFloat:
			return true, nil
		case btf.KindFwd, btf.KindEnum, btf.KindEnum64:
			ln, tn := EssentialName(lt.Name), EssentialName(tt.Name)
			return ln == "" || tn == "" || ln == tn, nil
		case btf.KindInt:
			return lt.IntOffset == 0 && tt.IntOffset == 0, nil
		case btf.KindArray:
			lid, tid = lt.Array.Type, tt.Array.Type
		default:
			return false, nil
		}
	}
}

// typesCompatible is the check of type-based relocations other than
// TYPE_MATCHES (libbpf's bpf_core_types_are_compat). The root names
// already match; below the root names are ignored: the same kind (enums of
// either width together), integers that are not old-style bitfields,
// pointers and arrays to compatible types, prototypes with as many
// parameters, each compatible, and a compatible return type.
func typesCompatible(b *budget, lb *btf.Spec, lid btf.TypeID, tb *btf.Spec, tid btf.TypeID, level int) (bool, error) {
	lt, err := lb.Type(lid)
	if err != nil {
		return false, err
	}
	tt, err := tb.Type(tid)
	if err != nil {
		return false, err
	}
	if !kindsCompatible(lt, tt) {
		return false, nil
	}
	for depth := 0; ; depth++ {
		if depth >= maxChainSteps {
			return false, errTooNested
		}
		if err := b.spend(); err != nil {
			return false, err
		}
		if _, lt, err = skipMods(lb, lid); err != nil {
			return false, err
		}
		if _, tt, err = skipMods(tb, tid); err != nil {
			return false, err
		}
		if !kindsCompatible(lt, tt) {
			return false, nil
		}
		switch lt.Kind {
		case btf.KindUnknown, btf.KindStruct, btf.KindUnion, btf.KindEnum, btf.KindFwd, btf.KindEnum64:
			return true, nil
		case btf.KindInt:
			return lt.IntOffset == 0 && tt.IntOffset == 0, nil
		case btf.KindPtr:
			lid, tid = lt.Type, tt.Type
		case btf.KindArray:
			lid, tid = lt.Array.Type, tt.Array.Type
		case btf.KindFuncProto:
			if len(lt.Params) != len(tt.Params) {
				return false, nil
			}
			for i := range lt.Params {
				if level <= 0 {
					return false, errTooNested
				}
				lp, _, err := skipMods(lb, lt.Params[i].Type)
				if err != nil {
					return false, err
				}
				tp, _, err := skipMods(tb, tt.Params[i].Type)
				if err != nil {
					return false, err
				}
				ok, err := typesCompatible(b, lb, lp, tb, tp, level-1)
				if err != nil || !ok {
					return ok, err
				}
			}
			if lid, _, err = skipMods(lb, lt.Type); err != nil {
				return false, err
			}
			if tid, _, err = skipMods(tb, tt.Type); err != nil {
				return false, err
			}
		default:
			// Kinds a relocation never targets (FLOAT included, as in
			// libbpf).
			return false, nil
		}
	}
}

// namesMatch compares two names by their essential part; an anonymous
// target matches only an anonymous local.
func namesMatch(local, target string) bool {
	if target == "" {
		return local == ""
	}
	return EssentialName(local) == EssentialName(target)
}

// typesMatch is TYPE_MATCHES (libbpf's bpf_core_types_match), stricter
// than typesCompatible: after typedefs and qualifiers the names must match
// at every level and the kinds agree (enums of either width together; a
// struct or union behind a pointer may also meet a forward declaration of
// the same kind); integers agree in size and signedness; arrays in length;
// enums in size, every local enumerator name being in the target; structs
// and unions have every local member, by name, with a matching type (only
// names and kinds once behind a pointer); prototypes have matching
// parameters and return type.
func typesMatch(b *budget, lb *btf.Spec, lid btf.TypeID, tb *btf.Spec, tid btf.TypeID, behindPtr bool, level int) (bool, error) {
	if level <= 0 {
		return false, errTooNested
	}
	for depth := 0; ; depth++ {
		if depth >= maxChainSteps {
			return false, errTooNested
		}
		if err := b.spend(); err != nil {
			return false, err
		}
		var lt, tt *btf.Type
		var err error
		if _, lt, err = skipMods(lb, lid); err != nil {
			return false, err
		}
		if _, tt, err = skipMods(tb, tid); err != nil {
			return false, err
		}
		if !namesMatch(lt.Name, tt.Name) {
			return false, nil
		}
		switch lt.Kind {
		case btf.KindUnknown:
			return tt.Kind == btf.KindUnknown, nil
		case btf.KindFwd:
			if behindPtr && tt.Kind != btf.KindFwd {
				// A forward declaration's kind flag says union.
				return tt.Kind == btf.KindStruct && !lt.KindFlag || tt.Kind == btf.KindUnion && lt.KindFlag, nil
			}
			return tt.Kind == btf.KindFwd && lt.KindFlag == tt.KindFlag, nil
		case btf.KindEnum, btf.KindEnum64:
			if !isAnyEnum(tt) {
				return false, nil
			}
			return enumsMatch(lt, tt), nil
		case btf.KindStruct, btf.KindUnion:
			if behindPtr {
				if lt.Kind == tt.Kind {
					return true, nil
				}
				if tt.Kind != btf.KindFwd {
					return false, nil
				}
				return (lt.Kind == btf.KindUnion) == tt.KindFlag, nil
			}
			if lt.Kind != tt.Kind {
				return false, nil
			}
			return compositesMatch(b, lb, lt, tb, tt, behindPtr, level)
		case btf.KindInt:
			if tt.Kind != btf.KindInt {
				return false, nil
			}
			return lt.Size == tt.Size && lt.IntEncoding&btf.IntSigned == tt.IntEncoding&btf.IntSigned, nil
		case btf.KindPtr:
			if tt.Kind != btf.KindPtr {
				return false, nil
			}
			behindPtr = true
			lid, tid = lt.Type, tt.Type
		case btf.KindArray:
			if tt.Kind != btf.KindArray || lt.Array.Nelems != tt.Array.Nelems {
				return false, nil
			}
			lid, tid = lt.Array.Type, tt.Array.Type
		case btf.KindFuncProto:
			if tt.Kind != btf.KindFuncProto || len(lt.Params) != len(tt.Params) {
				return false, nil
			}
			for i := range lt.Params {
				ok, err := typesMatch(b, lb, lt.Params[i].Type, tb, tt.Params[i].Type, behindPtr, level-1)
				if err != nil || !ok {
					return ok, err
				}
			}
			lid, tid = lt.Type, tt.Type
		default:
			return false, nil
		}
	}
}

func enumsMatch(lt, tt *btf.Type) bool {
	if lt.Size != tt.Size || len(lt.Enums) > len(tt.Enums) {
		return false
	}
	for _, le := range lt.Enums {
		found := false
		for _, te := range tt.Enums {
			if namesMatch(le.Name, te.Name) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func compositesMatch(b *budget, lb *btf.Spec, lt *btf.Type, tb *btf.Spec, tt *btf.Type, behindPtr bool, level int) (bool, error) {
	if len(lt.Members) > len(tt.Members) {
		return false, nil
	}
	for _, lm := range lt.Members {
		found := false
		for _, tm := range tt.Members {
			if !namesMatch(lm.Name, tm.Name) {
				continue
			}
			if err := b.spend(); err != nil {
				return false, err
			}
			ok, err := typesMatch(b, lb, lm.Type, tb, tm.Type, behindPtr, level-1)
			if err != nil {
				return false, err
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}
