package cheader

import (
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
)

// types collects hand-written BTF types; add returns the new type's id.
type types []btf.Type

func (ts *types) add(t btf.Type) btf.TypeID {
	*ts = append(*ts, t)
	return btf.TypeID(len(*ts))
}

func (ts *types) integer(name string, size uint32, enc uint8) btf.TypeID {
	return ts.add(btf.Type{Kind: btf.KindInt, Name: name, Size: size, IntEncoding: enc, IntBits: uint8(size * 8)})
}

func (ts *types) ref(kind btf.Kind, name string, to btf.TypeID) btf.TypeID {
	return ts.add(btf.Type{Kind: kind, Name: name, Type: to})
}

func (ts *types) array(elem btf.TypeID, n uint32) btf.TypeID {
	return ts.add(btf.Type{Kind: btf.KindArray, Array: btf.Array{Type: elem, IndexType: elem, Nelems: n}})
}

func (ts *types) composite(kind btf.Kind, name string, size uint32, ms ...btf.Member) btf.TypeID {
	kflag := false
	for _, m := range ms {
		kflag = kflag || m.BitfieldSize != 0
	}
	return ts.add(btf.Type{Kind: kind, Name: name, Size: size, KindFlag: kflag, Members: ms})
}

func (ts *types) enum(kind btf.Kind, name string, size uint32, signed bool, vs ...btf.EnumValue) btf.TypeID {
	return ts.add(btf.Type{Kind: kind, Name: name, Size: size, KindFlag: signed, Enums: vs})
}

func (ts *types) proto(ret btf.TypeID, ps ...btf.Param) btf.TypeID {
	return ts.add(btf.Type{Kind: btf.KindFuncProto, Type: ret, Params: ps})
}

func member(name string, typ btf.TypeID, bitOff uint32) btf.Member {
	return btf.Member{Name: name, Type: typ, Offset: bitOff}
}

func bitfield(name string, typ btf.TypeID, bitOff uint32, bits uint8) btf.Member {
	return btf.Member{Name: name, Type: typ, Offset: bitOff, BitfieldSize: bits}
}

// goldenCase is hand-built BTF of one construct; its header is
// testdata/golden/NAME.h (the name with spaces as dashes), which
// TestGoldenMatchesBpftool checks against bpftool's.
type goldenCase struct {
	name  string
	build func(ts *types)
	// modeAttrs: the header has enums with mode(byte) or mode(word),
	// which bpftool 7.1 (libbpf 1.1) does not write yet.
	modeAttrs bool
	// opts are the options the header is written with; bpftool 7.1 has
	// none of them, so cases with options are not compared with it.
	opts *Options
}

