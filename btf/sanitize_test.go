package btf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
)

// FeatureSet is a named set of features the sanitizing tests use.
type FeatureSet struct {
	Name string
	F    Features
}

// SanitizeFeatureSets is every feature missing alone, the feature set of
// Linux 5.10 (Debian bullseye's kernel) and nothing at all.
func SanitizeFeatureSets() []FeatureSet {
	all := AllFeatures()
	missing := func(name string, clear func(*Features)) FeatureSet {
		f := all
		clear(&f)
		return FeatureSet{"no " + name, f}
	}
	return []FeatureSet{
		missing("func", func(f *Features) { f.Func = false }),
		missing("global func", func(f *Features) { f.GlobalFunc = false }),
		missing("datasec", func(f *Features) { f.Datasec = false }),
		missing("qmark datasec", func(f *Features) { f.QmarkDatasec = false }),
		missing("float", func(f *Features) { f.Float = false }),
		missing("decl_tag", func(f *Features) { f.DeclTag = false }),
		missing("type_tag", func(f *Features) { f.TypeTag = false }),
		missing("enum64", func(f *Features) { f.Enum64 = false }),
		{"5.10", Features{Func: true, GlobalFunc: true, Datasec: true}},
		{"none", Features{}},
	}
}

// CheckSanitized checks that san is what Sanitize must make of orig for
// f, type by type, without using Sanitize's code: every type id of orig is
// kept with a record of the same size, only the kinds f lacks are
// rewritten and as specified, the string table differs only by renamed
// DATASECs and the appended placeholder name, and san marshals to bytes
// that parse back to san. It returns san's marshalled bytes.
func CheckSanitized(t testing.TB, orig, san *Spec, f Features) []byte {
	t.Helper()
	origRaw, err := orig.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := san.Marshal()
	if err != nil {
		t.Fatalf("Marshal of the sanitized BTF: %v", err)
	}
	if err := checkSanitized(orig, san, f); err != nil {
		t.Fatal(err)
	}
	if err := checkSanitizedBytes(orig, origRaw, raw); err != nil {
		t.Fatal(err)
	}
	if err := checkSanitizedStrings(orig, san, origRaw, raw, f); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse of the sanitized BTF: %v", err)
	}
	if !reflect.DeepEqual(back.types, san.types) {
		t.Fatal("the sanitized Spec differs from its own marshalled bytes parsed back")
	}
	// Nothing is left to rewrite.
	if again, err := san.Sanitize(f); err != nil || again != san {
		t.Fatalf("sanitizing the sanitized BTF again: %v (changed: %v)", err, again != san)
	}
	return raw
}

func checkSanitized(orig, san *Spec, f Features) error {
	wantN := orig.NumTypes()
	var placeholder TypeID
	if !f.Enum64 {
		for _, typ := range orig.Types() {
			if typ.Kind == KindEnum64 {
				placeholder = TypeID(wantN)
				wantN++
				break
			}
		}
	}
	if !orig.NeedsSanitize(f) {
		if san != orig {
			return errors.New("Sanitize of BTF that needs nothing returned a new Spec")
		}
		return nil
	}
	if san.NumTypes() != wantN {
		return fmt.Errorf("%d types after sanitizing, want %d", san.NumTypes(), wantN)
	}
	if placeholder != 0 {
		p, _ := san.Type(placeholder)
		if p.Kind != KindInt || p.Name != Enum64Placeholder || p.Size != 1 || p.IntBits != 8 || p.IntOffset != 0 || p.IntEncoding != 0 || p.KindFlag {
			return fmt.Errorf("placeholder [%d] is %+v, want a 1-byte INT %q", placeholder, *p, Enum64Placeholder)
		}
	}
	for id := TypeID(1); int(id) < orig.NumTypes(); id++ {
		o, _ := orig.Type(id)
		n, _ := san.Type(id)
		if err := checkType(orig, san, id, o, n, f, placeholder); err != nil {
			return fmt.Errorf("type [%d] %s %q: %w", id, o.Kind, o.Name, err)
		}
		if n.Name != mustString(san, n.NameOff) {
			return fmt.Errorf("type [%d]: name %q, but its name offset reads %q", id, n.Name, mustString(san, n.NameOff))
		}
	}
	return nil
}

