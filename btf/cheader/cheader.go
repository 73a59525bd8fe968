// Package cheader writes BTF as a C header: the vmlinux.h that BPF
// programs include to use a kernel's types with CO-RE.
//
// The output is what `bpftool btf dump file … format c` writes (bpftool
// 7.1, libbpf 1.1): every type in id order, each preceded by what it
// needs, named types defined before they are embedded, forward
// declarations where a pointer cycle needs them, anonymous types inline,
// explicit padding and bitfields that give each member its BTF offset,
// __attribute__((packed)) where the layout can only be packed, and
// clashing names made unique with a ___N suffix. One thing differs, as
// in libbpf 1.2 and later: enums of 1 or 8 bytes keep their size with
// mode(byte) or mode(word), where bpftool 7.1 lets C make them 4 bytes
// and so moves the members after them. Writing the same BTF twice gives
// the same bytes.
package cheader

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
)

// Options changes the header Write produces; the zero value gives
// bpftool's.
type Options struct {
	// Guard is the include guard macro; "" means __VMLINUX_H__.
	Guard string
	// Kfuncs adds, after the types, an extern declaration of every
	// kfunc (a FUNC with the decl tag bpf_kfunc, sorted by name), as
	// bpftool 7.5 and later write them: weak ksyms, bpf_fastcall where
	// tagged so, all inside #ifndef BPF_NO_KFUNC_PROTOTYPES for programs
	// that declare kfuncs themselves.
	Kfuncs bool
}

// Validate reports options Write refuses: a guard that is not a C
// identifier.
func (o *Options) Validate() error {
	if o != nil && o.Guard != "" && !validIdent(o.Guard) {
		return fmt.Errorf("cheader: include guard %q is not a C identifier", o.Guard)
	}
	return nil
}

// Write writes the C header of every type of spec (for split BTF, the
// base's types too, as a C file needs them) to w.
func Write(w io.Writer, spec *btf.Spec, opts *Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	guard := "__VMLINUX_H__"
	if opts != nil && opts.Guard != "" {
		guard = opts.Guard
	}
	d, err := newDumper(spec, w)
	if err != nil {
		return err
	}
	d.printf("#ifndef %s\n#define %s\n\n", guard, guard)
	d.printf("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n")
	d.printf("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n")
	d.printf("#endif\n\n")
	kfuncs := opts != nil && opts.Kfuncs
	if kfuncs {
		d.print(kfuncMacros)
	}
	for id := 1; id < d.n; id++ {
		if err := d.dumpType(btf.TypeID(id)); err != nil {
			return err
		}
	}
	if kfuncs {
		d.kfuncs()
		if d.steps > d.budget {
			return fmt.Errorf("cheader: kfunc declarations: writing the header takes more than %d steps", d.budget)
		}
	}
	if debugSteps != nil {
		debugSteps(d.steps, d.budget)
	}
	d.printf("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n")
	d.printf("#endif /* %s */\n", guard)
	if err := d.out.Flush(); err != nil {
		return fmt.Errorf("cheader: %w", err)
	}
	return nil
}