var goldenCases = []goldenCase{
	{
		name: "bitfields",
		build: func(ts *types) {
			u32 := ts.integer("unsigned int", 4, 0)
			u8 := ts.integer("unsigned char", 1, 0)
			u64 := ts.integer("long long unsigned int", 8, 0)
			ts.composite(btf.KindStruct, "flags", 16,
				bitfield("a", u32, 0, 3), bitfield("b", u32, 3, 5),
				bitfield("c", u32, 12, 4), // 4 bits of padding before
				member("d", u8, 24),
				bitfield("e", u64, 64, 40))
		},
	},
	{
		name: "packed",
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			char := ts.integer("char", 1, btf.IntSigned)
			ts.composite(btf.KindStruct, "hdr", 5, member("c", char, 0), member("v", i32, 8))
			// Naturally aligned but with a size that is not a
			// multiple of the alignment: packed too.
			ts.composite(btf.KindStruct, "tail", 6, member("v", i32, 0), member("c", char, 32))
			// Over-aligned by explicit padding, not packed.
			ts.composite(btf.KindStruct, "gap", 16, member("c", char, 0), member("v", i32, 64))
		},
	},
	{
		name: "anonymous nested",
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			long := ts.integer("long int", 8, btf.IntSigned)
			u := ts.composite(btf.KindUnion, "", 8, member("a", i32, 0), member("b", long, 0))
			inner := ts.composite(btf.KindStruct, "", 4, member("x", i32, 0))
			e := ts.enum(btf.KindEnum, "", 4, false, btf.EnumValue{Name: "RED"}, btf.EnumValue{Name: "BLUE", Value: 1})
			ptrInner := ts.ref(btf.KindPtr, "", inner)
			ts.composite(btf.KindStruct, "outer", 32,
				member("", u, 0), member("named", inner, 64), member("colour", e, 96),
				member("p", ptrInner, 128), member("", ts.composite(btf.KindStruct, "", 8, member("deep", u, 0)), 192))
			ts.ref(btf.KindTypedef, "pair_t", ts.composite(btf.KindStruct, "", 8, member("lo", i32, 0), member("hi", i32, 32)))
			// An anonymous enum nothing refers to: constants.
			ts.enum(btf.KindEnum, "", 4, true, btf.EnumValue{Name: "MINUS_ONE", Value: -1})
		},
	},
	{
		name: "forward declarations and cycles",
		build: func(ts *types) {
			a := ts.composite(btf.KindStruct, "a", 8)
			b := ts.composite(btf.KindStruct, "b", 16)
			ptrA := ts.ref(btf.KindPtr, "", a)
			ptrB := ts.ref(btf.KindPtr, "", b)
			list := ts.composite(btf.KindStruct, "list", 8)
			ptrList := ts.ref(btf.KindPtr, "", list)
			(*ts)[a-1].Members = []btf.Member{member("b", ptrB, 0)}
			(*ts)[b-1].Members = []btf.Member{member("a", ptrA, 0), member("self", ptrB, 64)}
			(*ts)[list-1].Members = []btf.Member{member("next", ptrList, 0)}
			// A typedef of a pointer to a struct defined later.
			ts.ref(btf.KindTypedef, "node_t", ts.ref(btf.KindPtr, "", ts.composite(btf.KindStruct, "node", 8, member("up", ptrA, 0))))
			ts.add(btf.Type{Kind: btf.KindFwd, Name: "opaque"})
			ts.add(btf.Type{Kind: btf.KindFwd, Name: "opaque_u", KindFlag: true})
		},
	},
	{
		name: "enums",
		build: func(ts *types) {
			ts.enum(btf.KindEnum, "u32e", 4, false, btf.EnumValue{Name: "U_MAX", Value: 0xffffffff})
			ts.enum(btf.KindEnum, "s32e", 4, true, btf.EnumValue{Name: "S_MIN", Value: -2147483648}, btf.EnumValue{Name: "S_ONE", Value: 1})
			ts.enum(btf.KindEnum64, "big", 8, false, btf.EnumValue{Name: "BIG", Value: -1}, btf.EnumValue{Name: "SMALL", Value: 2})
			ts.enum(btf.KindEnum64, "sbig", 8, true, btf.EnumValue{Name: "SBIG_MIN", Value: -1 << 63})
			ts.enum(btf.KindEnum, "fwd_e", 4, false)
		},
	},
	{
		name:      "enum sizes",
		modeAttrs: true,
		build: func(ts *types) {
			b := ts.enum(btf.KindEnum, "byte_e", 1, false, btf.EnumValue{Name: "B0"})
			ts.enum(btf.KindEnum64, "word_e", 8, false, btf.EnumValue{Name: "W1", Value: 1})
			ts.enum(btf.KindEnum, "word32_e", 8, false, btf.EnumValue{Name: "W2", Value: 2})
			// Laid out as the BTF says only with the enum 1 byte wide
			// (as struct inode's i_write_hint on Linux 6.18).
			u8 := ts.integer("unsigned char", 1, 0)
			ts.composite(btf.KindStruct, "hint", 2, member("e", b, 0), member("next", u8, 8))
		},
	},
	{
		name: "function prototypes",
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			char := ts.integer("char", 1, btf.IntSigned)
			cchar := ts.ref(btf.KindConst, "", char)
			pcchar := ts.ref(btf.KindPtr, "", cchar)
			pvoid := ts.ref(btf.KindPtr, "", 0)
			handler := ts.proto(i32, btf.Param{Name: "ctx", Type: pvoid}, btf.Param{Name: "fmt", Type: pcchar}, btf.Param{})
			handlerT := ts.ref(btf.KindTypedef, "handler_t", ts.ref(btf.KindPtr, "", handler))
			noArgs := ts.proto(0, btf.Param{})
			pNoArgs := ts.ref(btf.KindPtr, "", noArgs)
			// A function returning a pointer to a function.
			getter := ts.proto(pNoArgs, btf.Param{Name: "which", Type: i32})
			ts.composite(btf.KindStruct, "ops", 48,
				member("h", handlerT, 0),
				member("table", ts.array(pNoArgs, 4), 64),
				member("get", ts.ref(btf.KindPtr, "", getter), 320))
			ts.add(btf.Type{Kind: btf.KindFunc, Name: "do_ops", Type: handler, Vlen: btf.LinkageGlobal})
		},
	},
	{
		name: "declarators",
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			f := ts.add(btf.Type{Kind: btf.KindFloat, Name: "double", Size: 8})
			vi := ts.ref(btf.KindVolatile, "", i32)
			cp := ts.ref(btf.KindConst, "", ts.ref(btf.KindPtr, "", vi))
			rp := ts.ref(btf.KindRestrict, "", ts.ref(btf.KindPtr, "", i32))
			tagged := ts.ref(btf.KindPtr, "", ts.ref(btf.KindTypeTag, "user", i32))
			grid := ts.array(ts.array(f, 3), 2)
			ts.composite(btf.KindStruct, "decls", 80,
				member("cp", cp, 0), member("rp", rp, 64), member("tagged", tagged, 128),
				member("grid", grid, 192), member("pgrid", ts.ref(btf.KindPtr, "", grid), 192+6*64))
			ts.ref(btf.KindTypedef, "__builtin_va_list", ts.ref(btf.KindPtr, "", 0))
			ts.ref(btf.KindTypedef, "__gnuc_va_list", 0)
		},
	},
	{
		name: "name conflicts",
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			s1 := ts.composite(btf.KindStruct, "s", 4, member("x", i32, 0))
			s2 := ts.composite(btf.KindStruct, "s", 8, member("y", i32, 32))
			ts.composite(btf.KindStruct, "user", 12, member("one", s1, 0), member("two", s2, 32))
			ts.enum(btf.KindEnum, "e1", 4, false, btf.EnumValue{Name: "OK"})
			ts.enum(btf.KindEnum, "e2", 4, false, btf.EnumValue{Name: "OK", Value: 1})
			ts.ref(btf.KindTypedef, "OK", i32)
			ts.add(btf.Type{Kind: btf.KindFwd, Name: "s"})
		},
	},
}