func mustString(s *Spec, off uint32) string {
	str, err := s.StringAt(off)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return str
}

// underscored is name with the characters libbpf replaces replaced.
func underscored(name string, all bool) string {
	if !all {
		if strings.HasPrefix(name, "?") {
			return "_" + name[1:]
		}
		return name
	}
	return strings.NewReplacer(".", "_", "?", "_").Replace(name)
}

func int1(o, n *Type) error {
	if n.Kind != KindInt || n.NameOff != o.NameOff || n.Size != 1 || n.IntBits != 8 || n.IntOffset != 0 || n.IntEncoding != 0 || n.KindFlag {
		return fmt.Errorf("became %+v, want a 1-byte INT of the same name", *n)
	}
	return nil
}

func checkType(orig, san *Spec, id TypeID, o, n *Type, f Features, placeholder TypeID) error {
	switch {
	case o.Kind == KindVar && !f.Datasec, o.Kind == KindDeclTag && !f.DeclTag:
		return int1(o, n)
	case o.Kind == KindDatasec && !f.Datasec:
		if n.Kind != KindStruct || n.NameOff != o.NameOff || n.Size != o.Size || n.KindFlag || len(n.Members) != len(o.Vars) {
			return fmt.Errorf("became %s size %d with %d members, want a STRUCT of size %d with %d", n.Kind, n.Size, len(n.Members), o.Size, len(o.Vars))
		}
		if want := underscored(o.Name, true); n.Name != want {
			return fmt.Errorf("named %q, want %q", n.Name, want)
		}
		for j, v := range o.Vars {
			vt, _ := san.Type(v.Type)
			m := n.Members[j]
			if m.Type != v.Type || m.Offset != v.Offset*8 || m.BitfieldSize != 0 || m.NameOff != vt.NameOff {
				return fmt.Errorf("member %d is %+v, want type %d at bit %d named as the variable", j, m, v.Type, v.Offset*8)
			}
		}
		return nil
	case o.Kind == KindDatasec && !f.QmarkDatasec && strings.HasPrefix(o.Name, "?"):
		want := *o
		want.Name = underscored(o.Name, false)
		if !reflect.DeepEqual(*n, want) {
			return fmt.Errorf("became %+v, want the same DATASEC named %q", *n, want.Name)
		}
		return nil
	case o.Kind == KindFuncProto && !f.Func:
		if n.Kind != KindEnum || n.NameOff != o.NameOff || n.Size != 4 || n.KindFlag || len(n.Enums) != len(o.Params) {
			return fmt.Errorf("became %s size %d with %d values, want a 4-byte ENUM with %d", n.Kind, n.Size, len(n.Enums), len(o.Params))
		}
		for j, p := range o.Params {
			e := n.Enums[j]
			if e.Value != int64(p.Type) {
				return fmt.Errorf("enumerator %d is %+v, want param %+v valued with its type", j, e, p)
			}
			if p.NameOff == 0 {
				// An unnamed parameter's enumerator gets a name.
				if want := fmt.Sprintf("anon_param%d", j); e.Name != want || e.NameOff == 0 || mustString(san, e.NameOff) != want {
					return fmt.Errorf("enumerator %d of an unnamed param is %+v, want it named %q", j, e, want)
				}
			} else if e.NameOff != p.NameOff || e.Name != p.Name {
				return fmt.Errorf("enumerator %d is %+v, want param %+v's name", j, e, p)
			}
		}
		return nil
	case o.Kind == KindFunc && !f.Func:
		if n.Kind != KindTypedef || n.NameOff != o.NameOff || n.Type != o.Type || n.KindFlag {
			return fmt.Errorf("became %+v, want a TYPEDEF of type %d", *n, o.Type)
		}
		return nil
	case o.Kind == KindFunc && !f.GlobalFunc:
		if n.Kind != KindFunc || n.NameOff != o.NameOff || n.Type != o.Type || n.Vlen != LinkageStatic || n.KindFlag {
			return fmt.Errorf("became %+v, want a static FUNC", *n)
		}
		return nil
	case o.Kind == KindFloat && !f.Float:
		if n.Kind != KindStruct || n.NameOff != 0 || n.Size != o.Size || len(n.Members) != 0 || n.KindFlag {
			return fmt.Errorf("became %+v, want an anonymous empty STRUCT of size %d", *n, o.Size)
		}
		return nil
	case o.Kind == KindTypeTag && !f.TypeTag:
		if n.Kind != KindConst || n.NameOff != 0 || n.Type != o.Type || n.KindFlag {
			return fmt.Errorf("became %+v, want an anonymous CONST of type %d", *n, o.Type)
		}
		return nil
	case o.Kind == KindEnum && !f.Enum64:
		if n.Kind != KindEnum || n.NameOff != o.NameOff || n.Size != o.Size || n.KindFlag || len(n.Enums) != len(o.Enums) {
			return fmt.Errorf("became %+v, want the same ENUM without kind_flag", *n)
		}
		for j, e := range o.Enums {
			if ne := n.Enums[j]; ne.NameOff != e.NameOff || ne.Value != int64(uint32(e.Value)) {
				return fmt.Errorf("enumerator %d is %+v, was %+v", j, ne, e)
			}
		}
		return nil
	case o.Kind == KindEnum64 && !f.Enum64:
		if n.Kind != KindUnion || n.NameOff != o.NameOff || n.Size != o.Size || n.KindFlag || len(n.Members) != len(o.Enums) {
			return fmt.Errorf("became %s size %d with %d members, want a UNION of size %d with %d", n.Kind, n.Size, len(n.Members), o.Size, len(o.Enums))
		}
		for j, e := range o.Enums {
			if m := n.Members[j]; m.NameOff != e.NameOff || m.Type != placeholder || m.Offset != 0 || m.BitfieldSize != 0 {
				return fmt.Errorf("member %d is %+v, want %q of type %d at 0", j, m, e.Name, placeholder)
			}
		}
		return nil
	}
	// Anything else is the same record; its names may only differ where a
	// renamed DATASEC's bytes are shared.
	if !sameIgnoringNames(*o, *n) {
		return fmt.Errorf("changed to %+v", *n)
	}
	return nil
}