func validIdent(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// Where a type stands in the ordering pass (a depth-first walk) and in
// the emitting pass.
const (
	notStarted uint8 = iota
	inProgress
	done
)

// dumper holds the state of one header: per type, its ordering and
// emitting state and its resolved name; the names taken so far.
type dumper struct {
	spec    *btf.Spec
	types   []*btf.Type // by id; types[0] is void
	n       int
	ptrSize uint32
	out     *bufio.Writer

	order      []uint8
	emit       []uint8
	fwdEmitted []bool
	referenced []bool
	named      []bool
	names      []string

	// typeNames counts struct, union and enum tags; identNames counts
	// typedef names and enumerators, which share C's ordinary namespace.
	typeNames  map[string]int
	identNames map[string]int

	queue []btf.TypeID
	// decls is the shared stack of declarator chains (see typeDecl).
	decls []btf.TypeID

	// steps counts the calls of the recursive walks, which budget
	// bounds: BTF can nest prototypes so that writing them takes
	// exponential time and space.
	steps, budget int
}

// stepsPerRecord is the budget of steps per type and per member,
// parameter or enumerator: writing a kernel's BTF takes under 2.
const stepsPerRecord = 64

// step counts a step and reports whether the budget allows it.
func (d *dumper) step() bool {
	d.steps++
	return d.steps <= d.budget
}

func newDumper(spec *btf.Spec, w io.Writer) (*dumper, error) {
	n := spec.NumTypes()
	d := &dumper{
		spec:       spec,
		types:      make([]*btf.Type, n),
		n:          n,
		out:        bufio.NewWriterSize(w, 64<<10),
		order:      make([]uint8, n),
		emit:       make([]uint8, n),
		fwdEmitted: make([]bool, n),
		referenced: make([]bool, n),
		named:      make([]bool, n),
		names:      make([]string, n),
		typeNames:  map[string]int{},
		identNames: map[string]int{},
	}
	records := 0
	for id, t := range spec.Types() {
		d.types[id] = t
		records += 1 + len(t.Members) + len(t.Params) + len(t.Enums)
	}
	d.budget = stepsPerRecord*records + 1<<16
	d.order[0], d.emit[0] = done, done
	d.ptrSize = pointerSize(d.types)
	for _, t := range d.types[1:] {
		d.markReferenced(t)
	}
	if err := d.checkCycles(); err != nil {
		return nil, err
	}
	return d, nil
}

// pointerSize is the size of C's long in the BTF (4 or 8), the pointer
// size of the target the BTF describes; 8 when it has no long.
func pointerSize(types []*btf.Type) uint32 {
	for _, t := range types[1:] {
		if t.Kind != btf.KindInt {
			continue
		}
		switch t.Name {
		case "long int", "long unsigned int", "long", "unsigned long", "long signed int", "signed long":
			if t.Size == 4 || t.Size == 8 {
				return t.Size
			}
		}
	}
	return 8
}

// markReferenced notes which types another type refers to: an anonymous
// enum nobody refers to is a top-level declaration of constants.
func (d *dumper) markReferenced(t *btf.Type) {
	switch t.Kind {
	case btf.KindPtr, btf.KindTypedef, btf.KindVolatile, btf.KindConst, btf.KindRestrict,
		btf.KindFunc, btf.KindVar, btf.KindDeclTag, btf.KindTypeTag:
		d.referenced[t.Type] = true
	case btf.KindArray:
		d.referenced[t.Array.Type] = true
		d.referenced[t.Array.IndexType] = true
	case btf.KindStruct, btf.KindUnion:
		for _, m := range t.Members {
			d.referenced[m.Type] = true
		}
	case btf.KindFuncProto:
		d.referenced[t.Type] = true
		for _, p := range t.Params {
			d.referenced[p.Type] = true
		}
	case btf.KindDatasec:
		for _, v := range t.Vars {
			d.referenced[v.Type] = true
		}
	}
}

// declEdges calls f for each type that t's C declaration spells out in
// place: a declarator's target (pointers, qualifiers, arrays, function
// prototypes, typedefs) and an anonymous struct's members. Named
// structs, unions, enums and forward declarations end a declaration, so
// only these edges can make BTF that no C declaration can write.
func declEdges(t *btf.Type, f func(btf.TypeID)) {
	switch t.Kind {
	case btf.KindPtr, btf.KindTypedef, btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
		f(t.Type)
	case btf.KindArray:
		f(t.Array.Type)
	case btf.KindFuncProto:
		f(t.Type)
		for _, p := range t.Params {
			f(p.Type)
		}
	case btf.KindStruct, btf.KindUnion:
		if t.Name == "" {
			for _, m := range t.Members {
				f(m.Type)
			}
		}
	}
}

// checkCycles refuses BTF with a cycle of declaration edges (say, a
// pointer to itself, or a typedef of a typedef of itself): no C can
// declare it, and the passes below would not end.
func (d *dumper) checkCycles() error {
	state := make([]uint8, d.n)
	type frame struct {
		id   btf.TypeID
		next []btf.TypeID
	}
	var stack []frame
	edges := func(id btf.TypeID) []btf.TypeID {
		var out []btf.TypeID
		declEdges(d.types[id], func(to btf.TypeID) { out = append(out, to) })
		return out
	}
	for root := 1; root < d.n; root++ {
		if state[root] != notStarted {
			continue
		}
		state[root] = inProgress
		stack = append(stack[:0], frame{btf.TypeID(root), edges(btf.TypeID(root))})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if len(top.next) == 0 {
				state[top.id] = done
				stack = stack[:len(stack)-1]
				continue
			}
			to := top.next[0]
			top.next = top.next[1:]
			switch state[to] {
			case inProgress:
				return fmt.Errorf("cheader: type %d (%s %q) is part of a type cycle no C declaration can write", to, d.types[to].Kind, d.types[to].Name)
			case notStarted:
				state[to] = inProgress
				stack = append(stack, frame{to, edges(to)})
			}
		}
	}
	return nil
}

