package btf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, raw []byte) *Spec {
	t.Helper()
	s, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestAllKindsRoundTrip(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			raw, _ := allKinds(bo)
			s := mustParse(t, raw)
			if s.ByteOrder() != bo {
				t.Errorf("ByteOrder = %v, want %v", s.ByteOrder(), bo)
			}
			if got, want := s.NumTypes(), 22; got != want {
				t.Fatalf("NumTypes = %d, want %d", got, want)
			}
			out, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, raw) {
				t.Fatalf("Marshal differs from input:\n got %x\nwant %x", out, raw)
			}
			s2 := mustParse(t, out)
			if !reflect.DeepEqual(s.types, s2.types) {
				t.Fatal("types differ after round trip")
			}
		})
	}
}

func TestAllKindsDecoded(t *testing.T) {
	raw, _ := allKinds(binary.LittleEndian)
	s := mustParse(t, raw)
	ty := func(id TypeID) *Type {
		t.Helper()
		typ, err := s.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		return typ
	}
	wantKinds := []Kind{KindUnknown, KindInt, KindPtr, KindArray, KindStruct, KindUnion, KindEnum,
		KindFwd, KindTypedef, KindVolatile, KindConst, KindRestrict, KindFuncProto, KindFunc,
		KindVar, KindDatasec, KindFloat, KindDeclTag, KindTypeTag, KindPtr, KindEnum64, KindDeclTag}
	for id, k := range wantKinds {
		if got := ty(TypeID(id)).Kind; got != k {
			t.Errorf("type %d: kind %v, want %v", id, got, k)
		}
	}
	if i := ty(1); i.Name != "int" || i.Size != 4 || i.IntBits != 32 || i.IntEncoding != IntSigned {
		t.Errorf("int: %+v", i)
	}
	if a := ty(3).Array; a != (Array{Type: 1, IndexType: 1, Nelems: 4}) {
		t.Errorf("array: %+v", a)
	}
	st := ty(4)
	wantMembers := []Member{
		{Name: "x", NameOff: st.Members[0].NameOff, Type: 1, Offset: 0, BitfieldSize: 3},
		{Name: "y", NameOff: st.Members[1].NameOff, Type: 1, Offset: 3, BitfieldSize: 5},
		{Name: "p", NameOff: st.Members[2].NameOff, Type: 2, Offset: 64},
		{Name: "a", NameOff: st.Members[3].NameOff, Type: 3, Offset: 128},
	}
	if !reflect.DeepEqual(st.Members, wantMembers) {
		t.Errorf("struct members:\n got %+v\nwant %+v", st.Members, wantMembers)
	}
	if e := ty(6).Enums; len(e) != 2 || e[0].Name != "A" || e[0].Value != -1 || e[1].Value != 7 {
		t.Errorf("enum: %+v", e)
	}
	if e := ty(20).Enums; len(e) != 2 || e[0].Value != 0x1122334455667788 || e[1].Value != -2 {
		t.Errorf("enum64: %+v", e)
	}
	if p := ty(12).Params; len(p) != 2 || p[1].Name != "b" || p[1].Type != 2 || ty(12).Type != 1 {
		t.Errorf("func_proto: %+v", ty(12))
	}
	if f := ty(13); f.Vlen != LinkageGlobal || f.Type != 12 || f.Name != "f" {
		t.Errorf("func: %+v", f)
	}
	if v := ty(14); v.Linkage != LinkageGlobal || v.Type != 1 {
		t.Errorf("var: %+v", v)
	}
	if d := ty(15); d.Name != ".data" || d.Size != 4 || !reflect.DeepEqual(d.Vars, []VarSecinfo{{14, 0, 4}}) {
		t.Errorf("datasec: %+v", d)
	}
	if d := ty(17); d.ComponentIdx != 0 || d.Type != 4 {
		t.Errorf("decl_tag: %+v", d)
	}
	if d := ty(21); d.ComponentIdx != -1 || d.Type != 13 {
		t.Errorf("decl_tag on func: %+v", d)
	}
	if tt := ty(18); tt.Name != "user" || tt.Type != 1 {
		t.Errorf("type_tag: %+v", tt)
	}
}