// sameIgnoringNames compares two types field by field, names by offset.
func sameIgnoringNames(a, b Type) bool {
	a.Name, b.Name = "", ""
	clear := func(t *Type) {
		t.Members = append([]Member(nil), t.Members...)
		for i := range t.Members {
			t.Members[i].Name = ""
		}
		t.Enums = append([]EnumValue(nil), t.Enums...)
		for i := range t.Enums {
			t.Enums[i].Name = ""
		}
		t.Params = append([]Param(nil), t.Params...)
		for i := range t.Params {
			t.Params[i].Name = ""
		}
	}
	clear(&a)
	clear(&b)
	return reflect.DeepEqual(a, b)
}

// rawSections splits marshalled BTF into its type and string sections.
func rawSections(raw []byte, bo binary.ByteOrder) (types, strs []byte) {
	hdr := bo.Uint32(raw[4:])
	typeOff, typeLen := bo.Uint32(raw[8:]), bo.Uint32(raw[12:])
	strOff, strLen := bo.Uint32(raw[16:]), bo.Uint32(raw[20:])
	return raw[hdr+typeOff : hdr+typeOff+typeLen], raw[hdr+strOff : hdr+strOff+strLen]
}

// checkSanitizedBytes walks both type sections: each of orig's types
// starts at the same offset in san and takes as many bytes.
func checkSanitizedBytes(orig *Spec, origRaw, raw []byte) error {
	bo := orig.ByteOrder()
	if !bytes.Equal(origRaw[:4], raw[:4]) || bo.Uint32(origRaw[4:]) != bo.Uint32(raw[4:]) {
		return errors.New("the header's magic, version, flags or length changed")
	}
	ot, _ := rawSections(origRaw, bo)
	nt, _ := rawSections(raw, bo)
	off := 0
	for id := 1; id < orig.NumTypes(); id++ {
		osz, ok1 := rawRecordSize(ot[off:], bo)
		nsz, ok2 := rawRecordSize(nt[off:], bo)
		if !ok1 || !ok2 || osz != nsz {
			return fmt.Errorf("type [%d] at offset %#x: record of %d bytes became %d", id, off, osz, nsz)
		}
		off += osz
	}
	return nil
}