func (d *dumper) printf(format string, args ...any) {
	fmt.Fprintf(d.out, format, args...)
}

func (d *dumper) print(s string) {
	d.out.WriteString(s)
}

// dumpType writes id after the types it needs that are not written yet.
func (d *dumper) dumpType(id btf.TypeID) error {
	d.queue = d.queue[:0]
	if _, err := d.orderType(id, false); err != nil {
		return err
	}
	for _, q := range d.queue {
		d.emitType(q, 0)
	}
	if d.steps > d.budget {
		return fmt.Errorf("cheader: type %d (%s %q): writing the header takes more than %d steps (prototypes nested exponentially?)", id, d.types[id].Kind, d.types[id].Name, d.budget)
	}
	return nil
}

// orderType walks the types id needs and queues, in an order C accepts,
// the ones that are definitions of their own (named structs and unions,
// enums, typedefs, forward declarations). It reports whether id is a
// strong dependency of what refers to it: one that must be defined
// before, rather than merely declared. A reference is weak when it goes
// through a pointer to a named type, which a forward declaration
// satisfies.
func (d *dumper) orderType(id btf.TypeID, throughPtr bool) (bool, error) {
	if !d.step() {
		return false, fmt.Errorf("cheader: type %d (%s %q): ordering the types takes more than %d steps (prototypes nested exponentially?)", id, d.types[id].Kind, d.types[id].Name, d.budget)
	}
	if d.order[id] == done {
		return true, nil
	}
	t := d.types[id]
	if d.order[id] == inProgress {
		// A cycle, which a forward declaration resolves only when it
		// goes through a pointer to a named struct or union.
		if (t.Kind == btf.KindStruct || t.Kind == btf.KindUnion) && throughPtr && t.Name != "" {
			return false, nil
		}
		return false, fmt.Errorf("cheader: type %d (%s %q): type cycle no forward declaration resolves", id, t.Kind, t.Name)
	}
	switch t.Kind {
	case btf.KindInt, btf.KindFloat:
		d.order[id] = done
		return false, nil
	case btf.KindPtr:
		strong, err := d.orderType(t.Type, true)
		d.order[id] = done
		return strong, err
	case btf.KindArray:
		return d.orderType(t.Array.Type, false)
	case btf.KindStruct, btf.KindUnion:
		// Through a pointer, a named struct needs no definition yet;
		// an anonymous one is defined inline, so it always does.
		if throughPtr && t.Name != "" {
			return false, nil
		}
		d.order[id] = inProgress
		for _, m := range t.Members {
			if _, err := d.orderType(m.Type, false); err != nil {
				return false, err
			}
		}
		if t.Name != "" {
			d.queue = append(d.queue, id)
		}
		d.order[id] = done
		return true, nil
	case btf.KindEnum, btf.KindEnum64, btf.KindFwd:
		// Named enums, and anonymous ones nothing refers to (constants),
		// are declarations of their own.
		if t.Name != "" || !d.referenced[id] {
			d.queue = append(d.queue, id)
		}
		d.order[id] = done
		return true, nil
	case btf.KindTypedef:
		strong, err := d.orderType(t.Type, throughPtr)
		if err != nil {
			return false, err
		}
		if throughPtr && !strong {
			return false, nil
		}
		d.queue = append(d.queue, id)
		d.order[id] = done
		return true, nil
	case btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
		return d.orderType(t.Type, throughPtr)
	case btf.KindFuncProto:
		strong, err := d.orderType(t.Type, throughPtr)
		if err != nil {
			return false, err
		}
		for _, p := range t.Params {
			s, err := d.orderType(p.Type, throughPtr)
			if err != nil {
				return false, err
			}
			strong = strong || s
		}
		return strong, nil
	default: // FUNC, VAR, DATASEC, DECL_TAG: nothing a header declares
		d.order[id] = done
		return false, nil
	}
}