func TestLookups(t *testing.T) {
	raw, ds := allKinds(binary.LittleEndian)
	s := mustParse(t, raw)

	id, typ, err := s.TypeByName("s", KindStruct)
	if err != nil || id != 4 || typ.Name != "s" {
		t.Errorf(`TypeByName("s", STRUCT) = %d, %v, %v`, id, typ, err)
	}
	if _, _, err := s.TypeByName("s", KindUnion); !errors.Is(err, ErrNotFound) {
		t.Errorf("TypeByName of wrong kind: err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.TypeByName("nope", KindStruct); !errors.Is(err, ErrNotFound) {
		t.Errorf("TypeByName of missing name: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Type(22); err == nil || !strings.Contains(err.Error(), "22") {
		t.Errorf("Type(22) err = %v, want an error naming 22", err)
	}
	if str, err := s.StringAt(typ.NameOff); err != nil || str != "s" {
		t.Errorf("StringAt = %q, %v", str, err)
	}
	if _, err := s.StringAt(1 << 20); err == nil {
		t.Error("StringAt out of range: no error")
	}

	resolve := []struct {
		id, want TypeID
	}{
		{8, 4},  // typedef td -> struct s
		{10, 1}, // const volatile int -> int
		{11, 2}, // restrict ptr -> ptr
		{18, 1}, // type tag -> int
		{2, 2},  // ptr stays
		{0, 0},  // void
	}
	for _, r := range resolve {
		got, _, err := s.Resolve(r.id)
		if err != nil || got != r.want {
			t.Errorf("Resolve(%d) = %d, %v; want %d", r.id, got, err, r.want)
		}
	}

	sizes := []struct {
		id   TypeID
		want uint32
	}{
		{1, 4}, {2, 8}, {3, 16}, {4, 32}, {5, 8}, {6, 4}, {8, 32}, {10, 4}, {11, 8},
		{14, 4}, {ds, 4}, {16, 4}, {18, 4}, {20, 8},
	}
	for _, sz := range sizes {
		got, err := s.Size(sz.id)
		if err != nil || got != sz.want {
			t.Errorf("Size(%d) = %d, %v; want %d", sz.id, got, err, sz.want)
		}
	}
	for _, id := range []TypeID{0, 7, 12, 13, 17} {
		if _, err := s.Size(id); err == nil {
			t.Errorf("Size(%d) (%s): no error", id, s.kindOf(id))
		}
	}

	st, _ := s.Type(4)
	bitfields := []struct {
		off, size uint32
		isBF      bool
	}{{0, 3, true}, {3, 5, true}, {64, 64, false}, {128, 128, false}}
	for i, want := range bitfields {
		off, size, isBF, err := s.Bitfield(st, i)
		if err != nil || off != want.off || size != want.size || isBF != want.isBF {
			t.Errorf("Bitfield(s, %d) = %d, %d, %v, %v; want %+v", i, off, size, isBF, err, want)
		}
	}

	n := 0
	for id, typ := range s.Types() {
		if TypeID(n) != id || typ != &s.types[n] {
			t.Fatalf("Types(): item %d has id %d", n, id)
		}
		n++
	}
	if n != s.NumTypes() {
		t.Errorf("Types() yielded %d, want %d", n, s.NumTypes())
	}
}

func TestBitfieldWithoutKindFlag(t *testing.T) {
	b := newBuilder(binary.LittleEndian)
	u := b.intType("unsigned int", 4, 0, 32)
	// An old-style bitfield: the INT itself carries offset 2 and 5 bits.
	bf := b.typ("", KindInt, false, 0, 4, 2<<16|5)
	st := b.composite(KindStruct, "old", 8, false, bm{"plain", u, 0, 0}, bm{"bits", bf, 32, 0})
	s := mustParse(t, b.bytes())
	typ, _ := s.Type(st)
	off, size, isBF, err := s.Bitfield(typ, 1)
	if err != nil || off != 34 || size != 5 || !isBF {
		t.Errorf("Bitfield = %d, %d, %v, %v; want 34, 5, true", off, size, isBF, err)
	}
	off, size, isBF, err = s.Bitfield(typ, 0)
	if err != nil || off != 0 || size != 32 || isBF {
		t.Errorf("Bitfield = %d, %d, %v, %v; want 0, 32, false", off, size, isBF, err)
	}
}

func TestSetDatasec(t *testing.T) {
	raw, ds := allKinds(binary.BigEndian)
	s := mustParse(t, raw)
	want := []VarSecinfo{{Type: 14, Offset: 8, Size: 4}}
	if err := s.SetDatasec(ds, 12, want); err != nil {
		t.Fatal(err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s2 := mustParse(t, out)
	d, _ := s2.Type(ds)
	if d.Size != 12 || !reflect.DeepEqual(d.Vars, want) {
		t.Errorf("after SetDatasec+Marshal+Parse: size %d vars %+v", d.Size, d.Vars)
	}

	bad := []struct {
		name string
		id   TypeID
		vars []VarSecinfo
		want string
	}{
		{"not a datasec", 4, want, "not DATASEC"},
		{"out of range", 99, want, "99"},
		{"var count", ds, nil, "has 1 vars, got 0"},
		{"var type", ds, []VarSecinfo{{Type: 99}}, "type 99 out of range"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := s.SetDatasec(tc.id, 1, tc.vars)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoops(t *testing.T) {
	b := newBuilder(binary.LittleEndian)
	// struct list_head { struct list_head *next, *prev; }: a legal cycle
	// through a pointer.
	lh := b.nextID
	ptr := b.ref(KindPtr, "", lh+1)
	b.composite(KindStruct, "list_head", 16, false, bm{"next", ptr, 0, 0}, bm{"prev", ptr, 64, 0})
	// typedef a -> const -> typedef a: a loop of modifiers only.
	td := b.nextID
	b.ref(KindTypedef, "a", td+1)
	b.ref(KindConst, "", td)
	// An array of itself.
	arr := b.typ("", KindArray, false, 0, 0, uint32(b.nextID), 1, 2)
	// A pointer to itself is fine too.
	self := b.ref(KindPtr, "", b.nextID)

	s := mustParse(t, b.bytes())
	if sz, err := s.Size(lh + 1); err != nil || sz != 16 {
		t.Errorf("Size(list_head) = %d, %v", sz, err)
	}
	if sz, err := s.Size(self); err != nil || sz != 8 {
		t.Errorf("Size(self pointer) = %d, %v", sz, err)
	}
	if _, _, err := s.Resolve(td); err == nil || !strings.Contains(err.Error(), "type loop at id") {
		t.Errorf("Resolve(loop) err = %v", err)
	}
	if _, err := s.Size(td); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("Size(loop) err = %v", err)
	}
	if _, err := s.Size(arr); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("Size(array of itself) err = %v", err)
	}
	if _, err := s.Marshal(); err != nil {
		t.Errorf("Marshal with loops: %v", err)
	}
}

func TestSizeOverflow(t *testing.T) {
	b := newBuilder(binary.LittleEndian)
	i := b.intType("int", 4, IntSigned, 32)
	a := b.typ("", KindArray, false, 0, 0, uint32(i), uint32(i), math.MaxUint32)
	aa := b.typ("", KindArray, false, 0, 0, uint32(a), uint32(i), math.MaxUint32)
	empty := b.composite(KindStruct, "empty", 0, false)
	ae := b.typ("", KindArray, false, 0, 0, uint32(empty), uint32(i), math.MaxUint32)
	s := mustParse(t, b.bytes())
	for _, id := range []TypeID{a, aa} {
		if _, err := s.Size(id); err == nil || !strings.Contains(err.Error(), "overflows") {
			t.Errorf("Size(%d) err = %v, want overflow", id, err)
		}
	}
	if sz, err := s.Size(ae); err != nil || sz != 0 {
		t.Errorf("Size(array of empty) = %d, %v", sz, err)
	}
}

func TestSplit(t *testing.T) {
	baseRaw, _ := allKinds(binary.LittleEndian)
	base := mustParse(t, baseRaw)
	b := newSplitBuilder(base)
	mod := b.composite(KindStruct, "mod_s", 16, false, bm{"s", 4, 0, 0}, bm{"p", 2, 0, 0})
	p := b.ref(KindPtr, "", mod)
	b.ref(KindTypedef, "int", 1) // same name as a base type, other kind
	raw := b.bytes()

	s, err := ParseSplit(raw, base)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumTypes() != base.NumTypes()+3 {
		t.Errorf("NumTypes = %d, want %d", s.NumTypes(), base.NumTypes()+3)
	}
	if id, _, err := s.TypeByName("mod_s", KindStruct); err != nil || id != mod {
		t.Errorf("TypeByName(mod_s) = %d, %v; want %d", id, err, mod)
	}
	if id, _, err := s.TypeByName("s", KindStruct); err != nil || id != 4 {
		t.Errorf("TypeByName(s) through base = %d, %v", id, err)
	}
	if id, _, err := s.TypeByName("int", KindTypedef); err != nil || id != p+1 {
		t.Errorf("TypeByName(int, TYPEDEF) = %d, %v", id, err)
	}
	typ, _ := s.Type(mod)
	if typ.Members[0].Name != "s" || typ.Name != "mod_s" {
		t.Errorf("split names: %+v", typ)
	}
	if sz, err := s.Size(mod); err != nil || sz != 16 {
		t.Errorf("Size(mod_s) = %d, %v", sz, err)
	}
	if typ, err := s.Type(1); err != nil || typ.Name != "int" {
		t.Errorf("Type(1) through base = %+v, %v", typ, err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, raw) {
		t.Errorf("split Marshal differs:\n got %x\nwant %x", out, raw)
	}
	if err := s.SetDatasec(15, 4, []VarSecinfo{{14, 0, 4}}); err == nil {
		t.Error("SetDatasec on a base type: no error")
	}
	if _, err := ParseSplit(raw, nil); err == nil {
		t.Error("ParseSplit(nil base): no error")
	}
	// Referring past the end of base+split is an error.
	b2 := newSplitBuilder(base)
	b2.ref(KindPtr, "", TypeID(base.NumTypes()+5))
	if _, err := ParseSplit(b2.bytes(), base); err == nil {
		t.Error("split with dangling ref: no error")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindStruct: "STRUCT", KindFuncProto: "FUNC_PROTO", KindEnum64: "ENUM64", 42: "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[COREKind]string{COREFieldByteOffset: "byte_off", CORETypeMatches: "type_matches", 13: "COREKind(13)"} {
		if got := k.String(); got != want {
			t.Errorf("COREKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	le := binary.LittleEndian
	valid, _ := allKinds(le)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(valid))
	}
	put := func(off int, v uint32) []byte {
		return mutate(func(b []byte) []byte { le.PutUint32(b[off:], v); return b })
	}
	typeLen := le.Uint32(valid[12:])
	withTypes := func(f func(b *builder)) []byte {
		b := newBuilder(le)
		f(b)
		return b.bytes()
	}
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "header"},
		{"truncated header", valid[:7], "header"},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 0; return b }), "bad magic"},
		{"bad version", mutate(func(b []byte) []byte { b[2] = 2; return b }), "version"},
		{"flags", mutate(func(b []byte) []byte { b[3] = 1; return b }), "flags"},
		{"hdr_len too small", put(4, 16), "hdr_len 16 is less than 24"},
		{"hdr_len too large", put(4, uint32(len(valid)+1)), "exceeds blob size"},
		{"hdr_len huge", put(4, math.MaxUint32), "exceeds blob size"},
		{"header shorter than hdr_len", valid[:20], "exceeds blob size"},
		{"non-zero header tail", mutate(func(b []byte) []byte {
			le.PutUint32(b[4:], 28)
			le.PutUint32(b[16:], le.Uint32(b[16:])-4)
			return b
		}), "non-zero header byte"},
		{"type section beyond end", put(12, uint32(len(valid))), "type section"},
		{"type offset overflow", put(8, math.MaxUint32-3), "type section"},
		{"type offset misaligned", put(8, 2), "aligned"},
		{"string section beyond end", put(20, uint32(len(valid))), "string section"},
		{"string offset overflow", put(16, math.MaxUint32), "string section"},
		{"empty string section", put(20, 0), "string section"},
		{"strings not NUL-terminated", mutate(func(b []byte) []byte { b[len(b)-1] = 'x'; return b }), "not NUL-terminated"},
		{"strings start non-NUL", mutate(func(b []byte) []byte { b[24+typeLen] = 'x'; return b }), "first byte"},
		{"truncated type", put(12, typeLen-8), "type 21 at offset 0x1ac: truncated type header (8 bytes left)"},
		{"truncated records", put(12, typeLen-4), "type 21 at offset 0x1ac: DECL_TAG vlen 0: 4 bytes of records exceed"},
		{"name offset out of range", put(24, 0xffff), "string offset 0xffff out of range"},
		{"unknown kind", put(24+4, 25<<24), "unknown kind 25"},
		{"kind zero", put(24+4, 0), "unknown kind 0"},
		{"unknown info bits", put(24+4, 1<<24|1<<20), "unknown bits"},
		{"int unknown bits", put(24+12, 1<<8), "INT: unknown bits"},
		{"vlen too large", withTypes(func(b *builder) {
			b.typ("s", KindStruct, false, 0xffff, 4)
		}), "vlen 65535: 786420 bytes of records exceed remaining 0 bytes"},
		{"member name out of range", withTypes(func(b *builder) {
			b.typ("s", KindStruct, false, 1, 4, 0x1000, 0, 0)
		}), "member 0 name"},
		{"enum name out of range", withTypes(func(b *builder) {
			b.typ("e", KindEnum, false, 1, 4, 0x1000, 0)
		}), "enumerator 0 name"},
		{"dangling pointer", withTypes(func(b *builder) {
			b.ref(KindPtr, "", 7)
		}), "refers to type 7"},
		{"dangling member", withTypes(func(b *builder) {
			b.composite(KindStruct, "s", 4, false, bm{"m", 9, 0, 0})
		}), "member 0 (\"m\") refers to type 9"},
		{"dangling array index", withTypes(func(b *builder) {
			b.typ("", KindArray, false, 0, 0, 0, 5, 1)
		}), "index type refers to type 5"},
		{"dangling param", withTypes(func(b *builder) {
			b.typ("", KindFuncProto, false, 1, 0, 0, 3)
		}), "param 0 refers to type 3"},
		{"dangling datasec var", withTypes(func(b *builder) {
			b.typ(".data", KindDatasec, false, 1, 4, 3, 0, 4)
		}), "var 0 refers to type 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.raw)
			if err == nil {
				t.Fatalf("Parse succeeded with %d types, want error containing %q", s.NumTypes(), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "btf: ") {
				t.Errorf("err = %q, want the btf: prefix", err)
			}
		})
	}
}

func TestErrorNamesTypeAndOffset(t *testing.T) {
	b := newBuilder(binary.LittleEndian)
	b.intType("int", 4, IntSigned, 32)
	b.typ("s", KindStruct, false, 70, 4) // no members follow
	_, err := Parse(b.bytes())
	want := "btf: type 2 at offset 0x28: STRUCT vlen 70"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
}

// TestLaxLayout parses a blob whose sections are not packed like the
// kernel's (strings first, a gap, a longer header) and checks Marshal
// produces the canonical layout with the same types.
func TestLaxLayout(t *testing.T) {
	raw, _ := allKinds(binary.LittleEndian)
	le := binary.LittleEndian
	typeLen := le.Uint32(raw[12:])
	strLen := le.Uint32(raw[20:])
	types := raw[24 : 24+typeLen]
	strs := raw[24+typeLen:]
	lax := make([]byte, 32) // hdr_len 32, zero tail
	copy(lax, raw[:24])
	le.PutUint32(lax[4:], 32)
	le.PutUint32(lax[16:], 0)           // strings first
	pad := (4 - strLen%4) % 4           // keep types 4-aligned
	le.PutUint32(lax[8:], strLen+pad+4) // and a gap before them
	lax = append(lax, strs...)
	lax = append(lax, make([]byte, pad+4)...)
	lax = append(lax, types...)
	s := mustParse(t, lax)
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if le.Uint32(out[4:]) != 32 {
		t.Errorf("hdr_len = %d, want 32 kept", le.Uint32(out[4:]))
	}
	if !reflect.DeepEqual(mustParse(t, out).types, mustParse(t, raw).types) {
		t.Error("types differ")
	}
}

func TestBuild(t *testing.T) {
	raw, _ := allKinds(binary.LittleEndian)
	want := mustParse(t, raw)
	var types []Type
	for id, typ := range want.Types() {
		if id != 0 {
			types = append(types, *typ)
		}
	}
	got, err := Build(binary.LittleEndian, types)
	if err != nil {
		t.Fatal(err)
	}
	if got.NumTypes() != want.NumTypes() {
		t.Fatalf("Build: %d types, want %d", got.NumTypes(), want.NumTypes())
	}
	// The string table is new, so only the offsets may differ.
	noOffs := func(t Type) Type {
		t.NameOff = 0
		t.Members = append([]Member(nil), t.Members...)
		for i := range t.Members {
			t.Members[i].NameOff = 0
		}
		t.Enums = append([]EnumValue(nil), t.Enums...)
		for i := range t.Enums {
			t.Enums[i].NameOff = 0
		}
		t.Params = append([]Param(nil), t.Params...)
		for i := range t.Params {
			t.Params[i].NameOff = 0
		}
		return t
	}
	for id, w := range want.Types() {
		g, _ := got.Type(id)
		if !reflect.DeepEqual(noOffs(*g), noOffs(*w)) {
			t.Errorf("type %d: got %+v, want %+v", id, *g, *w)
		}
	}
	// Bad input is refused by the parse, not written.
	if _, err := Build(binary.LittleEndian, []Type{{Kind: KindPtr, Type: 9}}); err == nil {
		t.Error("Build accepted a pointer to a missing type")
	}
}