func rawRecordSize(rec []byte, bo binary.ByteOrder) (int, bool) {
	if len(rec) < typeHdrSize {
		return 0, false
	}
	info := bo.Uint32(rec[4:])
	n, ok := trailing(Kind(info>>24&0x1f), uint16(info))
	return typeHdrSize + n, ok
}

// checkSanitizedStrings: the string table is orig's with renamed DATASEC
// names, followed by the names Sanitize adds (the ENUM64 placeholder's,
// unnamed parameters' "anon_param<i>"), each once.
func checkSanitizedStrings(orig, san *Spec, origRaw, raw []byte, f Features) error {
	bo := orig.ByteOrder()
	_, os := rawSections(origRaw, bo)
	_, ns := rawSections(raw, bo)
	want := append([]byte(nil), os...)
	for _, typ := range orig.Types() {
		if typ.Kind != KindDatasec {
			continue
		}
		var name string
		switch {
		case !f.Datasec:
			name = underscored(typ.Name, true)
		case !f.QmarkDatasec:
			name = underscored(typ.Name, false)
		default:
			continue
		}
		copy(want[typ.NameOff:], name)
	}
	if len(ns) < len(want) || !bytes.Equal(ns[:len(want)], want) {
		return errors.New("string table: the original part differs from the original with its DATASECs renamed")
	}
	if len(ns) == len(want) {
		return nil
	}
	added := strings.Split(strings.TrimSuffix(string(ns[len(want):]), "\x00"), "\x00")
	seen := map[string]bool{}
	for _, a := range added {
		ok := a == Enum64Placeholder
		if rest, found := strings.CutPrefix(a, "anon_param"); found && rest != "" && strings.Trim(rest, "0123456789") == "" {
			ok = true
		}
		if !ok || seen[a] || bytes.Contains(os, []byte("\x00"+a+"\x00")) {
			return fmt.Errorf("string table: appended %q, which Sanitize has no reason to add", a)
		}
		seen[a] = true
	}
	return nil
}

// Sanitizing the all-kinds blob, in both byte orders, rewrites exactly
// what each feature set lacks, and the kernel accepts the result.
func TestSanitizeAllKinds(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		raw, _ := allKinds(bo)
		orig := mustParse(t, raw)
		for _, fs := range SanitizeFeatureSets() {
			t.Run(fmt.Sprintf("%v/%s", bo, fs.Name), func(t *testing.T) {
				san, err := orig.Sanitize(fs.F)
				if err != nil {
					t.Fatal(err)
				}
				// The blob has every kind but no DATASEC named with '?'.
				if wantSame := fs.Name == "no qmark datasec"; (san == orig) != wantSame {
					t.Fatalf("Sanitize returned the Spec itself: %v, want %v", san == orig, wantSame)
				}
				out := CheckSanitized(t, orig, san, fs.F)
				// The original is untouched.
				if again, _ := orig.Marshal(); !bytes.Equal(again, raw) {
					t.Fatal("Sanitize changed the original Spec")
				}
				got, err := SanitizeRaw(raw, fs.F)
				if err != nil || !bytes.Equal(got, out) {
					t.Fatalf("SanitizeRaw differs from Sanitize + Marshal (%v)", err)
				}
				if bo.Uint16([]byte{1, 0}) == binary.NativeEndian.Uint16([]byte{1, 0}) {
					LoadSanitized(t, "sanitized all-kinds BTF", orig, fs.F)
				}
			})
		}
	}
}