// emitType writes the definition of id, first writing what it needs:
// the types its members use (forward declarations for those reached
// through a pointer while being written). contID is the named struct or
// union being written around id, 0 at the top level.
func (d *dumper) emitType(id btf.TypeID, contID btf.TypeID) {
	if d.emit[id] == done || !d.step() {
		return
	}
	t := d.types[id]
	topLevel := contID == 0
	if d.emit[id] == inProgress {
		if d.fwdEmitted[id] {
			return
		}
		switch t.Kind {
		case btf.KindStruct, btf.KindUnion:
			// A reference from inside the struct itself needs nothing;
			// an anonymous loop was refused by orderType.
			if id == contID || t.Name == "" {
				return
			}
			d.structFwd(id, t)
			d.print(";\n\n")
			d.fwdEmitted[id] = true
		case btf.KindTypedef:
			// The typedef itself serves as the declaration, usable
			// through pointers only.
			if !d.builtin(t) {
				d.typedefDef(id, t, 0)
				d.print(";\n\n")
			}
			d.fwdEmitted[id] = true
		}
		return
	}
	switch t.Kind {
	case btf.KindInt:
		d.missingAlias(id)
		d.emit[id] = done
	case btf.KindEnum, btf.KindEnum64:
		if topLevel {
			d.enumDef(id, t, 0)
			d.print(";\n\n")
		}
		d.emit[id] = done
	case btf.KindPtr, btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
		d.emitType(t.Type, contID)
	case btf.KindArray:
		d.emitType(t.Array.Type, contID)
	case btf.KindFwd:
		d.fwdDef(id, t)
		d.print(";\n\n")
		d.emit[id] = done
	case btf.KindTypedef:
		d.emit[id] = inProgress
		d.emitType(t.Type, id)
		if !d.fwdEmitted[id] && !d.builtin(t) {
			d.typedefDef(id, t, 0)
			d.print(";\n\n")
		}
		d.emit[id] = done
	case btf.KindStruct, btf.KindUnion:
		d.emit[id] = inProgress
		// A definition (top level, or anonymous and so inline) spells
		// out its members, whose types must be declared first.
		if topLevel || t.Name == "" {
			inner := id
			if t.Name == "" {
				inner = contID
			}
			for _, m := range t.Members {
				d.emitType(m.Type, inner)
			}
		} else if !d.fwdEmitted[id] && id != contID {
			d.structFwd(id, t)
			d.print(";\n\n")
			d.fwdEmitted[id] = true
		}
		if topLevel {
			d.structDef(id, t, 0)
			d.print(";\n\n")
			d.emit[id] = done
		} else {
			d.emit[id] = notStarted
		}
	case btf.KindFuncProto:
		d.emitType(t.Type, contID)
		for _, p := range t.Params {
			d.emitType(p.Type, contID)
		}
	}
}

// builtin reports a typedef of the compiler's own __builtin_va_list,
// which a header must not redefine.
func (d *dumper) builtin(t *btf.Type) bool {
	return t.Name == "__builtin_va_list"
}

// missingAliases are base types GCC emits for Arm SIMD intrinsics that
// clang does not know, with the C types they stand for.
var missingAliases = map[string]string{
	"__Poly8_t":   "unsigned char",
	"__Poly16_t":  "unsigned short",
	"__Poly64_t":  "unsigned long long",
	"__Poly128_t": "unsigned __int128",
}

func (d *dumper) missingAlias(id btf.TypeID) {
	name := d.typeName(id)
	if c, ok := missingAliases[name]; ok {
		d.printf("typedef %s %s;\n\n", c, name)
	}
}

