package core

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
)

// Result is the outcome of one relocation record, before patching.
type Result struct {
	// Orig is the value the compiler put in the instruction (from the
	// local BTF), New the value for the target.
	Orig, New uint64
	// Poison: no candidate has what the record needs; the instruction is
	// replaced by a call of the poison helper.
	Poison bool
	// Validate: the instruction must hold Orig before it is patched.
	Validate bool
	// OrigSize and NewSize are the sizes in bytes of the field a
	// FIELD_BYTE_OFFSET record's load or store accesses, locally and on
	// the target (0 when they do not apply).
	OrigSize, NewSize uint32
	// BadSizeChange: the sizes differ and the field is not an unsigned
	// integer or a pointer on both sides, so a load or store of it is
	// poisoned rather than resized.
	BadSizeChange bool
	// Target describes the target field or type the value comes from,
	// for messages ("" when poisoned or absent).
	Target string
}

// Error is a relocation that could not be applied. It names the program,
// the instruction, the record's kind, local type and access string.
type Error struct {
	Program string
	Insn    int // instruction index in the program, -1 if out of range
	Record  int // index of the record among the program's
	Kind    btf.COREKind
	TypeID  btf.TypeID
	Type    string // e.g. "STRUCT task_struct"
	Access  string
	Err     error
}