// The rewrites, spelled out on the all-kinds blob with 5.10's features
// missing and with none at all.
func TestSanitizeAllKindsExact(t *testing.T) {
	raw, _ := allKinds(binary.LittleEndian)
	orig := mustParse(t, raw)
	kinds := func(s *Spec) string {
		var b strings.Builder
		for id, typ := range s.Types() {
			if id > 0 {
				fmt.Fprintf(&b, "%d:%s%q ", id, typ.Kind, typ.Name)
			}
		}
		return strings.TrimSpace(b.String())
	}
	for _, tt := range []struct {
		f    Features
		want string
	}{
		{Features{Func: true, GlobalFunc: true, Datasec: true},
			`1:INT"int" 2:PTR"" 3:ARRAY"" 4:STRUCT"s" 5:UNION"u" 6:ENUM"e" 7:FWD"fwd_s" 8:TYPEDEF"td" 9:VOLATILE"" 10:CONST"" ` +
				`11:RESTRICT"" 12:FUNC_PROTO"" 13:FUNC"f" 14:VAR"v" 15:DATASEC".data" 16:STRUCT"" 17:INT"tag" 18:CONST"" 19:PTR"" ` +
				`20:UNION"e64" 21:INT"ftag" 22:INT"enum64_placeholder"`},
		{Features{},
			`1:INT"int" 2:PTR"" 3:ARRAY"" 4:STRUCT"s" 5:UNION"u" 6:ENUM"e" 7:FWD"fwd_s" 8:TYPEDEF"td" 9:VOLATILE"" 10:CONST"" ` +
				`11:RESTRICT"" 12:ENUM"" 13:TYPEDEF"f" 14:INT"v" 15:STRUCT"_data" 16:STRUCT"" 17:INT"tag" 18:CONST"" 19:PTR"" ` +
				`20:UNION"e64" 21:INT"ftag" 22:INT"enum64_placeholder"`},
	} {
		san, err := orig.Sanitize(tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(san); got != tt.want {
			t.Errorf("%+v:\n got %s\nwant %s", tt.f, got, tt.want)
		}
	}
	san, _ := orig.Sanitize(Features{})
	e, _ := san.Type(6)
	if e.KindFlag || e.Enums[0].Value != 0xffffffff {
		t.Errorf("signed ENUM: %+v, want kind_flag cleared and -1 read as 0xffffffff", *e)
	}
	u, _ := san.Type(20)
	if len(u.Members) != 2 || u.Members[1].Name != "Y" || u.Members[1].Type != 22 || u.Size != 8 {
		t.Errorf("ENUM64 became %+v", *u)
	}
	st, _ := san.Type(15)
	if len(st.Members) != 1 || st.Members[0].Name != "v" || st.Members[0].Type != 14 || st.Size != 4 {
		t.Errorf("DATASEC became %+v", *st)
	}
	proto, _ := san.Type(12)
	if len(proto.Enums) != 2 || proto.Enums[1].Name != "b" || proto.Enums[1].Value != 2 {
		t.Errorf("FUNC_PROTO became %+v", *proto)
	}
}

// DATASECs named with a leading '?' or with dots, one of them sharing its
// name's bytes with another type's name.
func TestSanitizeDatasecNames(t *testing.T) {
	blob := func(shared bool) []byte {
		b := newBuilder(binary.NativeEndian)
		i32 := b.intType("int", 4, IntSigned, 32)
		v := b.typ("v", KindVar, false, 0, uint32(i32), LinkageGlobal)
		w := b.typ("w", KindVar, false, 0, uint32(i32), LinkageGlobal)
		b.typ("?.struct_ops.x", KindDatasec, false, 1, 4, uint32(v), 0, 4) // 4
		b.typ(".data.y", KindDatasec, false, 1, 4, uint32(w), 0, 4)        // 5
		if shared {
			// [6] a TYPEDEF named by the tail ".y" of [5]'s name.
			b.u32(b.str(".data.y")+5, uint32(KindTypedef)<<24, uint32(i32))
		}
		return b.bytes()
	}
	features := func(clear func(*Features)) Features {
		f := AllFeatures()
		clear(&f)
		return f
	}
	qmark := features(func(f *Features) { f.QmarkDatasec = false })
	nodatasec := features(func(f *Features) { f.Datasec = false })

	orig := mustParse(t, blob(false))
	san, err := orig.Sanitize(qmark)
	if err != nil {
		t.Fatal(err)
	}
	CheckSanitized(t, orig, san, qmark)
	LoadSanitized(t, "DATASEC '?' renamed", orig, qmark)
	for id, want := range map[TypeID]string{4: "_.struct_ops.x", 5: ".data.y"} {
		if got, _ := san.Type(id); got.Kind != KindDatasec || got.Name != want {
			t.Errorf("type [%d] is %s %q, want DATASEC %q", id, got.Kind, got.Name, want)
		}
	}

	orig = mustParse(t, blob(true))
	san, err = orig.Sanitize(nodatasec)
	if err != nil {
		t.Fatal(err)
	}
	// The original TYPEDEF name ".y" is invalid; the rename makes it "_y".
	CheckSanitized(t, orig, san, nodatasec)
	LoadSanitized(t, "DATASECs as STRUCTs", orig, nodatasec)
	for id, want := range map[TypeID]string{4: "__struct_ops_x", 5: "_data_y", 6: "_y"} {
		if got, _ := san.Type(id); got.Name != want {
			t.Errorf("type [%d] named %q, want %q", id, got.Name, want)
		}
	}
	for id, want := range map[TypeID]string{4: "?.struct_ops.x", 5: ".data.y", 6: ".y"} {
		if got, _ := orig.Type(id); got.Name != want {
			t.Errorf("original type [%d] renamed to %q", id, got.Name)
		}
	}
}

// BTF that needs nothing comes back as it is: the same Spec, the same
// bytes.
func TestSanitizeNothingToDo(t *testing.T) {
	raw, _ := allKinds(binary.NativeEndian)
	s := mustParse(t, raw)
	if san, err := s.Sanitize(AllFeatures()); err != nil || san != s {
		t.Fatalf("Sanitize(AllFeatures()) = %p, %v; want the Spec itself", san, err)
	}
	if got, err := SanitizeRaw(raw, AllFeatures()); err != nil || &got[0] != &raw[0] || len(got) != len(raw) {
		t.Fatalf("SanitizeRaw(AllFeatures()) did not return its input (%v)", err)
	}

	// Only an INT and a struct: no feature is used.
	b := newBuilder(binary.NativeEndian)
	i32 := b.intType("int", 4, IntSigned, 32)
	b.composite(KindStruct, "s", 4, false, bm{"x", i32, 0, 0})
	plain := b.bytes()
	ps := mustParse(t, plain)
	for _, fs := range SanitizeFeatureSets() {
		if ps.NeedsSanitize(fs.F) {
			t.Errorf("%s: NeedsSanitize of BTF without any feature", fs.Name)
		}
		if san, err := ps.Sanitize(fs.F); err != nil || san != ps {
			t.Errorf("%s: Sanitize returned a new Spec (%v)", fs.Name, err)
		}
		if got, err := SanitizeRaw(plain, fs.F); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: SanitizeRaw changed the bytes (%v)", fs.Name, err)
		}
	}
}

