package btf

import (
	"encoding/binary"
	"testing"
)

// featuresFromMask sets one feature per bit of mask.
func featuresFromMask(mask uint8) Features {
	bit := func(i uint) bool { return mask&(1<<i) != 0 }
	return Features{
		Func: bit(0), GlobalFunc: bit(1), Datasec: bit(2), QmarkDatasec: bit(3),
		Float: bit(4), DeclTag: bit(5), TypeTag: bit(6), Enum64: bit(7),
	}
}

// Sanitizing any BTF that parses, for any feature set, succeeds and gives
// what CheckSanitized expects: ids and record sizes kept, only the
// missing kinds rewritten, bytes that parse back to the same types.
func FuzzSanitize(f *testing.F) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		raw, _ := allKinds(bo)
		f.Add(raw, uint8(0))
		f.Add(raw, uint8(0x07)) // 5.10
	}
	// Renamed DATASECs sharing bytes with another name, unnamed
	// parameters, a name Sanitize would add already present.
	b := newBuilder(binary.LittleEndian)
	i32 := b.intType("int", 4, IntSigned, 32)
	v := b.typ("v", KindVar, false, 0, uint32(i32), LinkageGlobal)
	b.typ("?.struct_ops", KindDatasec, false, 1, 4, uint32(v), 0, 4)
	b.u32(b.str("?.struct_ops")+1, uint32(KindTypedef)<<24, uint32(i32))
	b.typ("", KindFuncProto, false, 2, 0, 0, uint32(i32), 0, 0)
	b.typ("e", KindEnum64, false, 1, 8, b.str("enum64_placeholder"), 1, 2)
	b.str("anon_param1")
	for _, mask := range []uint8{0, 0x07, 0xf7, 0xfb, 0xfe} {
		f.Add(b.bytes(), mask)
	}
	f.Fuzz(func(t *testing.T, data []byte, mask uint8) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		feat := featuresFromMask(mask)
		san, err := s.Sanitize(feat)
		if err != nil {
			t.Fatalf("Sanitize(%+v): %v", feat, err)
		}
		CheckSanitized(t, s, san, feat)
	})
}
