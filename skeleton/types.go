package skeleton

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
)

// Go types from BTF.
//
// Every generated struct reproduces the C layout byte for byte: fields are
// placed at their BTF offsets with explicit "_ [N]byte" padding, so that
// the layout does not depend on Go's alignment rules (which differ between
// 32- and 64-bit targets), and a compile-time assertion checks each
// struct's size. What Go cannot express directly:
//
//   - a bitfield run becomes one unexported backing integer per storage
//     unit plus a getter and a Set… method per named bitfield;
//   - a union becomes a struct holding its first member, padded to the
//     union's size, plus an As… method per member that returns a pointer
//     to the union's storage viewed as that member's type;
//   - pointers are uint64 (BPF pointers are 64-bit on every target);
//   - a member Go would misalign (packed structs) becomes a byte array, and
//     a struct whose size Go cannot reproduce becomes a named byte array.

// errOpaque says that a struct cannot be laid out field by field; it is
// emitted as a byte array of its size instead.
var errOpaque = errors.New("layout not expressible in Go")

type typeGen struct {
	spec   *btf.Spec
	bo     binary.ByteOrder
	prefix string
	names  nameSet

	named map[btf.TypeID]string
	// decls are the generated declarations in order of first use; a
	// struct's slot is reserved before the types it uses are generated,
	// so that outer types come first.
	decls []string
	// asserts are the size assertions, one per generated struct.
	asserts []string
	// usesUnsafe is set once a declaration needs package unsafe.
	usesUnsafe bool
}

func newTypeGen(spec *btf.Spec, bo binary.ByteOrder, prefix string, names nameSet) *typeGen {
	return &typeGen{spec: spec, bo: bo, prefix: prefix, names: names, named: make(map[btf.TypeID]string)}
}