func (e *Error) Error() string {
	prog := ""
	if e.Program != "" {
		prog = "program " + e.Program + ": "
	}
	return fmt.Sprintf("%sCO-RE relocation #%d at instruction %d: %s of [%d] %s, access %q: %v",
		prog, e.Record, e.Insn, e.Kind, e.TypeID, e.Type, e.Access, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrAmbiguous is wrapped when candidates disagree on a relocation.
var ErrAmbiguous = errors.New("ambiguous relocation")

// errPoison asks for the instruction to be poisoned (libbpf's EUCLEAN).
var errPoison = errors.New("poison")

// errUnsupported is an unknown relocation kind (libbpf's EOPNOTSUPP).
var errUnsupported = errors.New("unsupported relocation kind")

// Relocator resolves the CO-RE records of one object against a target. It
// remembers, per local type, the candidates that matched so far, so the
// records of one object should go through one Relocator, in order (libbpf
// goes through them section by section; the direct load program by
// program). A Relocator is not safe for concurrent use.
type Relocator struct {
	local  *btf.Spec
	target *Target

	modsLoaded bool
	mods       []Module
	modsErr    error
	modNames   []nameCache

	cands map[btf.TypeID][]candidate
}

// NewRelocator returns a Relocator for an object whose BTF is local.
func NewRelocator(local *btf.Spec, target *Target) *Relocator {
	return &Relocator{local: local, target: target, cands: make(map[btf.TypeID][]candidate)}
}

// Relocate applies relos to insns in place. InsnOff of each record is in
// bytes from the start of insns (as in BPF_PROG_LOAD's core_relos). prog
// names the program in errors.
func (r *Relocator) Relocate(prog string, insns []asm.Insn, relos []btf.CORERelo) error {
	for i, relo := range relos {
		idx := -1
		if relo.InsnOff%asm.InsnSize == 0 && uint64(relo.InsnOff/asm.InsnSize) < uint64(len(insns)) {
			idx = int(relo.InsnOff / asm.InsnSize)
		}
		fail := func(err error) error {
			e := &Error{Program: prog, Insn: idx, Record: i, Kind: relo.Kind, TypeID: relo.TypeID, Err: err}
			if t, terr := r.local.Type(relo.TypeID); terr == nil {
				e.Type = t.Kind.String() + " " + t.Name
				if t.Name == "" {
					e.Type += "<anon>"
				}
			}
			e.Access, _ = r.local.StringAt(relo.AccessStrOff)
			return e
		}
		if idx < 0 {
			return fail(fmt.Errorf("instruction offset %d is not an instruction of the %d-instruction program", relo.InsnOff, len(insns)))
		}
		res, err := r.Resolve(relo)
		if err != nil {
			return fail(err)
		}
		if err := Patch(insns, idx, res); err != nil {
			return fail(err)
		}
	}
	return nil
}

// Resolve computes the result of one record (libbpf's
// bpf_core_calc_relo_insn with its candidate search).
func (r *Relocator) Resolve(relo btf.CORERelo) (Result, error) {
	localType, err := r.local.Type(relo.TypeID)
	if err != nil {
		return Result{}, err
	}
	access, err := r.local.StringAt(relo.AccessStrOff)
	if err != nil {
		return Result{}, err
	}
	return r.resolve(relo, localType, access)
}

// resolve is Resolve with the access string given.
func (r *Relocator) resolve(relo btf.CORERelo, localType *btf.Type, access string) (Result, error) {
	local, err := parseSpec(r.local, relo, access)
	if err != nil {
		return Result{}, fmt.Errorf("parsing the access: %w", err)
	}
	if relo.Kind == btf.CORETypeIDLocal {
		// The id may have changed when objects were linked: no check.
		return Result{Orig: uint64(relo.TypeID), New: uint64(relo.TypeID)}, nil
	}
	if localType.Name == "" {
		return Result{}, fmt.Errorf("%s relocation of an anonymous type: no candidates can be looked up", relo.Kind)
	}
	cands, err := r.candidates(relo.TypeID, localType)
	if err != nil {
		return Result{}, fmt.Errorf("looking up candidates: %w", err)
	}

	var res Result
	var best *spec
	kept := cands[:0:0]
	for i, c := range cands {
		cs, ok, err := matchSpec(local, c.btf, c.id)
		if err != nil {
			return Result{}, fmt.Errorf("matching candidate #%d %s: %w", i, candString(c), err)
		}
		if !ok {
			continue
		}
		cr, err := calcRelo(relo.Kind, local, cs)
		if err != nil {
			return Result{}, err
		}
		if best == nil {
			res, best = cr, cs
			res.Target = candString(c) + ": " + cs.String()
		} else if cs.bitOff != best.bitOff {
			return Result{}, fmt.Errorf("%w: field offset %d bits in candidate %s, %d bits in %s",
				ErrAmbiguous, cs.bitOff, candString(c), best.bitOff, res.Target)
		} else if cr.Poison != res.Poison || cr.New != res.New {
			return Result{}, fmt.Errorf("%w: candidate %s gives %s, %s gives %s",
				ErrAmbiguous, candString(c), outcome(cr), res.Target, outcome(res))
		}
		kept = append(kept, c)
	}
	if len(kept) > 0 {
		r.cands[relo.TypeID] = kept
		return res, nil
	}
	// No candidate has it: existence checks give 0, the rest poison.
	return calcRelo(relo.Kind, local, nil)
}

func outcome(r Result) string {
	if r.Poison {
		return "failure"
	}
	return fmt.Sprintf("%d", r.New)
}

func candString(c candidate) string {
	s := typeString(c.btf, c.id)
	if c.module != "" {
		s += " in module " + c.module
	}
	return s
}

// candidates returns the target types a local type may be, from vmlinux,
// or from the modules when vmlinux has none; a list pruned by earlier
// records of the same type is returned as it was left.
func (r *Relocator) candidates(id btf.TypeID, local *btf.Type) ([]candidate, error) {
	if c, ok := r.cands[id]; ok {
		return c, nil
	}
	name := EssentialName(local.Name)
	vm := r.target.vmlinux
	cands := addCandidates(nil, vm, r.target.names.lookup(vm, 1, name), "", local)
	if len(cands) == 0 && r.target.modules != nil {
		if !r.modsLoaded {
			r.modsLoaded = true
			r.mods, r.modsErr = r.target.modules()
		}
		if r.modsErr != nil {
			return nil, r.modsErr
		}
		if r.modNames == nil {
			r.modNames = make([]nameCache, len(r.mods))
		}
		for i, m := range r.mods {
			ids := r.modNames[i].lookup(m.BTF, btf.TypeID(vm.NumTypes()), name)
			cands = addCandidates(cands, m.BTF, ids, m.Name, local)
		}
	}
	r.cands[id] = cands
	return cands, nil
}

// matchSpec matches a local spec against a candidate target type and
// returns the target's spec (libbpf's bpf_core_spec_match).
func matchSpec(local *spec, tb *btf.Spec, targID btf.TypeID) (*spec, bool, error) {
	ts := &spec{btf: tb, root: targID, kind: local.kind}
	b := newBudget()
	switch {
	case local.kind == btf.CORETypeMatches:
		ok, err := typesMatch(b, local.btf, local.root, tb, targID, false, maxCompatLevel)
		return ts, ok, err
	case isTypeKind(local.kind):
		ok, err := typesCompatible(b, local.btf, local.root, tb, targID, maxCompatLevel)
		return ts, ok, err
	case isEnumvalKind(local.kind):
		id, t, err := skipMods(tb, targID)
		if err != nil {
			return nil, false, err
		}
		if !isAnyEnum(t) {
			return ts, false, nil
		}
		want := EssentialName(local.acc[0].name)
		for i, e := range t.Enums {
			if EssentialName(e.Name) == want {
				ts.acc = append(ts.acc, accessor{typeID: id, idx: i, named: true, name: e.Name})
				ts.raw = append(ts.raw, i)
				return ts, true, nil
			}
		}
		return ts, false, nil
	case !isFieldKind(local.kind):
		return nil, false, errUnsupported
	}

	id := targID
	for i, la := range local.acc {
		var err error
		var t *btf.Type
		if id, t, err = skipMods(tb, id); err != nil {
			return nil, false, err
		}
		if la.named {
			ok, next, err := matchMember(b, local.btf, la, tb, id, ts)
			if err != nil || !ok {
				return ts, false, err
			}
			id = next
			continue
		}
		// The root is already the element type of the implicit array;
		// deeper steps must meet an array.
		if i > 0 {
			if t.Kind != btf.KindArray {
				return ts, false, nil
			}
			if !isFlexArray(tb, ts.acc[i-1], t) && uint64(la.idx) >= uint64(t.Array.Nelems) {
				return ts, false, nil
			}
			if id, _, err = skipMods(tb, t.Array.Type); err != nil {
				return nil, false, err
			}
		}
		if len(ts.raw) == MaxAccessLen {
			return nil, false, errTooDeep
		}
		ts.acc = append(ts.acc, accessor{typeID: id, idx: la.idx})
		ts.raw = append(ts.raw, la.idx)
		sz, err := tb.Size(id)
		if err != nil {
			return nil, false, err
		}
		ts.bitOff += uint32(la.idx) * sz * 8
	}
	return ts, true, nil
}

// matchMember looks for the local named field la in the target struct or
// union targID, through anonymous members, extending ts as it goes
// (libbpf's bpf_core_match_member). It returns the type of the field found.
// Like libbpf, a field found by name but of an incompatible type ends the
// search of its own struct or union without taking back what that search
// added to ts (member names are unique in C, so nothing else matches).
func matchMember(b *budget, lb *btf.Spec, la accessor, tb *btf.Spec, targID btf.TypeID, ts *spec) (bool, btf.TypeID, error) {
	targID, tt, err := skipMods(tb, targID)
	if err != nil {
		return false, 0, err
	}
	if !isComposite(tt) {
		return false, 0, nil
	}
	lt, err := lb.Type(la.typeID)
	if err != nil {
		return false, 0, err
	}
	if la.idx >= len(lt.Members) {
		return false, 0, fmt.Errorf("local member %d of %s out of range", la.idx, typeString(lb, la.typeID))
	}
	lm := lt.Members[la.idx]
	for i, m := range tt.Members {
		if len(ts.raw) == MaxAccessLen {
			return false, 0, errTooDeep
		}
		if err := b.spend(); err != nil {
			return false, 0, err
		}
		ts.bitOff += m.Offset
		ts.raw = append(ts.raw, i)
		if m.Name == "" {
			ok, next, err := matchMember(b, lb, la, tb, m.Type, ts)
			if err != nil || ok {
				return ok, next, err
			}
		} else if m.Name == lm.Name {
			ok, err := fieldsCompatible(lb, lm.Type, tb, m.Type)
			if err != nil {
				return false, 0, err
			}
			if ok {
				ts.acc = append(ts.acc, accessor{typeID: targID, idx: i, named: true, name: m.Name})
			}
			return ok, m.Type, nil
		}
		ts.bitOff -= m.Offset
		ts.raw = ts.raw[:len(ts.raw)-1]
	}
	return false, 0, nil
}

// calcRelo computes the local and target values of a record; a nil target
// means no candidate matched (libbpf's bpf_core_calc_relo).
func calcRelo(kind btf.COREKind, local, targ *spec) (Result, error) {
	res := Result{Validate: true}
	var err error
	switch {
	case isFieldKind(kind):
		var lf, tf fieldValue
		lf, err = calcField(kind, local)
		if err == nil {
			res.Orig, res.OrigSize, res.Validate = lf.val, lf.size, lf.validate
			tf, err = calcField(kind, targ)
		}
		if err == nil {
			res.New, res.NewSize = tf.val, tf.size
			if res.OrigSize != res.NewSize && targ != nil {
				res.BadSizeChange = !sizeChangeSafe(local.btf, lf.typeID, targ.btf, tf.typeID)
			}
		}
	case isTypeKind(kind):
		res.Orig, res.Validate, err = calcType(kind, local)
		if err == nil {
			res.New, _, err = calcType(kind, targ)
		}
	case isEnumvalKind(kind):
		res.Orig, err = calcEnumval(kind, local)
		if err == nil {
			res.New, err = calcEnumval(kind, targ)
		}
	default:
		err = errUnsupported
	}
	if errors.Is(err, errPoison) {
		res.Poison = true
		err = nil
	}
	return res, err
}

// sizeChangeSafe: a load or store may change size when the field is a
// pointer on both sides, or an unsigned integer on both sides (the value
// is zero-extended either way).
func sizeChangeSafe(lb *btf.Spec, lid btf.TypeID, tb *btf.Spec, tid btf.TypeID) bool {
	lt, err1 := lb.Type(lid)
	tt, err2 := tb.Type(tid)
	if err1 != nil || err2 != nil {
		return false
	}
	if lt.Kind == btf.KindPtr && tt.Kind == btf.KindPtr {
		return true
	}
	// libbpf compares the whole encoding with "signed": a char or bool
	// encoding counts as unsigned.
	return lt.Kind == btf.KindInt && tt.Kind == btf.KindInt &&
		lt.IntEncoding != btf.IntSigned && tt.IntEncoding != btf.IntSigned
}

// fieldValue is a field relocation's value in one BTF.
type fieldValue struct {
	val      uint64
	size     uint32     // FIELD_BYTE_OFFSET: size of the accessed scalar
	typeID   btf.TypeID // and its type
	validate bool
}

// calcField computes a field relocation's value from a spec (libbpf's
// bpf_core_calc_field_relo); a nil spec is a field no candidate has.
func calcField(kind btf.COREKind, sp *spec) (fieldValue, error) {
	fv := fieldValue{validate: true}
	if kind == btf.COREFieldExists {
		if sp != nil {
			fv.val = 1
		}
		return fv, nil
	}
	if sp == nil {
		return fv, errPoison
	}
	b := sp.btf
	acc := sp.acc[len(sp.acc)-1]

	if !acc.named {
		// An array element (or the root itself).
		switch kind {
		case btf.COREFieldByteOffset:
			fv.val = uint64(sp.bitOff / 8)
			elem, err := innermostElem(b, acc.typeID)
			if err != nil {
				return fv, err
			}
			sz, err := b.Size(elem)
			if err != nil {
				return fv, err
			}
			fv.size, fv.typeID = sz, acc.typeID
		case btf.COREFieldByteSize:
			sz, err := b.Size(acc.typeID)
			if err != nil {
				return fv, err
			}
			fv.val = uint64(sz)
		default:
			return fv, fmt.Errorf("%s relocation cannot be applied to an array element", kind)
		}
		return fv, nil
	}

	t, err := b.Type(acc.typeID)
	if err != nil {
		return fv, err
	}
	if acc.idx >= len(t.Members) {
		return fv, fmt.Errorf("member %d of %s out of range", acc.idx, typeString(b, acc.typeID))
	}
	m := t.Members[acc.idx]
	fieldID, mt, err := skipMods(b, m.Type)
	if err != nil {
		return fv, err
	}
	bitOff := sp.bitOff
	bitSz := memberBitfieldSize(t, acc.idx)
	bitfield := bitSz > 0
	var byteOff, byteSz uint32
	if bitfield {
		byteSz = mt.Size
		if byteSz == 0 {
			return fv, fmt.Errorf("bitfield %q of type %s has no size", m.Name, typeString(b, fieldID))
		}
		byteOff = bitOff / 8 / byteSz * byteSz
		// The smallest load that covers the bitfield.
		for bitOff+bitSz-byteOff*8 > byteSz*8 {
			if byteSz >= 8 {
				return fv, fmt.Errorf("bitfield %q cannot be read with one 64-bit load", m.Name)
			}
			byteSz *= 2
			byteOff = bitOff / 8 / byteSz * byteSz
		}
	} else {
		sz, err := b.Size(fieldID)
		if err != nil {
			return fv, err
		}
		byteSz = sz
		byteOff = bitOff / 8
		bitSz = byteSz * 8
	}
	// The compiler and libbpf may lay out a bitfield access differently:
	// only the signedness and the right shift of a bitfield are checked.
	fv.validate = !bitfield

	switch kind {
	case btf.COREFieldByteOffset:
		fv.val = uint64(byteOff)
		if !bitfield {
			elem, err := innermostElem(b, fieldID)
			if err != nil {
				return fv, err
			}
			sz, err := b.Size(elem)
			if err != nil {
				return fv, err
			}
			fv.size, fv.typeID = sz, fieldID
		}
	case btf.COREFieldByteSize:
		fv.val = uint64(byteSz)
	case btf.COREFieldSigned:
		signed := isAnyEnum(mt) && mt.KindFlag || mt.Kind == btf.KindInt && mt.IntEncoding&btf.IntSigned != 0
		if signed {
			fv.val = 1
		}
		fv.validate = true
	case btf.COREFieldLShiftU64:
		// Where the bitfield sits in the 64-bit register depends on the
		// byte order (libbpf's host order; the BTF's own here, which is
		// the same when loading on the host).
		if b.ByteOrder() == binary.LittleEndian {
			fv.val = uint64(64 - (bitOff + bitSz - byteOff*8))
		} else {
			fv.val = uint64((8-byteSz)*8 + (bitOff - byteOff*8))
		}
	case btf.COREFieldRShiftU64:
		fv.val = uint64(64 - bitSz)
		fv.validate = true
	default:
		return fv, errUnsupported
	}
	return fv, nil
}

// innermostElem is the element type of (nested) arrays, past typedefs
// and qualifiers: loads and stores access single elements.
func innermostElem(b *btf.Spec, id btf.TypeID) (btf.TypeID, error) {
	for steps := 0; steps <= b.NumTypes(); steps++ {
		rid, t, err := skipMods(b, id)
		if err != nil {
			return 0, err
		}
		if t.Kind != btf.KindArray {
			return rid, nil
		}
		id = t.Array.Type
	}
	return 0, errTooNested
}

// calcType computes a type relocation's value (libbpf's
// bpf_core_calc_type_relo); a nil spec is a type no candidate matches.
func calcType(kind btf.COREKind, sp *spec) (val uint64, validate bool, err error) {
	if sp == nil {
		return 0, true, nil
	}
	switch kind {
	case btf.CORETypeIDTarget:
		// Ids change when objects are linked: not checked.
		return uint64(sp.root), false, nil
	case btf.CORETypeExists, btf.CORETypeMatches:
		return 1, true, nil
	case btf.CORETypeSize:
		sz, err := sp.btf.Size(sp.root)
		return uint64(sz), true, err
	}
	return 0, true, errUnsupported
}

// calcEnumval computes an enumerator relocation's value (libbpf's
// bpf_core_calc_enumval_relo); a nil spec is an enumerator no candidate
// has.
func calcEnumval(kind btf.COREKind, sp *spec) (uint64, error) {
	switch kind {
	case btf.COREEnumvalExists:
		if sp == nil {
			return 0, nil
		}
		return 1, nil
	case btf.COREEnumvalValue:
		if sp == nil {
			return 0, errPoison
		}
		t, err := sp.btf.Type(sp.acc[0].typeID)
		if err != nil {
			return 0, err
		}
		v := t.Enums[sp.acc[0].idx].Value
		if t.Kind == btf.KindEnum {
			// A 32-bit enumerator is sign-extended whatever the enum's
			// signedness, as libbpf reads it (a __s32).
			return uint64(int64(int32(v))), nil
		}
		return uint64(v), nil
	}
	return 0, errUnsupported
}
