package btf

import (
	"encoding/binary"
	"testing"
)

// TestEncode: what Encode writes parses back to the same types and names.
func TestEncode(t *testing.T) {
	types := []Type{
		{Kind: KindInt, Name: "unsigned int", Size: 4, IntBits: 32},
		{Kind: KindPtr},
		{Kind: KindArray, Array: Array{Type: 1, IndexType: 1, Nelems: 16}},
		{Kind: KindStruct, Name: "ops", Size: 32, Members: []Member{
			{Name: "f", Type: 2, Offset: 0},
			{Name: "name", Type: 3, Offset: 64},
			{Name: "flags", Type: 1, Offset: 192},
		}},
		{Kind: KindEnum, Name: "e", Size: 4, Enums: []EnumValue{{Name: "A", Value: 1}}},
		{Kind: KindFuncProto, Type: 1, Params: []Param{{Name: "ctx", Type: 2}}},
		{Kind: KindFunc, Name: "check", Type: 6, Vlen: LinkageGlobal},
	}
	raw, offs, err := Encode(types, []string{"0:1"}, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := spec.StringAt(offs["0:1"]); err != nil || got != "0:1" {
		t.Errorf("access string at %d: %q, %v", offs["0:1"], got, err)
	}
	id, st, err := spec.TypeByName("ops", KindStruct)
	if err != nil || id != 4 {
		t.Fatalf("ops: id %d, %v", id, err)
	}
	if len(st.Members) != 3 || st.Members[1].Name != "name" || st.Members[2].Offset != 192 {
		t.Errorf("ops members %+v", st.Members)
	}
	if size, err := spec.Size(3); err != nil || size != 64 {
		t.Errorf("array size %d, %v", size, err)
	}
	if _, f, err := spec.TypeByName("check", KindFunc); err != nil || f.Type != 6 {
		t.Errorf("check: %+v %v", f, err)
	}
	if _, e, err := spec.TypeByName("e", KindEnum); err != nil || e.Enums[0].Name != "A" {
		t.Errorf("enum: %+v %v", e, err)
	}
}
