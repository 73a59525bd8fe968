package btf

import (
	"encoding/binary"
	"math"
)

// builder assembles raw BTF by hand for tests.
type builder struct {
	bo      byteOrder
	types   []byte
	strs    []byte
	strBase uint32
	nextID  TypeID
	strIdx  map[string]uint32
}

// newBuilder starts base BTF: ids from 1, string table starting with NUL.
func newBuilder(bo byteOrder) *builder {
	return &builder{bo: bo, strs: []byte{0}, nextID: 1, strIdx: map[string]uint32{"": 0}}
}

// newSplitBuilder starts split BTF on top of base.
func newSplitBuilder(base *Spec) *builder {
	return &builder{
		bo:      base.ByteOrder().(byteOrder),
		strBase: base.strBase + uint32(len(base.strings)),
		nextID:  TypeID(base.NumTypes()),
		strIdx:  map[string]uint32{"": 0},
	}
}

func (b *builder) str(s string) uint32 {
	if off, ok := b.strIdx[s]; ok {
		return off
	}
	off := b.strBase + uint32(len(b.strs))
	b.strs = append(append(b.strs, s...), 0)
	b.strIdx[s] = off
	return off
}

func (b *builder) u32(vs ...uint32) {
	for _, v := range vs {
		b.types = b.bo.AppendUint32(b.types, v)
	}
}

// typ appends a type header and its raw trailing words.
func (b *builder) typ(name string, kind Kind, kflag bool, vlen int, sizeType uint32, recs ...uint32) TypeID {
	info := uint32(vlen) | uint32(kind)<<24
	if kflag {
		info |= 1 << 31
	}
	b.u32(b.str(name), info, sizeType)
	b.u32(recs...)
	id := b.nextID
	b.nextID++
	return id
}

func (b *builder) intType(name string, size uint32, enc uint8, bits uint8) TypeID {
	return b.typ(name, KindInt, false, 0, size, uint32(enc)<<24|uint32(bits))
}

func (b *builder) ref(kind Kind, name string, target TypeID) TypeID {
	return b.typ(name, kind, false, 0, uint32(target))
}

type bm struct {
	name   string
	typ    TypeID
	off    uint32
	bfSize uint8
}

func (b *builder) composite(kind Kind, name string, size uint32, kflag bool, ms ...bm) TypeID {
	var recs []uint32
	for _, m := range ms {
		recs = append(recs, b.str(m.name), uint32(m.typ), m.off|uint32(m.bfSize)<<24)
	}
	return b.typ(name, kind, kflag, len(ms), size, recs...)
}

// bytes returns the blob: a 24-byte header, types, strings.
func (b *builder) bytes() []byte {
	out := make([]byte, 24, 24+len(b.types)+len(b.strs))
	b.bo.PutUint16(out, 0xeB9F)
	out[2] = 1
	b.bo.PutUint32(out[4:], 24)
	b.bo.PutUint32(out[8:], 0)
	b.bo.PutUint32(out[12:], uint32(len(b.types)))
	b.bo.PutUint32(out[16:], uint32(len(b.types)))
	b.bo.PutUint32(out[20:], uint32(len(b.strs)))
	out = append(out, b.types...)
	return append(out, b.strs...)
}

// allKinds builds a blob with every kind, valid enough for the kernel to
// load. It returns the blob and the id of its DATASEC.
func allKinds(bo byteOrder) ([]byte, TypeID) {
	b := newBuilder(bo)
	i32 := b.intType("int", 4, IntSigned, 32)         // 1
	ptr := b.ref(KindPtr, "", i32)                    // 2
	arr := b.typ("", KindArray, false, 0, 0, 1, 1, 4) // 3: int[4]
	st := b.composite(KindStruct, "s", 32, true,      // 4
		bm{"x", i32, 0, 3}, bm{"y", i32, 3, 5}, bm{"p", ptr, 64, 0}, bm{"a", arr, 128, 0})
	b.composite(KindUnion, "u", 8, false, bm{"i", i32, 0, 0}, bm{"p", ptr, 0, 0})   // 5
	b.typ("e", KindEnum, true, 2, 4, b.str("A"), uint32(0xffffffff), b.str("B"), 7) // 6
	b.typ("fwd_s", KindFwd, false, 0, 0)                                            // 7
	b.ref(KindTypedef, "td", st)                                                    // 8
	vol := b.ref(KindVolatile, "", i32)                                             // 9
	b.ref(KindConst, "", vol)                                                       // 10
	b.ref(KindRestrict, "", ptr)                                                    // 11
	proto := b.typ("", KindFuncProto, false, 2, uint32(i32),                        // 12
		b.str("a"), uint32(i32), b.str("b"), uint32(ptr))
	fn := b.typ("f", KindFunc, false, LinkageGlobal, uint32(proto)) // 13
	v := b.typ("v", KindVar, false, 0, uint32(i32), LinkageGlobal)  // 14
	ds := b.typ(".data", KindDatasec, false, 1, 4, uint32(v), 0, 4) // 15
	b.typ("float", KindFloat, false, 0, 4)                          // 16
	b.typ("tag", KindDeclTag, false, 0, uint32(st), 0)              // 17
	tt := b.ref(KindTypeTag, "user", i32)                           // 18
	b.ref(KindPtr, "", tt)                                          // 19
	big := uint64(0x1122334455667788)
	neg := uint64(math.MaxUint64 - 1)    // -2
	b.typ("e64", KindEnum64, true, 2, 8, // 20
		b.str("X"), uint32(big), uint32(big>>32),
		b.str("Y"), uint32(neg), uint32(neg>>32))
	b.typ("ftag", KindDeclTag, false, 0, uint32(fn), math.MaxUint32) // 21: component -1
	return b.bytes(), ds
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}