func init() {
	goldenCases = append(goldenCases, goldenCase{
		name: "kfuncs",
		opts: &Options{Kfuncs: true},
		build: func(ts *types) {
			i32 := ts.integer("int", 4, btf.IntSigned)
			task := ts.composite(btf.KindStruct, "task", 4, member("pid", i32, 0))
			ptask := ts.ref(btf.KindPtr, "", task)
			get := ts.add(btf.Type{Kind: btf.KindFunc, Name: "task_get", Vlen: btf.LinkageGlobal,
				Type: ts.proto(ptask, btf.Param{Name: "pid", Type: i32})})
			put := ts.add(btf.Type{Kind: btf.KindFunc, Name: "task_put", Vlen: btf.LinkageGlobal,
				Type: ts.proto(0, btf.Param{Name: "t", Type: ptask})})
			plain := ts.add(btf.Type{Kind: btf.KindFunc, Name: "not_a_kfunc", Vlen: btf.LinkageGlobal,
				Type: ts.proto(i32, btf.Param{})})
			ts.add(btf.Type{Kind: btf.KindDeclTag, Name: "bpf_kfunc", Type: put, ComponentIdx: -1})
			ts.add(btf.Type{Kind: btf.KindDeclTag, Name: "bpf_kfunc", Type: get, ComponentIdx: -1})
			ts.add(btf.Type{Kind: btf.KindDeclTag, Name: "bpf_fastcall", Type: get, ComponentIdx: -1})
			// Tags of a parameter, or of another function, make no kfunc.
			ts.add(btf.Type{Kind: btf.KindDeclTag, Name: "bpf_kfunc", Type: plain, ComponentIdx: 0})
			ts.add(btf.Type{Kind: btf.KindDeclTag, Name: "other", Type: plain, ComponentIdx: -1})
		},
	})
}

func build(t testing.TB, c goldenCase) *btf.Spec {
	t.Helper()
	var ts types
	c.build(&ts)
	spec, err := btf.Build(binary.LittleEndian, ts)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return spec
}

var update = flag.Bool("update", false, "rewrite testdata/golden/*.h from the current output")

func header(t testing.TB, spec *btf.Spec) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, spec, nil); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, build(t, c), c.opts); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			file := filepath.Join("testdata", "golden", strings.ReplaceAll(c.name, " ", "-")+".h")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("header differs from %s:\n%s", file, got)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range goldenCases {
		spec := build(t, c)
		if a, b := header(t, spec), header(t, spec); a != b {
			t.Errorf("%s: two writes differ", c.name)
		}
	}
}