// alignOf is the alignment C gives type id: a struct or union whose
// layout is only possible packed has alignment 1.
func (d *dumper) alignOf(id btf.TypeID) uint32 {
	for steps := 0; steps <= d.n; steps++ {
		t := d.types[id]
		switch t.Kind {
		case btf.KindInt, btf.KindEnum, btf.KindEnum64, btf.KindFloat:
			return min(d.ptrSize, t.Size)
		case btf.KindPtr:
			return d.ptrSize
		case btf.KindTypedef, btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
			id = t.Type
		case btf.KindArray:
			id = t.Array.Type
		case btf.KindStruct, btf.KindUnion:
			maxAlign := uint32(1)
			for i, m := range t.Members {
				a := d.alignOf(m.Type)
				if a == 0 {
					return 0
				}
				maxAlign = max(maxAlign, a)
				if bitfieldSize(t, i) == 0 && m.Offset%(8*a) != 0 {
					return 1
				}
			}
			if t.Size%maxAlign != 0 {
				return 1
			}
			return maxAlign
		default:
			return 0
		}
	}
	return 0
}

// bitfieldSize is member i's width in bits when it is a bitfield, else 0.
func bitfieldSize(t *btf.Type, i int) uint32 {
	if t.KindFlag {
		return uint32(t.Members[i].BitfieldSize)
	}
	return 0
}

// sizeOf is the size of id in bytes, 0 when it has none.
func (d *dumper) sizeOf(id btf.TypeID) uint32 {
	size, err := d.spec.Size(id)
	if err != nil {
		return 0
	}
	return size
}

// packed reports whether the struct t can only have its layout packed:
// a member that is not a bitfield off its natural alignment, or a size
// that is not a multiple of the struct's alignment.
func (d *dumper) packed(t *btf.Type) bool {
	maxAlign := uint32(1)
	for i, m := range t.Members {
		a := d.alignOf(m.Type)
		if a != 0 && bitfieldSize(t, i) == 0 && m.Offset%(8*a) != 0 {
			return true
		}
		maxAlign = max(maxAlign, a)
	}
	return t.Size%maxAlign != 0
}

// indent returns lvl tabs (at most 13, as bpftool).
func indent(lvl int) string {
	const tabs = "\t\t\t\t\t\t\t\t\t\t\t\t\t"
	if lvl >= len(tabs) {
		return tabs
	}
	return tabs[:lvl]
}

// bitPadding writes unnamed bitfields that take a member from bit cur to
// bit next, relying on C's natural alignment where it does the same.
// nextAlign is the alignment of the member at next; inBitfield says the
// previous member was a bitfield and so is this one. Each line is a
// step: a struct's size may be up to 4 GiB.
func (d *dumper) bitPadding(cur, next int64, nextAlign int64, inBitfield bool, lvl int) {
	if cur >= next {
		return
	}
	pads := [...]struct {
		name string
		bits int64
	}{{"long", int64(d.ptrSize) * 8}, {"int", 32}, {"short", 16}, {"char", 8}}
	var padName string
	var padBits, newOff int64
	for _, p := range pads {
		padBits, padName = p.bits, p.name
		newOff = roundUp(cur, padBits)
		if newOff <= next {
			break
		}
	}
	if newOff > cur && newOff <= next {
		// An explicit "type: 0" realigns where the next member's own
		// alignment would not, or where the padding after would fit
		// in the hole and be ignored; after a bitfield, the count.
		if inBitfield ||
			(newOff == next && roundUp(cur, nextAlign*8) != newOff) ||
			(newOff != next && next-newOff <= newOff-cur) {
			var n int64
			if inBitfield {
				n = newOff - cur
			}
			d.printf("\n%s%s: %d;", indent(lvl), padName, n)
		}
		cur = newOff
	}
	for cur != next && d.step() {
		bits := min(next-cur, padBits)
		if bits == padBits {
			d.printf("\n%s%s: %d;", indent(lvl), padName, padBits)
			cur += bits
			continue
		}
		// The tail takes the smallest type that holds it.
		for i := len(pads) - 1; i >= 0; i-- {
			if pads[i].bits < bits {
				continue
			}
			padName, padBits = pads[i].name, pads[i].bits
			d.printf("\n%s%s: %d;", indent(lvl), padName, bits)
			cur += bits
			break
		}
	}
}

