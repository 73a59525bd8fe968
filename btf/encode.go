package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Encode builds a raw BTF blob of types, which get ids 1, 2, ... in
// order. Names are taken from the Name fields (of types, members, enum
// values and parameters); the NameOff fields are ignored. The strings
// extra go into the string table too (CO-RE access strings), and
// strOffs gives the offset of each. It is for small synthesized BTF, such
// as the description of kernel structs a loader checks with CO-RE.
func Encode(types []Type, extra []string, bo binary.ByteOrder) (raw []byte, strOffs map[string]uint32, err error) {
	strs := []byte{0}
	offs := map[string]uint32{"": 0}
	str := func(s string) uint32 {
		if off, ok := offs[s]; ok {
			return off
		}
		off := uint32(len(strs))
		strs = append(append(strs, s...), 0)
		offs[s] = off
		return off
	}
	ts := make([]Type, len(types))
	typeLen := 0
	for i := range types {
		t := types[i]
		t.NameOff = str(t.Name)
		t.Members = append([]Member(nil), t.Members...)
		for j := range t.Members {
			t.Members[j].NameOff = str(t.Members[j].Name)
		}
		t.Enums = append([]EnumValue(nil), t.Enums...)
		for j := range t.Enums {
			t.Enums[j].NameOff = str(t.Enums[j].Name)
		}
		t.Params = append([]Param(nil), t.Params...)
		for j := range t.Params {
			t.Params[j].NameOff = str(t.Params[j].Name)
		}
		n, ok := trailing(t.Kind, uint16(recordCount(&t)))
		if !ok || t.Kind == KindUnknown || recordCount(&t) > infoVlenMask {
			return nil, nil, fmt.Errorf("btf: encode type %d: kind %d with %d records", i+1, t.Kind, recordCount(&t))
		}
		typeLen += typeHdrSize + n
		ts[i] = t
	}
	for _, x := range extra {
		str(x)
	}
	if uint64(typeLen)+uint64(len(strs)) > math.MaxUint32/2 {
		return nil, nil, errors.New("btf: encode: BTF too large")
	}
	buf := make([]byte, btfHeaderSize+typeLen+len(strs))
	bo.PutUint16(buf, btfMagic)
	buf[2] = btfVersion
	bo.PutUint32(buf[4:], btfHeaderSize)
	bo.PutUint32(buf[8:], 0)
	bo.PutUint32(buf[12:], uint32(typeLen))
	bo.PutUint32(buf[16:], uint32(typeLen))
	bo.PutUint32(buf[20:], uint32(len(strs)))
	out := buf[btfHeaderSize:]
	for i := range ts {
		out = ts[i].encode(out, bo)
	}
	copy(out, strs)
	return buf, offs, nil
}