// goType returns the Go type expression for BTF type id. ctx names an
// anonymous struct, union or enum: it is the generated name of the
// enclosing type (without the prefix) plus the member's name.
func (g *typeGen) goType(id btf.TypeID, ctx string) (string, error) {
	if id == 0 {
		return "", errors.New("void has no Go type")
	}
	t, err := g.spec.Type(id)
	if err != nil {
		return "", err
	}
	switch t.Kind {
	case btf.KindTypedef:
		// A typedef of an anonymous struct, union or enum names it.
		_, rt, err := g.spec.Resolve(t.Type)
		if err != nil {
			return "", err
		}
		if rt.Name == "" && isNamedKind(rt.Kind) {
			return g.goType(t.Type, goIdent(t.Name))
		}
		return g.goType(t.Type, ctx)
	case btf.KindConst, btf.KindVolatile, btf.KindRestrict, btf.KindTypeTag:
		return g.goType(t.Type, ctx)
	case btf.KindInt:
		return intType(t), nil
	case btf.KindPtr:
		return "uint64", nil
	case btf.KindArray:
		elem, err := g.goType(t.Array.Type, ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("[%d]%s", t.Array.Nelems, elem), nil
	case btf.KindStruct, btf.KindUnion:
		return g.compound(id, t, ctx)
	case btf.KindEnum, btf.KindEnum64:
		return g.enum(id, t, ctx)
	case btf.KindFloat:
		switch t.Size {
		case 4:
			return "float32", nil
		case 8:
			return "float64", nil
		}
		return fmt.Sprintf("[%d]byte", t.Size), nil
	}
	return "", fmt.Errorf("type %d (%s %q) has no Go equivalent", id, t.Kind, t.Name)
}

// typedef declares the Go type of a C typedef: the struct, union or enum
// it names takes the typedef's name when it has none of its own; any
// other type gets a declared type of the typedef's name ("typedef __u32
// pid_t" gives "type PrefixPidT uint32"), as bpf2go's -type does.
func (g *typeGen) typedef(id btf.TypeID, t *btf.Type) error {
	_, rt, err := g.spec.Resolve(id)
	if err != nil {
		return err
	}
	if isNamedKind(rt.Kind) {
		_, err := g.goType(id, goIdent(t.Name))
		return err
	}
	if _, ok := g.named[id]; ok {
		return nil
	}
	under, err := g.goType(t.Type, goIdent(t.Name))
	if err != nil {
		return err
	}
	name := g.names.add(g.prefix + goIdent(t.Name))
	g.named[id] = name
	g.decls = append(g.decls, fmt.Sprintf("// %s is typedef %s.\ntype %s %s\n", name, t.Name, name, under))
	return nil
}

func isNamedKind(k btf.Kind) bool {
	switch k {
	case btf.KindStruct, btf.KindUnion, btf.KindEnum, btf.KindEnum64:
		return true
	}
	return false
}

// intType maps a BTF INT to a Go type: bool, byte for plain char, intN or
// uintN, and a byte array for sizes Go has no integer for (__int128).
func intType(t *btf.Type) string {
	switch {
	case t.IntEncoding&btf.IntBool != 0 && t.Size == 1:
		return "bool"
	case t.Size == 1 && (t.Name == "char" || t.IntEncoding&btf.IntChar != 0):
		return "byte"
	}
	switch t.Size {
	case 1, 2, 4, 8:
		if t.IntEncoding&btf.IntSigned != 0 {
			return fmt.Sprintf("int%d", t.Size*8)
		}
		return fmt.Sprintf("uint%d", t.Size*8)
	}
	return fmt.Sprintf("[%d]byte", t.Size)
}

// alignOf is an upper bound of the alignment Go gives the type generated
// for id: Go never aligns more strictly than C does, so a member at an
// offset that is a multiple of alignOf is where C put it.
func (g *typeGen) alignOf(id btf.TypeID) uint32 {
	_, t, err := g.spec.Resolve(id)
	if err != nil {
		return 1
	}
	switch t.Kind {
	case btf.KindInt, btf.KindEnum, btf.KindEnum64, btf.KindFloat:
		switch t.Size {
		case 1, 2, 4, 8:
			return t.Size
		}
		return 1
	case btf.KindPtr:
		return 8
	case btf.KindArray:
		return g.alignOf(t.Array.Type)
	case btf.KindStruct, btf.KindUnion:
		a := uint32(1)
		for _, m := range t.Members {
			a = max(a, g.alignOf(m.Type))
		}
		return a
	}
	return 1
}

// compound returns the name of the Go type for a struct or union,
// generating it on first use.
func (g *typeGen) compound(id btf.TypeID, t *btf.Type, ctx string) (string, error) {
	if name, ok := g.named[id]; ok {
		return name, nil
	}
	base := ctx
	if t.Name != "" {
		base = goIdent(t.Name)
	}
	if base == "" {
		base = "Anon"
	}
	name := g.names.add(g.prefix + base)
	g.named[id] = name
	slot := len(g.decls)
	g.decls = append(g.decls, "")

	kind := "struct"
	if t.Kind == btf.KindUnion {
		kind = "union"
	}
	cname := kind + " " + t.Name
	if t.Name == "" {
		cname = "an anonymous " + kind
	}
	doc := fmt.Sprintf("// %s is %s (%d bytes).\n", name, cname, t.Size)

	var items []item
	for i, m := range t.Members {
		off, bits, isBF, err := g.spec.Bitfield(t, i)
		if err != nil {
			return "", fmt.Errorf("%s member %q: %w", cname, m.Name, err)
		}
		it := item{cname: m.Name, typ: m.Type, bitOff: off, bitfield: isBF, bitSize: bits}
		if !isBF {
			it.size = bits / 8
		}
		items = append(items, it)
	}
	var body string
	var err error
	if t.Size%g.alignOf(id) != 0 {
		err = errOpaque
	} else if t.Kind == btf.KindUnion {
		body, err = g.unionBody(name, items, t.Size)
	} else {
		body, err = g.structBody(name, items, t.Size, false)
	}
	switch {
	case errors.Is(err, errOpaque):
		g.decls[slot] = fmt.Sprintf("%s//\n// Go cannot reproduce its layout field by field, so it is kept as bytes.\ntype %s [%d]byte\n", doc, name, t.Size)
		return name, nil
	case err != nil:
		return "", fmt.Errorf("%s: %w", cname, err)
	}
	g.decls[slot] = doc + body
	g.assertSize(name, t.Size)
	return name, nil
}

func (g *typeGen) assertSize(name string, size uint32) {
	g.usesUnsafe = true
	g.asserts = append(g.asserts, fmt.Sprintf("_ [%d]byte = [unsafe.Sizeof(%s{})]byte{}", size, name))
}

// item is one member of a struct or union, or one variable of a section.
type item struct {
	cname    string
	typ      btf.TypeID
	bitOff   uint32
	bitfield bool
	bitSize  uint32 // bitfields
	size     uint32 // bytes, other members
}

// fieldWriter collects the fields and methods of one struct.
type fieldWriter struct {
	typeName string
	fields   strings.Builder
	methods  strings.Builder
	names    nameSet
	pos      uint32 // bytes laid out so far
	nbf      int    // bitfield backing fields so far
}

func (w *fieldWriter) pad(to uint32) {
	if to > w.pos {
		fmt.Fprintf(&w.fields, "\t_ [%d]byte\n", to-w.pos)
		w.pos = to
	}
}

// structBody lays out the items of a struct (or of a data section, with
// tags naming each variable) in a struct of exactly size bytes.
func (g *typeGen) structBody(name string, items []item, size uint32, tags bool) (string, error) {
	sort.SliceStable(items, func(i, j int) bool { return items[i].bitOff < items[j].bitOff })
	w := &fieldWriter{typeName: name, names: nameSet{}}
	base := strings.TrimPrefix(name, g.prefix)
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.bitfield || it.bitOff%8 != 0 {
			// A run of bitfields ends at the next whole member.
			j := i
			for j < len(items) && (items[j].bitfield || items[j].bitOff%8 != 0) {
				j++
			}
			limit := size
			if j < len(items) {
				limit = items[j].bitOff / 8
			}
			if err := g.bitfields(w, items[i:j], limit); err != nil {
				return "", err
			}
			i = j - 1
			continue
		}
		off := it.bitOff / 8
		if off < w.pos {
			return "", fmt.Errorf("member %q at offset %d overlaps the previous one: %w", it.cname, off, errOpaque)
		}
		if it.size == 0 {
			fmt.Fprintf(&w.fields, "\t// %s has no size here (flexible array).\n", it.cname)
			continue
		}
		w.pad(off)
		goT, err := g.goType(it.typ, base+goIdent(it.cname))
		if err != nil {
			return "", fmt.Errorf("member %q: %w", it.cname, err)
		}
		if off%g.alignOf(it.typ) != 0 {
			return "", fmt.Errorf("member %q at offset %d is misaligned for Go: %w", it.cname, off, errOpaque)
		}
		switch {
		case it.cname == "" && strings.HasPrefix(goT, g.prefix):
			// Anonymous struct or union: embed it so its fields are
			// promoted, as C makes them members of the parent.
			fmt.Fprintf(&w.fields, "\t%s\n", goT)
			w.names.add(goT)
		case it.cname == "":
			fmt.Fprintf(&w.fields, "\t_ %s\n", goT)
		default:
			field := w.names.add(goIdent(it.cname))
			if tags {
				fmt.Fprintf(&w.fields, "\t%s %s `bpf:%q`\n", field, goT, it.cname)
			} else {
				fmt.Fprintf(&w.fields, "\t%s %s\n", field, goT)
			}
		}
		w.pos = off + it.size
	}
	if w.pos > size {
		return "", fmt.Errorf("members end at %d, beyond the size %d: %w", w.pos, size, errOpaque)
	}
	w.pad(size)
	return fmt.Sprintf("type %s struct {\n%s}\n%s", name, w.fields.String(), w.methods.String()), nil
}