func roundUp(x, to int64) int64 {
	if to <= 0 {
		return x
	}
	return (x + to - 1) / to * to
}

func kindWord(t *btf.Type) string {
	if t.Kind == btf.KindUnion {
		return "union"
	}
	return "struct"
}

func (d *dumper) structFwd(id btf.TypeID, t *btf.Type) {
	d.print(kindWord(t))
	if t.Name != "" {
		d.print(" ")
		d.print(d.typeName(id))
	}
}

func (d *dumper) structDef(id btf.TypeID, t *btf.Type, lvl int) {
	isStruct := t.Kind == btf.KindStruct
	align := d.alignOf(id)
	packed := isStruct && d.packed(t)
	d.structFwd(id, t)
	d.print(" {")
	var off int64
	prevBitfield := false
	for i, m := range t.Members {
		size := int64(bitfieldSize(t, i))
		mOff := int64(m.Offset)
		mAlign := int64(1)
		if !packed {
			mAlign = int64(d.alignOf(m.Type))
		}
		inBitfield := prevBitfield && size != 0
		d.bitPadding(off, mOff, mAlign, inBitfield, lvl+1)
		d.print("\n")
		d.print(indent(lvl + 1))
		d.typeDecl(m.Type, m.Name, lvl+1)
		if size != 0 {
			d.printf(": %d", size)
			off = mOff + size
			prevBitfield = true
		} else {
			off = mOff + int64(d.sizeOf(m.Type))*8
			prevBitfield = false
		}
		d.print(";")
	}
	if isStruct {
		d.bitPadding(off, int64(t.Size)*8, int64(align), false, lvl+1)
	}
	// An empty struct stays on one line: struct empty {}.
	if len(t.Members) > 0 || t.Size > 0 {
		d.print("\n")
		d.print(indent(lvl))
	}
	d.print("}")
	if packed {
		d.print(" __attribute__((packed))")
	}
}

func (d *dumper) enumDef(id btf.TypeID, t *btf.Type, lvl int) {
	d.print("enum")
	if t.Name != "" {
		d.print(" ")
		d.print(d.typeName(id))
	}
	if len(t.Enums) == 0 {
		return
	}
	d.print(" {")
	signed := t.KindFlag
	for _, e := range t.Enums {
		name := e.Name
		if n := dup(d.identNames, e.Name); n > 1 {
			name += "___" + strconv.Itoa(n)
		}
		d.printf("\n%s%s = %s,", indent(lvl+1), name, enumValue(t, e.Value, signed))
	}
	d.printf("\n%s}", indent(lvl))
	switch {
	case t.Size == 1:
		d.print(" __attribute__((mode(byte)))")
	case t.Size == 8 && d.ptrSize == 8:
		// A 64-bit enum: C makes one only for a value beyond 32 bits;
		// otherwise it takes mode(word).
		word := true
		if t.Kind == btf.KindEnum64 {
			for _, e := range t.Enums {
				if uint64(e.Value)>>32 != 0 {
					word = false
					break
				}
			}
		}
		if word {
			d.print(" __attribute__((mode(word)))")
		}
	}
}

// enumValue spells an enumerator's value as bpftool does: 32-bit values
// bare, 64-bit ones with an LL or ULL suffix.
func enumValue(t *btf.Type, v int64, signed bool) string {
	if t.Kind == btf.KindEnum {
		if signed {
			return strconv.FormatInt(int64(int32(v)), 10)
		}
		return strconv.FormatUint(uint64(uint32(v)), 10)
	}
	if signed {
		return strconv.FormatInt(v, 10) + "LL"
	}
	return strconv.FormatUint(uint64(v), 10) + "ULL"
}

func (d *dumper) fwdDef(id btf.TypeID, t *btf.Type) {
	// A FWD's kind flag says union.
	if t.KindFlag {
		d.print("union ")
	} else {
		d.print("struct ")
	}
	d.print(d.typeName(id))
}