// A static FUNC, an unsigned ENUM and a DATASEC without '?' need nothing
// even when the features they could use are missing.
func TestSanitizeOnlyWhatIsUsed(t *testing.T) {
	b := newBuilder(binary.NativeEndian)
	i32 := b.intType("int", 4, IntSigned, 32)
	proto := b.typ("", KindFuncProto, false, 0, uint32(i32))
	b.typ("f", KindFunc, false, LinkageStatic, uint32(proto))
	b.typ("e", KindEnum, false, 1, 4, b.str("A"), 1)
	v := b.typ("v", KindVar, false, 0, uint32(i32), LinkageGlobal)
	b.typ(".data", KindDatasec, false, 1, 4, uint32(v), 0, 4)
	s := mustParse(t, b.bytes())
	f := Features{Func: true, Datasec: true}
	if san, err := s.Sanitize(f); err != nil || san != s {
		t.Fatalf("Sanitize(%+v) rewrote BTF that uses none of the missing features (%v)", f, err)
	}
}

func TestSanitizeSplit(t *testing.T) {
	raw, _ := allKinds(binary.NativeEndian)
	base := mustParse(t, raw)
	b := newSplitBuilder(base)
	b.typ("g", KindFloat, false, 0, 8)
	split, err := ParseSplit(b.bytes(), base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := split.Sanitize(Features{}); err == nil {
		t.Fatal("Sanitize of split BTF succeeded")
	}
}

// LoadSanitized loads orig, sanitized for f, into the running kernel,
// which must accept it. Where the kernel lacks features that f has, it
// loads orig sanitized for the features both have instead (what the
// direct load would do with BTF sanitized for f), and logs that.
func LoadSanitized(t *testing.T, what string, orig *Spec, f Features) {
	t.Helper()
	kf := kernel.BTFFeatures()
	if !kf.BTF {
		requireKernel(t, "BPF_BTF_LOAD refuses even a single INT")
	}
	both := Features{
		Func: f.Func && kf.Func, GlobalFunc: f.GlobalFunc && kf.GlobalFunc,
		Datasec: f.Datasec && kf.Datasec, QmarkDatasec: f.QmarkDatasec && kf.QmarkDatasec,
		Float: f.Float && kf.Float, DeclTag: f.DeclTag && kf.DeclTag,
		TypeTag: f.TypeTag && kf.TypeTag, Enum64: f.Enum64 && kf.Enum64,
	}
	if both != f {
		t.Logf("this kernel lacks some of %+v: loading the BTF sanitized for %+v", f, both)
	}
	san, err := orig.Sanitize(both)
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, what, CheckSanitized(t, orig, san, both))
}