func TestGuard(t *testing.T) {
	spec := build(t, goldenCases[0])
	var buf bytes.Buffer
	if err := Write(&buf, spec, &Options{Guard: "MY_TYPES_H"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "#ifndef MY_TYPES_H\n#define MY_TYPES_H\n") || !strings.HasSuffix(buf.String(), "#endif /* MY_TYPES_H */\n") {
		t.Errorf("guard not used:\n%s", buf.String())
	}
	if err := Write(&buf, spec, &Options{Guard: "1-bad"}); err == nil || !strings.Contains(err.Error(), `"1-bad"`) {
		t.Errorf("bad guard: err = %v, want one naming it", err)
	}
}

// TestBadBTF checks that BTF no C can declare is refused with an error
// naming the type, not written (or looped over).
func TestBadBTF(t *testing.T) {
	for _, tt := range []struct {
		name  string
		types []btf.Type
		want  string
	}{
		{"pointer to itself", []btf.Type{{Kind: btf.KindPtr, Type: 1}}, "type 1 (PTR"},
		{"typedef loop", []btf.Type{{Kind: btf.KindTypedef, Name: "a", Type: 2}, {Kind: btf.KindTypedef, Name: "b", Type: 1}}, `(TYPEDEF "`},
		{"const loop through a prototype", []btf.Type{{Kind: btf.KindConst, Type: 2}, {Kind: btf.KindFuncProto, Params: []btf.Param{{Type: 1}}}}, "type cycle"},
		{"anonymous struct containing itself", []btf.Type{
			{Kind: btf.KindStruct, Size: 8, Members: []btf.Member{{Name: "p", Type: 2}}},
			{Kind: btf.KindPtr, Type: 1},
		}, "type 1 (STRUCT"},
		{"named structs embedding each other", []btf.Type{
			{Kind: btf.KindStruct, Name: "a", Size: 8, Members: []btf.Member{{Name: "b", Type: 2}}},
			{Kind: btf.KindStruct, Name: "b", Size: 8, Members: []btf.Member{{Name: "a", Type: 1}}},
		}, `type 1 (STRUCT "a")`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := btf.Build(binary.LittleEndian, tt.types)
			if err != nil {
				t.Fatal(err)
			}
			err = Write(&bytes.Buffer{}, spec, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestBudget checks that the step budget is far above what real BTF
// needs, and that BTF nesting prototypes exponentially is refused.
func TestBudget(t *testing.T) {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err == nil {
		spec, err := btf.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		var steps, budget int
		debugSteps = func(s, b int) { steps, budget = s, b }
		defer func() { debugSteps = nil }()
		header(t, spec)
		if steps*10 > budget {
			t.Errorf("the kernel's BTF takes %d steps, more than a tenth of the budget %d", steps, budget)
		}
		t.Logf("the kernel's BTF: %d steps, budget %d", steps, budget)
	}
	// Each prototype takes the previous one twice: 2^40 declarations.
	ts := types{{Kind: btf.KindInt, Name: "int", Size: 4, IntBits: 32}}
	prev := btf.TypeID(1)
	for range 40 {
		p := ts.proto(prev, btf.Param{Type: prev}, btf.Param{Type: prev})
		prev = ts.ref(btf.KindPtr, "", p)
	}
	ts.ref(btf.KindTypedef, "deep_t", prev)
	spec, err := btf.Build(binary.LittleEndian, ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(io.Discard, spec, nil); err == nil || !strings.Contains(err.Error(), "steps") {
		t.Errorf("err = %v, want the budget's", err)
	}
}

// TestBigEndianBTF: the header of big-endian BTF (an s390x kernel's) is
// the header of the same types in little-endian BTF.
func TestBigEndianBTF(t *testing.T) {
	for _, c := range goldenCases {
		var ts types
		c.build(&ts)
		be, err := btf.Build(binary.BigEndian, ts)
		if err != nil {
			t.Fatal(err)
		}
		if be.ByteOrder() != binary.BigEndian {
			t.Fatalf("%s: built %v BTF", c.name, be.ByteOrder())
		}
		if got, want := header(t, be), header(t, build(t, c)); got != want {
			t.Errorf("%s: big-endian BTF gives another header:\n%s", c.name, got)
		}
	}
}