func (d *dumper) typedefDef(id btf.TypeID, t *btf.Type, lvl int) {
	name := d.identName(id)
	// Old GCC emits __gnuc_va_list as a typedef of void.
	if t.Type == 0 && name == "__gnuc_va_list" {
		d.print("typedef __builtin_va_list __gnuc_va_list")
		return
	}
	d.print("typedef ")
	d.typeDecl(t.Type, name, lvl)
}

// typeDecl writes a declaration of name with type id, in C's inside-out
// declarator syntax: it stacks the chain of pointers, qualifiers, arrays
// and prototypes down to the base type, then writes the chain from the
// base type back out.
func (d *dumper) typeDecl(id btf.TypeID, name string, lvl int) {
	if !d.step() {
		return
	}
	start := len(d.decls)
	for {
		d.decls = append(d.decls, id)
		if id == 0 {
			break
		}
		t := d.types[id]
		switch t.Kind {
		case btf.KindPtr, btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindFuncProto, btf.KindTypeTag:
			id = t.Type
			continue
		case btf.KindArray:
			id = t.Array.Type
			continue
		}
		break
	}
	chain := d.decls[start:]
	d.typeChain(&chain, name, lvl)
	d.decls = d.decls[:start]
}

// mods writes the const, volatile and restrict at the top of the stack,
// which C writes before a base type.
func (d *dumper) mods(decls *[]btf.TypeID) {
	for len(*decls) > 0 {
		id := (*decls)[len(*decls)-1]
		switch d.types[id].Kind {
		case btf.KindVolatile:
			d.print("volatile ")
		case btf.KindConst:
			d.print("const ")
		case btf.KindRestrict:
			d.print("restrict ")
		default:
			return
		}
		*decls = (*decls)[:len(*decls)-1]
	}
}

// dropMods drops qualifiers C cannot write where they are: on arrays
// (GCC's duplicates of the element's) and on functions.
func (d *dumper) dropMods(decls *[]btf.TypeID) {
	for len(*decls) > 0 {
		switch d.types[(*decls)[len(*decls)-1]].Kind {
		case btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
			*decls = (*decls)[:len(*decls)-1]
		default:
			return
		}
	}
}

func (d *dumper) name(name string, lastWasPtr bool) {
	if name != "" && !lastWasPtr {
		d.print(" ")
	}
	d.print(name)
}

// typeChain writes the declaration whose chain is decls (base type on
// top), popping it.
func (d *dumper) typeChain(decls *[]btf.TypeID, fname string, lvl int) {
	// lastWasPtr avoids a space between stars ("int **p"); it starts
	// true for the pointer alone in a function pointer's parentheses.
	lastWasPtr := true
	for len(*decls) > 0 {
		id := (*decls)[len(*decls)-1]
		*decls = (*decls)[:len(*decls)-1]
		if id == 0 {
			d.mods(decls)
			d.print("void")
			lastWasPtr = false
			continue
		}
		t := d.types[id]
		switch t.Kind {
		case btf.KindInt, btf.KindFloat:
			d.mods(decls)
			d.print(t.Name)
		case btf.KindStruct, btf.KindUnion:
			d.mods(decls)
			if t.Name == "" {
				d.structDef(id, t, lvl)
			} else {
				d.structFwd(id, t)
			}
		case btf.KindEnum, btf.KindEnum64:
			d.mods(decls)
			if t.Name == "" {
				d.enumDef(id, t, lvl)
			} else {
				d.print("enum ")
				d.print(d.typeName(id))
			}
		case btf.KindFwd:
			d.mods(decls)
			d.fwdDef(id, t)
		case btf.KindTypedef:
			d.mods(decls)
			d.print(d.identName(id))
		case btf.KindPtr:
			if lastWasPtr {
				d.print("*")
			} else {
				d.print(" *")
			}
		case btf.KindVolatile:
			d.print(" volatile")
		case btf.KindConst:
			d.print(" const")
		case btf.KindRestrict:
			d.print(" restrict")
		case btf.KindTypeTag:
			d.mods(decls)
			if t.KindFlag {
				d.printf(" __attribute__((%s))", t.Name)
			} else {
				d.printf(" __attribute__((btf_type_tag(\"%s\")))", t.Name)
			}
		case btf.KindArray:
			d.dropMods(decls)
			if len(*decls) == 0 {
				d.name(fname, lastWasPtr)
				d.printf("[%d]", t.Array.Nelems)
				return
			}
			// Arrays of arrays need no parentheses, arrays of
			// pointers and prototypes do.
			multidim := d.types[(*decls)[len(*decls)-1]].Kind == btf.KindArray
			if fname != "" && !lastWasPtr {
				d.print(" ")
			}
			if !multidim {
				d.print("(")
			}
			d.typeChain(decls, fname, lvl)
			if !multidim {
				d.print(")")
			}
			d.printf("[%d]", t.Array.Nelems)
			return
		case btf.KindFuncProto:
			d.dropMods(decls)
			if len(*decls) > 0 {
				d.print(" (")
				d.typeChain(decls, fname, lvl)
				d.print(")")
			} else {
				d.name(fname, lastWasPtr)
			}
			d.print("(")
			// clang writes f(void) as one void parameter.
			if len(t.Params) == 0 || (len(t.Params) == 1 && t.Params[0].Type == 0) {
				d.print("void)")
				return
			}
			for i, p := range t.Params {
				if i > 0 {
					d.print(", ")
				}
				if i == len(t.Params)-1 && p.Type == 0 {
					d.print("...")
					break
				}
				d.typeDecl(p.Type, p.Name, lvl)
			}
			d.print(")")
			return
		default:
			return
		}
		lastWasPtr = t.Kind == btf.KindPtr
	}
	d.name(fname, lastWasPtr)
}