// Unnamed parameters (and a variadic tail) become enumerators named
// "anon_param<i>": the kernel wants every enumerator named. A name the
// string table already has is reused.
func TestSanitizeUnnamedParams(t *testing.T) {
	b := newBuilder(binary.NativeEndian)
	i32 := b.intType("int", 4, IntSigned, 32)
	b.typ("", KindFuncProto, false, 3, uint32(i32), // 2: int (int x, int, ...)
		b.str("x"), uint32(i32), 0, uint32(i32), 0, 0)
	b.typ("", KindFuncProto, false, 1, 0, 0, uint32(i32)) // 3: void (int)
	b.str("anon_param2")
	orig := mustParse(t, b.bytes())
	f := AllFeatures()
	f.Func = false
	san, err := orig.Sanitize(f)
	if err != nil {
		t.Fatal(err)
	}
	CheckSanitized(t, orig, san, f)
	LoadSanitized(t, "FUNC_PROTOs with unnamed params as ENUMs", orig, f)
	want := map[TypeID][]string{2: {"x", "anon_param1", "anon_param2"}, 3: {"anon_param0"}}
	for id, names := range want {
		e, _ := san.Type(id)
		var got []string
		for _, v := range e.Enums {
			got = append(got, v.Name)
		}
		if !reflect.DeepEqual(got, names) {
			t.Errorf("type [%d]: enumerators %q, want %q", id, got, names)
		}
	}
	// Offsets: "anon_param2" was there; "anon_param1" and "anon_param0"
	// are appended once each.
	e2, _ := san.Type(2)
	e3, _ := san.Type(3)
	end := uint32(len(orig.strings))
	if e2.Enums[2].NameOff >= end || e2.Enums[1].NameOff != end || e3.Enums[0].NameOff != end+uint32(len("anon_param1"))+1 {
		t.Errorf("name offsets %d, %d, %d (original table: %d bytes)", e2.Enums[1].NameOff, e2.Enums[2].NameOff, e3.Enums[0].NameOff, len(orig.strings))
	}
}

// Why Sanitize names unnamed parameters' enumerators where libbpf does
// not: the kernel refuses an ENUM with a nameless enumerator.
func TestKernelRefusesNamelessEnumerator(t *testing.T) {
	b := newBuilder(binary.NativeEndian)
	b.typ("", KindEnum, false, 1, 4, 0, 1)
	fd, log, err := btfLoad(b.bytes())
	if errors.Is(err, unix.EPERM) {
		requireKernel(t, "BPF_BTF_LOAD: %v", err)
	}
	if err == nil {
		unix.Close(fd)
		t.Fatal("the kernel accepted an ENUM with a nameless enumerator")
	}
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(log, "Invalid name") {
		t.Fatalf("got %v, want EINVAL with \"Invalid name\" in the log:\n%s", err, log)
	}
}
