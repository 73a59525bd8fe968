package kernel

import (
	"encoding/binary"
	"sync"
)

// BTFFeatureSet says which BTF kinds and encodings the running kernel's
// BPF_BTF_LOAD accepts. Each field names the Linux release that brought
// it. Package btf's Features has the same fields but BTF.
type BTFFeatureSet struct {
	// BTF: BPF_BTF_LOAD accepts a blob with a single INT (4.18). When it
	// does not (no BTF, or no privilege), every other field is false too,
	// and says nothing.
	BTF bool

	Func         bool // FUNC and FUNC_PROTO (4.20/5.0)
	GlobalFunc   bool // FUNC linkage global (5.6)
	Datasec      bool // VAR and DATASEC (5.2)
	QmarkDatasec bool // DATASEC names starting with '?' (6.9)
	Float        bool // FLOAT (5.13)
	DeclTag      bool // DECL_TAG (5.16)
	TypeTag      bool // TYPE_TAG (5.17)
	Enum64       bool // ENUM64 and signed ENUMs (kind_flag) (6.0)
}

// Complete reports whether the kernel accepts every BTF feature probed.
func (f BTFFeatureSet) Complete() bool {
	return f == BTFFeatureSet{true, true, true, true, true, true, true, true, true}
}

// BTFFeatures probes, once per process, which BTF features the running
// kernel accepts, by loading a small blob that has each of them. A probe
// that fails for any reason reports false.
func BTFFeatures() BTFFeatureSet {
	btfFeaturesOnce.Do(func() { btfFeaturesSet = probeBTFFeatures() })
	return btfFeaturesSet
}

var btfFeaturesOnce sync.Once
var btfFeaturesSet BTFFeatureSet

// btfFeatureProbes are the probe blobs, one per feature, in the order of
// BTFFeatureSet's fields; each holds the feature and nothing newer.
var btfFeatureProbes = []struct {
	field func(*BTFFeatureSet) *bool
	blob  func() []byte
}{
	{func(f *BTFFeatureSet) *bool { return &f.BTF }, probeBlobBTF},
	{func(f *BTFFeatureSet) *bool { return &f.Func }, func() []byte { return probeBlobFunc(0) }},
	{func(f *BTFFeatureSet) *bool { return &f.GlobalFunc }, func() []byte { return probeBlobFunc(1) }},
	{func(f *BTFFeatureSet) *bool { return &f.Datasec }, func() []byte { return probeBlobDatasec("sec") }},
	{func(f *BTFFeatureSet) *bool { return &f.QmarkDatasec }, func() []byte { return probeBlobDatasec("?sec") }},
	{func(f *BTFFeatureSet) *bool { return &f.Float }, probeBlobFloat},
	{func(f *BTFFeatureSet) *bool { return &f.DeclTag }, probeBlobDeclTag},
	{func(f *BTFFeatureSet) *bool { return &f.TypeTag }, probeBlobTypeTag},
	{func(f *BTFFeatureSet) *bool { return &f.Enum64 }, probeBlobEnum64},
}

func probeBTFFeatures() BTFFeatureSet {
	var f BTFFeatureSet
	for i, p := range btfFeatureProbes {
		ok := btfLoads(p.blob())
		if i == 0 && !ok {
			return f
		}
		*p.field(&f) = ok
	}
	return f
}

// btfLoads reports whether BPF_BTF_LOAD accepts raw.
func btfLoads(raw []byte) bool {
	fd, err := BTFLoad(raw, nil, 0)
	if err != nil {
		return false
	}
	Close(fd)
	return true
}

// btfProbeBlob assembles raw BTF in host byte order from type words and
// a string table (which must start with NUL).
type btfProbeBlob struct {
	types []byte
	strs  []byte
}

func (b *btfProbeBlob) str(s string) uint32 {
	if len(b.strs) == 0 {
		b.strs = []byte{0}
	}
	off := uint32(len(b.strs))
	b.strs = append(append(b.strs, s...), 0)
	return off
}

func (b *btfProbeBlob) words(ws ...uint32) {
	for _, w := range ws {
		b.types = binary.NativeEndian.AppendUint32(b.types, w)
	}
}