// dup counts one more use of name and returns the count.
func dup(names map[string]int, name string) int {
	names[name]++
	return names[name]
}

// resolveName gives type id its unique C name the first time it is
// asked for: the BTF name, with ___N appended for the Nth type to claim
// it in names. Forward declarations and empty enums refer to another
// type's name, so they claim none.
func (d *dumper) resolveName(id btf.TypeID, names map[string]int) string {
	t := d.types[id]
	if t.Name == "" {
		return ""
	}
	if d.named[id] {
		return d.names[id]
	}
	d.named[id] = true
	d.names[id] = t.Name
	if t.Kind == btf.KindFwd || (t.Kind == btf.KindEnum && len(t.Enums) == 0) {
		return t.Name
	}
	if n := dup(names, t.Name); n > 1 {
		d.names[id] = t.Name + "___" + strconv.Itoa(n)
	}
	return d.names[id]
}

func (d *dumper) typeName(id btf.TypeID) string  { return d.resolveName(id, d.typeNames) }
func (d *dumper) identName(id btf.TypeID) string { return d.resolveName(id, d.identNames) }

// debugSteps, when set (by tests), gets the steps Write took and its budget.
var debugSteps func(steps, budget int)

// kfuncMacros define what kfunc declarations use, unless the program
// did (bpf_helpers.h defines __ksym and __weak too).
const kfuncMacros = `#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

`

// kfuncs writes the extern declarations of the FUNCs that decl tags
// (on the function itself, not a parameter) name bpf_kfunc.
func (d *dumper) kfuncs() {
	var funcs []btf.TypeID
	fastcall := map[btf.TypeID]bool{}
	for _, t := range d.types[1:] {
		if t.Kind != btf.KindDeclTag || t.ComponentIdx != -1 || d.types[t.Type].Kind != btf.KindFunc {
			continue
		}
		switch t.Name {
		case "bpf_kfunc":
			funcs = append(funcs, t.Type)
		case "bpf_fastcall":
			fastcall[t.Type] = true
		}
	}
	// By name, so that the list does not move with type ids.
	slices.SortStableFunc(funcs, func(a, b btf.TypeID) int { return strings.Compare(d.types[a].Name, d.types[b].Name) })
	d.print("\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n")
	for _, id := range funcs {
		d.print("extern ")
		if fastcall[id] {
			d.print("__bpf_fastcall ")
		}
		d.typeDecl(d.types[id].Type, d.types[id].Name, 0)
		d.print(" __weak __ksym;\n")
	}
	d.print("#endif\n\n")
}