// bfGroup is one backing integer of a bitfield run.
type bfGroup struct {
	start, unit uint32 // bytes
	members     []item
}

// bitfields lays out a run of bitfields that must end by byte limit:
// each bitfield goes into a storage unit of its own type's size where
// that fits, else of the largest size that does.
func (g *typeGen) bitfields(w *fieldWriter, run []item, limit uint32) error {
	var groups []*bfGroup
	pos := w.pos
	for _, it := range run {
		bits := it.bitSize
		if !it.bitfield {
			bits = it.size * 8
		}
		it.bitSize = bits
		if cur := last(groups); cur != nil && it.bitOff >= cur.start*8 && it.bitOff+bits <= (cur.start+cur.unit)*8 {
			cur.members = append(cur.members, it)
			continue
		}
		if cur := last(groups); cur != nil {
			pos = cur.start + cur.unit
		}
		size, _ := g.spec.Size(it.typ)
		var chosen *bfGroup
		for _, u := range unitCandidates(size) {
			start := it.bitOff / 8 / u * u
			if start >= pos && it.bitOff+bits <= (start+u)*8 && start+u <= limit {
				chosen = &bfGroup{start: start, unit: u, members: []item{it}}
				break
			}
		}
		if chosen == nil {
			return fmt.Errorf("bitfield %q at bit %d: no storage unit fits: %w", it.cname, it.bitOff, errOpaque)
		}
		groups = append(groups, chosen)
	}
	for _, gr := range groups {
		w.pad(gr.start)
		field := w.names.add(fmt.Sprintf("bitfields%d", w.nbf))
		w.nbf++
		ut := fmt.Sprintf("uint%d", gr.unit*8)
		fmt.Fprintf(&w.fields, "\t%s %s // ", field, ut)
		for i, m := range gr.members {
			if i > 0 {
				w.fields.WriteString(", ")
			}
			name := m.cname
			if name == "" {
				name = "(padding)"
			}
			fmt.Fprintf(&w.fields, "%s:%d", name, m.bitSize)
		}
		w.fields.WriteString("\n")
		w.pos = gr.start + gr.unit
		for _, m := range gr.members {
			if m.cname == "" {
				continue
			}
			if err := g.bitfieldMethods(w, field, gr, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func last(gs []*bfGroup) *bfGroup {
	if len(gs) == 0 {
		return nil
	}
	return gs[len(gs)-1]
}

// unitCandidates lists storage unit sizes to try: the member type's own
// size first, then the others from the largest.
func unitCandidates(size uint32) []uint32 {
	out := []uint32{}
	switch size {
	case 1, 2, 4, 8:
		out = append(out, size)
	}
	for _, u := range []uint32{8, 4, 2, 1} {
		if u != size {
			out = append(out, u)
		}
	}
	return out
}

// bitfieldMethods writes the getter and setter of bitfield m stored in
// field (a uintN of gr.unit bytes).
func (g *typeGen) bitfieldMethods(w *fieldWriter, field string, gr *bfGroup, m item) error {
	width := gr.unit * 8
	rel := m.bitOff - gr.start*8
	shift := rel
	if g.bo == binary.BigEndian {
		shift = width - rel - m.bitSize
	}
	mask := uint64(1)<<m.bitSize - 1
	if m.bitSize >= 64 {
		mask = ^uint64(0)
	}
	ut := fmt.Sprintf("uint%d", width)
	_, rt, err := g.spec.Resolve(m.typ)
	if err != nil {
		return err
	}
	goT := ut
	signed := false
	switch rt.Kind {
	case btf.KindInt:
		goT = intType(rt)
		signed = rt.IntEncoding&btf.IntSigned != 0
		if strings.HasPrefix(goT, "[") {
			goT, signed = ut, false
		}
	case btf.KindEnum, btf.KindEnum64:
		if goT, err = g.goType(m.typ, strings.TrimPrefix(w.typeName, g.prefix)+goIdent(m.cname)); err != nil {
			return err
		}
		signed = rt.KindFlag
	}
	get := w.names.add(goIdent(m.cname))
	set := w.names.add("Set" + goIdent(m.cname))
	recv := "s"
	fmt.Fprintf(&w.methods, "\n// %s returns the bitfield %s (%d bits at bit %d).\n", get, m.cname, m.bitSize, m.bitOff)
	fmt.Fprintf(&w.methods, "func (%s *%s) %s() %s {\n", recv, w.typeName, get, goT)
	switch {
	case goT == "bool":
		fmt.Fprintf(&w.methods, "\treturn %s&1 != 0\n}\n", shifted(recv+"."+field, ">>", shift))
	case signed:
		fmt.Fprintf(&w.methods, "\treturn %s(int%d(%s.%s<<%d) >> %d)\n}\n", goT, width, recv, field, width-shift-m.bitSize, width-m.bitSize)
	default:
		fmt.Fprintf(&w.methods, "\treturn %s(%s & %#x)\n}\n", goT, shifted(recv+"."+field, ">>", shift), mask)
	}
	fmt.Fprintf(&w.methods, "\n// %s sets the bitfield %s; bits that do not fit are dropped.\n", set, m.cname)
	fmt.Fprintf(&w.methods, "func (%s *%s) %s(v %s) {\n", recv, w.typeName, set, goT)
	if goT == "bool" {
		fmt.Fprintf(&w.methods, "\tvar b %s\n\tif v {\n\t\tb = 1\n\t}\n", ut)
		fmt.Fprintf(&w.methods, "\t%s.%s = %s.%s&^%s | %s\n}\n", recv, field, recv, field, shifted("1", "<<", shift), shifted("b", "<<", shift))
	} else {
		conv := "v"
		if goT != ut {
			conv = ut + "(v)"
		}
		fmt.Fprintf(&w.methods, "\t%s.%s = %s.%s&^%s | %s\n}\n", recv, field, recv, field,
			shifted(fmt.Sprintf("%#x", mask), "<<", shift), shifted(fmt.Sprintf("%s&%#x", conv, mask), "<<", shift))
	}
	return nil
}

// unionBody lays out a union: its first member, padded to the union's
// size, and an As… accessor per member.
func (g *typeGen) unionBody(name string, items []item, size uint32) (string, error) {
	w := &fieldWriter{typeName: name, names: nameSet{}}
	base := strings.TrimPrefix(name, g.prefix)
	type acc struct{ cname, goT string }
	var accs []acc
	first := true
	for _, it := range items {
		if it.bitfield || it.bitOff != 0 || it.size == 0 {
			continue // bitfields of a union are left to the bytes
		}
		goT, err := g.goType(it.typ, base+goIdent(it.cname))
		if err != nil {
			return "", fmt.Errorf("member %q: %w", it.cname, err)
		}
		if first {
			first = false
			fname := "_"
			if it.cname != "" {
				fname = w.names.add(goIdent(it.cname))
			}
			fmt.Fprintf(&w.fields, "\t%s %s\n", fname, goT)
			w.pos = it.size
		}
		if it.cname != "" {
			accs = append(accs, acc{it.cname, goT})
		}
	}
	if w.pos > size {
		return "", errOpaque
	}
	w.pad(size)
	for _, a := range accs {
		m := w.names.add("As" + goIdent(a.cname))
		g.usesUnsafe = true
		fmt.Fprintf(&w.methods, "\n// %s returns the union's storage as its member %s.\n", m, a.cname)
		fmt.Fprintf(&w.methods, "func (u *%s) %s() *%s {\n\treturn (*%s)(unsafe.Pointer(u))\n}\n", name, m, a.goT, a.goT)
	}
	return fmt.Sprintf("type %s struct {\n%s}\n%s", name, w.fields.String(), w.methods.String()), nil
}

// enum returns the name of the Go type for an enum, generating it and its
// constants on first use.
func (g *typeGen) enum(id btf.TypeID, t *btf.Type, ctx string) (string, error) {
	if name, ok := g.named[id]; ok {
		return name, nil
	}
	var under string
	switch t.Size {
	case 1, 2, 4, 8:
		if t.KindFlag {
			under = fmt.Sprintf("int%d", t.Size*8)
		} else {
			under = fmt.Sprintf("uint%d", t.Size*8)
		}
	default:
		return "", fmt.Errorf("enum %q has size %d", t.Name, t.Size)
	}
	base := ctx
	if t.Name != "" {
		base = goIdent(t.Name)
	}
	if base == "" {
		base = "Enum"
	}
	name := g.names.add(g.prefix + base)
	g.named[id] = name
	var b strings.Builder
	cname := "enum " + t.Name
	if t.Name == "" {
		cname = "an anonymous enum"
	}
	fmt.Fprintf(&b, "// %s is %s.\ntype %s %s\n", name, cname, name, under)
	if len(t.Enums) > 0 {
		fmt.Fprintf(&b, "\n// Values of %s.\nconst (\n", name)
		strip := strings.ToUpper(t.Name) + "_"
		for _, e := range t.Enums {
			vn := e.Name
			if t.Name != "" && strings.HasPrefix(strings.ToUpper(vn), strip) && len(vn) > len(strip) {
				vn = vn[len(strip):]
			}
			cn := g.names.add(name + goIdent(vn))
			v := e.Value
			if t.KindFlag {
				fmt.Fprintf(&b, "\t%s %s = %d\n", cn, name, v)
			} else {
				u := uint64(v)
				if t.Size < 8 {
					u &= 1<<(t.Size*8) - 1
				}
				fmt.Fprintf(&b, "\t%s %s = %d\n", cn, name, u)
			}
		}
		b.WriteString(")\n")
	}
	g.decls = append(g.decls, b.String())
	return name, nil
}

// datasec generates the struct of a global-data section from its DATASEC:
// one field per global variable at its offset, tagged with the
// variable's name. It returns the Go size of the struct: size rounded up
// to the struct's alignment, as Go sizes structs (a section's size need not
// be a multiple of its largest alignment, e.g. .kconfig).
func (g *typeGen) datasec(name, doc string, datasec btf.TypeID, size uint32) (uint32, error) {
	t, err := g.spec.Type(datasec)
	if err != nil {
		return 0, err
	}
	if t.Kind != btf.KindDatasec {
		return 0, fmt.Errorf("type %d is %s, not DATASEC", datasec, t.Kind)
	}
	var items []item
	for _, v := range t.Vars {
		vt, err := g.spec.Type(v.Type)
		if err != nil {
			return 0, err
		}
		// Static variables are not part of the object's interface (libbpf
		// leaves them out of skeletons too); they stay in the padding.
		if vt.Kind != btf.KindVar || vt.Linkage == btf.LinkageStatic {
			continue
		}
		items = append(items, item{cname: vt.Name, typ: vt.Type, bitOff: v.Offset * 8, size: v.Size})
	}
	align := uint32(1)
	for _, it := range items {
		align = max(align, g.alignOf(it.typ))
	}
	goSize := (size + align - 1) / align * align
	slot := len(g.decls)
	g.decls = append(g.decls, "")
	body, err := g.structBody(name, items, goSize, true)
	if err != nil {
		return 0, fmt.Errorf("section %s: %w", t.Name, err)
	}
	g.decls[slot] = doc + body
	g.assertSize(name, goSize)
	return goSize, nil
}

// shifted writes "(x op n)", or just x when n is 0.
func shifted(x, op string, n uint32) string {
	if strings.ContainsAny(x, "&|") {
		x = "(" + x + ")"
	}
	if n == 0 {
		return x
	}
	return fmt.Sprintf("(%s %s %d)", x, op, n)
}