// typ appends a type header: name, info (kind, kind_flag, vlen), size or
// type.
func (b *btfProbeBlob) typ(name string, kind uint32, kflag bool, vlen uint32, sizeType uint32) {
	nameOff := uint32(0)
	if name != "" {
		nameOff = b.str(name)
	}
	info := kind<<24 | vlen
	if kflag {
		info |= 1 << 31
	}
	b.words(nameOff, info, sizeType)
}

// int32 appends a signed 32-bit INT.
func (b *btfProbeBlob) int32(name string) {
	b.typ(name, BTF_KIND_INT, false, 0, 4)
	b.words(1<<24 | 32) // signed, offset 0, 32 bits
}

func (b *btfProbeBlob) bytes() []byte {
	if len(b.strs) == 0 {
		b.strs = []byte{0}
	}
	ne := binary.NativeEndian
	out := make([]byte, 0, 24+len(b.types)+len(b.strs))
	out = ne.AppendUint16(out, 0xeb9f)
	out = append(out, 1, 0) // version, flags
	out = ne.AppendUint32(out, 24)
	out = ne.AppendUint32(out, 0)                    // type_off
	out = ne.AppendUint32(out, uint32(len(b.types))) // type_len
	out = ne.AppendUint32(out, uint32(len(b.types))) // str_off
	out = ne.AppendUint32(out, uint32(len(b.strs)))  // str_len
	out = append(out, b.types...)
	return append(out, b.strs...)
}

// [1] INT "i32".
func probeBlobBTF() []byte {
	var b btfProbeBlob
	b.int32("i32")
	return b.bytes()
}

// [1] INT "i32", [2] FUNC_PROTO i32(i32 arg), [3] FUNC "probe_fn" of [2]
// with the given linkage.
func probeBlobFunc(linkage uint32) []byte {
	var b btfProbeBlob
	b.int32("i32")
	b.typ("", BTF_KIND_FUNC_PROTO, false, 1, 1)
	b.words(b.str("arg"), 1)
	b.typ("probe_fn", BTF_KIND_FUNC, false, linkage, 2)
	return b.bytes()
}

// [1] INT "i32", [2] VAR "probe_var" (static i32), [3] DATASEC name of 4
// bytes holding [2].
func probeBlobDatasec(name string) []byte {
	var b btfProbeBlob
	b.int32("i32")
	b.typ("probe_var", BTF_KIND_VAR, false, 0, 1)
	b.words(0) // static
	b.typ(name, BTF_KIND_DATASEC, false, 1, 4)
	b.words(2, 0, 4) // [2] at offset 0, 4 bytes
	return b.bytes()
}

// [1] FLOAT "double" of 8 bytes.
func probeBlobFloat() []byte {
	var b btfProbeBlob
	b.typ("double", BTF_KIND_FLOAT, false, 0, 8)
	return b.bytes()
}

// [1] INT "i32", [2] STRUCT "probe_s" { i32 m; }, [3] DECL_TAG "probe_tag"
// on member 0 of [2].
func probeBlobDeclTag() []byte {
	var b btfProbeBlob
	b.int32("i32")
	b.typ("probe_s", BTF_KIND_STRUCT, false, 1, 4)
	b.words(b.str("m"), 1, 0)
	b.typ("probe_tag", BTF_KIND_DECL_TAG, false, 0, 2)
	b.words(0) // component: member 0
	return b.bytes()
}

// [1] INT "i32", [2] TYPE_TAG "probe_tag" on [1], [3] PTR to [2].
func probeBlobTypeTag() []byte {
	var b btfProbeBlob
	b.int32("i32")
	b.typ("probe_tag", BTF_KIND_TYPE_TAG, false, 0, 1)
	b.typ("", BTF_KIND_PTR, false, 0, 2)
	return b.bytes()
}

// [1] ENUM64 "probe_e64" of 8 bytes { BIG = 1<<32 }, [2] signed ENUM
// "probe_e" of 4 bytes { NEG = -1 }: both came with 6.0.
func probeBlobEnum64() []byte {
	var b btfProbeBlob
	b.typ("probe_e64", BTF_KIND_ENUM64, false, 1, 8)
	b.words(b.str("BIG"), 0, 1) // value: low, high 32 bits
	b.typ("probe_e", BTF_KIND_ENUM, true, 1, 4)
	b.words(b.str("NEG"), 0xffffffff)
	return b.bytes()
}
