package core_test

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/core"
	"github.com/bpfgen/bpfgen/object"
)

// The unit tests resolve the records of testdata/local.bpf.o against the
// BTF of testdata/target.bpf.o (layouts in target.bpf.c).

var (
	fixturesOnce sync.Once
	targetBTF    *btf.Spec
	localObj     *object.Object
	fixturesErr  error
)

func fixtures(t testing.TB) (*btf.Spec, *object.Object) {
	t.Helper()
	fixturesOnce.Do(func() {
		targetBTF, fixturesErr = sectionBTF(filepath.Join("testdata", "target.bpf.o"))
		if fixturesErr == nil {
			localObj, fixturesErr = object.Open(filepath.Join("testdata", "local.bpf.o"))
		}
	})
	if fixturesErr != nil {
		t.Fatal(fixturesErr)
	}
	return targetBTF, localObj
}

// sectionBTF parses the .BTF section of an ELF object.
func sectionBTF(path string) (*btf.Spec, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".BTF")
	if sec == nil {
		return nil, fmt.Errorf("%s: no .BTF", path)
	}
	raw, err := sec.Data()
	if err != nil {
		return nil, err
	}
	return btf.Parse(raw)
}

// program returns a program of local.bpf.o with its CO-RE records, their
// InsnOff in bytes as Relocate takes them.
func program(t testing.TB, name string) (*object.Function, []btf.CORERelo) {
	t.Helper()
	_, obj := fixtures(t)
	for _, p := range obj.Programs() {
		if p.Name == name {
			relos := append([]btf.CORERelo(nil), p.CORERelos...)
			for i := range relos {
				relos[i].InsnOff *= asm.InsnSize
			}
			return p, relos
		}
	}
	t.Fatalf("local.bpf.o has no program %s", name)
	return nil, nil
}

func newRelocator(t testing.TB) *core.Relocator {
	t.Helper()
	target, obj := fixtures(t)
	return core.NewRelocator(obj.BTF, core.NewTarget(target, nil))
}

func typeID(t testing.TB, s *btf.Spec, name string, kind btf.Kind) uint64 {
	t.Helper()
	id, _, err := s.TypeByName(name, kind)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(id)
}

// rec is what one record must resolve to.
type rec struct {
	kind   btf.COREKind
	new    uint64
	poison bool
}

func TestResolve(t *testing.T) {
	target, obj := fixtures(t)
	off := func(v uint64) rec { return rec{kind: btf.COREFieldByteOffset, new: v} }
	poisoned := func(k btf.COREKind) rec { return rec{kind: k, poison: true} }
	// bitfield lists the five records of a BITFIELD(...) program.
	bitfield := func(byteOff, byteSz, lshift, rshift, signed uint64) []rec {
		return []rec{
			{btf.COREFieldByteOffset, byteOff, false}, {btf.COREFieldByteSize, byteSz, false},
			{btf.COREFieldLShiftU64, lshift, false}, {btf.COREFieldRShiftU64, rshift, false},
			{btf.COREFieldSigned, signed, false},
		}
	}
	exists := func(k btf.COREKind, v uint64) []rec { return []rec{{kind: k, new: v}} }
	for _, tt := range []struct {
		prog string
		want []rec
		err  string // in the error, instead of want
	}{
		// Fields: the target's layout, by name, through flavours.
		{prog: "off_pid", want: []rec{off(8)}},
		{prog: "off_flavour", want: []rec{off(8)}},
		{prog: "off_comm3", want: []rec{off(19)}},
		{prog: "off_grid", want: []rec{off(68 + 12 + 8)}},
		{prog: "size_comm", want: exists(btf.COREFieldByteSize, 16)},
		{prog: "size_grid_row", want: exists(btf.COREFieldByteSize, 12)},
		{prog: "read_pid", want: []rec{off(8)}},
		{prog: "read_ticks", want: []rec{off(56)}},
		{prog: "read_counter", want: []rec{off(48)}},
		// Through anonymous members, in the target only or in both.
		{prog: "off_anon", want: []rec{off(12)}},
		{prog: "off_anon_local", want: []rec{off(12)}},
		{prog: "off_multi", want: []rec{off(4)}},
		// Missing, renamed or incompatible fields.
		{prog: "exists_pid", want: exists(btf.COREFieldExists, 1)},
		{prog: "exists_renamed", want: exists(btf.COREFieldExists, 0)},
		{prog: "exists_badtype", want: exists(btf.COREFieldExists, 0)},
		{prog: "off_renamed", want: []rec{poisoned(btf.COREFieldByteOffset)}},
		{prog: "read_renamed", want: []rec{poisoned(btf.COREFieldByteOffset)}},
		{prog: "off_arr_oob", want: []rec{poisoned(btf.COREFieldByteOffset)}},
		// Signedness.
		{prog: "signed_pid", want: exists(btf.COREFieldSigned, 1)},
		{prog: "signed_flags", want: exists(btf.COREFieldSigned, 0)},
		{prog: "signed_enum", want: exists(btf.COREFieldSigned, 1)},
		{prog: "signed_uenum", want: exists(btf.COREFieldSigned, 0)},
		{prog: "signed_array", err: "cannot be applied to an array element"},
		// Bitfields (and a plain field beside them) in another layout.
		{prog: "bits_b", want: bitfield(0, 4, 64-8, 64-5, 1)},
		{prog: "bits_c", want: bitfield(0, 4, 64-28, 64-20, 0)},
		{prog: "bits_d", want: bitfield(8, 8, 64-40, 64-40, 0)},
		{prog: "bits_e", want: bitfield(4, 1, 56, 56, 1)},
		{prog: "bits_wide", err: "cannot be read with one 64-bit load"},
		// Enumerators, by essential name.
		{prog: "enum_value", want: exists(btf.COREEnumvalValue, 1)},
		{prog: "enum_flavoured_value", want: exists(btf.COREEnumvalValue, 64)},
		{prog: "enum_present_exists", want: exists(btf.COREEnumvalExists, 1)},
		{prog: "enum_missing_exists", want: exists(btf.COREEnumvalExists, 0)},
		{prog: "enum_missing_value", want: []rec{poisoned(btf.COREEnumvalValue)}},
		{prog: "enum_signed", want: exists(btf.COREEnumvalValue, 0xfffffffffffffffb)},
		// A 32-bit enumerator is sign-extended, as libbpf reads it.
		{prog: "enum_unsigned_big", want: exists(btf.COREEnumvalValue, 0xffffffff80000000)},
		{prog: "enum64_value", want: exists(btf.COREEnumvalValue, 0x1122334455667788)},
		{prog: "enum64_missing", want: []rec{poisoned(btf.COREEnumvalValue)}},
		// Types.
		{prog: "type_exists", want: exists(btf.CORETypeExists, 1)},
		{prog: "type_missing", want: exists(btf.CORETypeExists, 0)},
		{prog: "type_wrong_kind", want: exists(btf.CORETypeExists, 0)},
		{prog: "type_size", want: exists(btf.CORETypeSize, 96)},
		{prog: "type_size_missing", want: exists(btf.CORETypeSize, 0)},
		{prog: "type_id_local", want: exists(btf.CORETypeIDLocal, typeID(t, obj.BTF, "task", btf.KindStruct))},
		{prog: "type_id_target", want: exists(btf.CORETypeIDTarget, typeID(t, target, "task", btf.KindStruct))},
		{prog: "type_id_typedef", want: exists(btf.CORETypeIDTarget, typeID(t, target, "task_t", btf.KindTypedef))},
		{prog: "exists_handler_bad", want: exists(btf.CORETypeExists, 0)},
		{prog: "matches_tm", want: exists(btf.CORETypeMatches, 1)},
		{prog: "matches_ptr", want: exists(btf.CORETypeMatches, 1)},
		{prog: "matches_bad", want: exists(btf.CORETypeMatches, 0)},
		{prog: "matches_enum", want: exists(btf.CORETypeMatches, 0)},
		{prog: "matches_handler", want: exists(btf.CORETypeMatches, 1)},
		{prog: "matches_handler_bad", want: exists(btf.CORETypeMatches, 0)},
		// Candidates that disagree.
		{prog: "off_amb", err: "ambiguous relocation: field offset"},
		{prog: "size_amb", err: "ambiguous relocation: candidate"},
	} {
		t.Run(tt.prog, func(t *testing.T) {
			_, relos := program(t, tt.prog)
			r := newRelocator(t)
			var got []rec
			for _, relo := range relos {
				res, err := r.Resolve(relo)
				if err != nil {
					if tt.err == "" || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("record %+v: %v, want error %q", relo, err, tt.err)
					}
					if strings.HasPrefix(tt.err, "ambiguous") && !errors.Is(err, core.ErrAmbiguous) {
						t.Errorf("%v does not wrap ErrAmbiguous", err)
					}
					return
				}
				got = append(got, rec{kind: relo.Kind, new: res.New, poison: res.Poison})
			}
			if tt.err != "" {
				t.Fatalf("no error, want %q", tt.err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("records resolve to\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// TestTwins: local types that are exact copies of the target's resolve
// to the values the compiler put in the instructions.
func TestTwins(t *testing.T) {
	_, obj := fixtures(t)
	n := 0
	for _, p := range obj.Programs() {
		if !strings.HasPrefix(p.Name, "twin_") {
			continue
		}
		r := newRelocator(t)
		for _, relo := range p.CORERelos {
			res, err := r.Resolve(relo)
			if err != nil {
				t.Fatalf("%s: %v", p.Name, err)
			}
			if res.Poison || res.New != res.Orig || res.NewSize != res.OrigSize {
				t.Errorf("%s: %s record resolves to %+v, want the compiler's own %d", p.Name, relo.Kind, res, res.Orig)
			}
			n++
		}
	}
	if n < 30 {
		t.Fatalf("only %d twin records", n)
	}
}

// TestRelocate patches whole programs and checks the instructions.
func TestRelocate(t *testing.T) {
	call := asm.Call(core.PoisonHelper)
	for _, tt := range []struct {
		prog  string
		check func(t *testing.T, orig, got []asm.Insn)
	}{
		{"read_pid", func(t *testing.T, orig, got []asm.Insn) {
			if want := (asm.Insn{Code: orig[0].Code, Dst: orig[0].Dst, Src: orig[0].Src, Off: 8}); got[0] != want {
				t.Errorf("load = %+v, want %+v", got[0], want)
			}
		}},
		{"read_ticks", func(t *testing.T, orig, got []asm.Insn) {
			// A u32 read of a u64 field: the load is widened.
			if orig[0].Class() != asm.ClassLDX || orig[0].Mode() != asm.ModeMEM || orig[0].Size() != asm.SizeW {
				t.Fatalf("unexpected code %#x", orig[0].Code)
			}
			if got[0].Class() != asm.ClassLDX || got[0].Mode() != asm.ModeMEM || got[0].Size() != asm.SizeDW || got[0].Off != 56 {
				t.Errorf("load = %+v, want an 8-byte load at 56", got[0])
			}
		}},
		{"read_counter", func(t *testing.T, orig, got []asm.Insn) {
			// A signed int read of a long long: not resizable, poisoned.
			if got[0] != call {
				t.Errorf("load = %+v, want the poison call", got[0])
			}
		}},
		{"off_renamed", func(t *testing.T, orig, got []asm.Insn) {
			if got[0] != call {
				t.Errorf("instruction = %+v, want the poison call", got[0])
			}
		}},
		{"enum64_value", func(t *testing.T, orig, got []asm.Insn) {
			if !got[0].IsLdImm64() || asm.Imm64(got, 0) != 0x1122334455667788 {
				t.Errorf("ld_imm64 = %+v %+v, want 0x1122334455667788", got[0], got[1])
			}
		}},
		{"enum64_missing", func(t *testing.T, orig, got []asm.Insn) {
			if got[0] != call || got[1] != call {
				t.Errorf("ld_imm64 = %+v %+v, want both slots poisoned", got[0], got[1])
			}
		}},
		{"type_id_target", func(t *testing.T, orig, got []asm.Insn) {
			target, _ := fixtures(t)
			if want := int32(typeID(t, target, "task", btf.KindStruct)); got[0].Imm != want {
				t.Errorf("immediate = %d, want %d", got[0].Imm, want)
			}
		}},
	} {
		t.Run(tt.prog, func(t *testing.T) {
			p, relos := program(t, tt.prog)
			insns := append([]asm.Insn(nil), p.Insns...)
			if err := newRelocator(t).Relocate(p.Name, insns, relos); err != nil {
				t.Fatal(err)
			}
			tt.check(t, p.Insns, insns)
		})
	}
}

// TestPruning: candidates that did not match a record are dropped for
// the later records of the same local type, as libbpf does: prune___l.c
// exists only in prune___2, which prune___l.b already ruled out.
func TestPruning(t *testing.T) {
	for _, tt := range []struct {
		progs []string
		want  uint64 // field_exists(c), the last record
	}{
		{[]string{"prune_c"}, 1},
		{[]string{"prune_b", "prune_c"}, 0},
	} {
		t.Run(strings.Join(tt.progs, "+"), func(t *testing.T) {
			r := newRelocator(t)
			var last core.Result
			for _, name := range tt.progs {
				_, relos := program(t, name)
				for _, relo := range relos {
					res, err := r.Resolve(relo)
					if err != nil {
						t.Fatal(err)
					}
					last = res
				}
			}
			if last.New != tt.want {
				t.Errorf("field_exists(prune___l.c) = %d, want %d", last.New, tt.want)
			}
		})
	}
}

// TestModules: a type vmlinux lacks is looked for in the modules' split
// BTF, which are read once, and only then.
func TestModules(t *testing.T) {
	target, obj := fixtures(t)
	mod := splitStruct(t, target, "nosuch", 24)
	calls := 0
	modules := func() ([]core.Module, error) {
		calls++
		return []core.Module{{Name: "bpfgen_mod", BTF: mod}}, nil
	}
	r := core.NewRelocator(obj.BTF, core.NewTarget(target, modules))
	for _, tt := range []struct {
		prog  string
		want  uint64
		calls int // modules() calls so far
	}{
		{"off_pid", 8, 0}, // in vmlinux: modules are not read
		{"type_missing", 1, 1},
		{"type_size_missing", 24, 1},
	} {
		_, relos := program(t, tt.prog)
		res, err := r.Resolve(relos[0])
		if err != nil {
			t.Fatalf("%s: %v", tt.prog, err)
		}
		if res.New != tt.want || calls != tt.calls {
			t.Errorf("%s = %d with %d module reads, want %d with %d", tt.prog, res.New, calls, tt.want, tt.calls)
		}
		if tt.calls > 0 && !strings.Contains(res.Target, "in module bpfgen_mod") {
			t.Errorf("%s: target %q, want the module's type", tt.prog, res.Target)
		}
	}

	failing := core.NewTarget(target, func() ([]core.Module, error) { return nil, errors.New("no modules here") })
	_, relos := program(t, "type_missing")
	if _, err := core.NewRelocator(obj.BTF, failing).Resolve(relos[0]); err == nil || !strings.Contains(err.Error(), "no modules here") {
		t.Errorf("with failing modules: %v, want their error", err)
	}
}

// splitStruct builds split BTF on top of base with one struct name of
// the given size (one int member), as a module's BTF would be.
func splitStruct(t *testing.T, base *btf.Spec, name string, size uint32) *btf.Spec {
	t.Helper()
	baseRaw, err := base.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	bo := binary.LittleEndian
	baseStrLen := bo.Uint32(baseRaw[20:])
	intID := typeID(t, base, "int", btf.KindInt)
	strs := "\x00" + name + "\x00i\x00"
	var types []byte
	u32 := func(v uint32) { types = bo.AppendUint32(types, v) }
	u32(baseStrLen + 1)                     // name
	u32(uint32(btf.KindStruct)<<24 | 1)     // info: STRUCT, 1 member
	u32(size)                               // size
	u32(baseStrLen + uint32(len(name)) + 2) // member "i"
	u32(uint32(intID))
	u32(0) // bit offset
	raw := bo.AppendUint16(nil, 0xeb9f)
	raw = append(raw, 1, 0)
	raw = bo.AppendUint32(raw, 24)
	raw = bo.AppendUint32(raw, 0)
	raw = bo.AppendUint32(raw, uint32(len(types)))
	raw = bo.AppendUint32(raw, uint32(len(types)))
	raw = bo.AppendUint32(raw, uint32(len(strs)))
	raw = append(append(raw, types...), strs...)
	spec, err := btf.ParseSplit(raw, base)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestErrors: failures name the program, the instruction, the record's
// kind, type and access string.
func TestErrors(t *testing.T) {
	_, obj := fixtures(t)
	p, relos := program(t, "off_amb")
	_, existsPid := program(t, "exists_pid")
	taskName := func() uint32 {
		_, ty, err := obj.BTF.TypeByName("task", btf.KindStruct)
		if err != nil {
			t.Fatal(err)
		}
		return ty.NameOff
	}()
	for _, tt := range []struct {
		name  string
		relos []btf.CORERelo
		want  core.Error
		msg   string
	}{
		{"ambiguous", relos, core.Error{Program: "off_amb", Insn: 0, Kind: btf.COREFieldByteOffset, Type: "STRUCT amb___l", Access: "0:0"}, "ambiguous"},
		{"outside the program", []btf.CORERelo{{InsnOff: 800, TypeID: relos[0].TypeID, AccessStrOff: relos[0].AccessStrOff}},
			core.Error{Program: "off_amb", Insn: -1, Kind: btf.COREFieldByteOffset, Type: "STRUCT amb___l", Access: "0:0"}, "not an instruction"},
		{"bad access string", []btf.CORERelo{{TypeID: relos[0].TypeID, AccessStrOff: taskName}},
			core.Error{Program: "off_amb", Insn: 0, Kind: btf.COREFieldByteOffset, Type: "STRUCT amb___l", Access: "task"}, "no number"},
		{"unknown kind", []btf.CORERelo{{TypeID: relos[0].TypeID, AccessStrOff: relos[0].AccessStrOff, Kind: 13}},
			core.Error{Program: "off_amb", Insn: 0, Kind: 13, Type: "STRUCT amb___l", Access: "0:0"}, "unknown relocation kind"},
		// off_amb's instruction holds 0, not the 1 an existence check
		// compiles to.
		{"not the compiler's value", []btf.CORERelo{existsPid[0]},
			core.Error{Program: "off_amb", Insn: 0, Kind: btf.COREFieldExists, Type: "STRUCT task___old", Access: "0:1"}, "expects 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			insns := append([]asm.Insn(nil), p.Insns...)
			err := newRelocator(t).Relocate(p.Name, insns, tt.relos)
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("Relocate: %v, want a *core.Error", err)
			}
			got := *e
			got.Err, got.Record, got.TypeID = nil, 0, 0
			if got != tt.want || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q\n= %+v, want %+v with %q", err, got, tt.want, tt.msg)
			}
			for _, part := range []string{"off_amb", tt.want.Access, tt.want.Type, tt.want.Kind.String()} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %q", err, part)
				}
			}
		})
	}
}

func TestPatch(t *testing.T) {
	ldx := func(size asm.Size, off int16) asm.Insn { return asm.LoadMem(size, asm.R1, asm.R2, off) }
	mov := asm.Mov.Imm(asm.R1, 4)
	ld64 := []asm.Insn{{Code: asm.OpLdImm64, Dst: 1, Imm: 7}, {}}
	call := asm.Call(core.PoisonHelper)
	for _, tt := range []struct {
		name  string
		insns []asm.Insn
		res   core.Result
		want  []asm.Insn
		err   string
	}{
		{"alu", []asm.Insn{mov}, core.Result{Orig: 4, New: 12, Validate: true},
			[]asm.Insn{{Code: mov.Code, Dst: 1, Imm: 12}}, ""},
		{"alu, not validated", []asm.Insn{mov}, core.Result{Orig: 5, New: 12},
			[]asm.Insn{{Code: mov.Code, Dst: 1, Imm: 12}}, ""},
		{"alu, unexpected value", []asm.Insn{mov}, core.Result{Orig: 5, New: 12, Validate: true}, nil, "expects 5"},
		{"alu, register source", []asm.Insn{asm.Add.Reg(asm.R0, asm.R0)}, core.Result{New: 1}, nil, "register source"},
		{"alu, negative", []asm.Insn{{Code: mov.Code, Imm: -1}}, core.Result{Orig: ^uint64(0), New: ^uint64(4), Validate: true},
			[]asm.Insn{{Code: mov.Code, Imm: -5}}, ""},
		{"load", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 4, NewSize: 4, Validate: true},
			[]asm.Insn{ldx(asm.SizeW, 8)}, ""},
		{"load, widened", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 4, NewSize: 8, Validate: true},
			[]asm.Insn{ldx(asm.SizeDW, 8)}, ""},
		{"load, narrowed", []asm.Insn{ldx(asm.SizeDW, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 8, NewSize: 2, Validate: true},
			[]asm.Insn{ldx(asm.SizeH, 8)}, ""},
		{"load, bad size change", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 4, NewSize: 8, Validate: true, BadSizeChange: true},
			[]asm.Insn{call}, ""},
		{"load, wrong access size", []asm.Insn{ldx(asm.SizeH, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 4, NewSize: 8}, nil, "load/store of 2 bytes"},
		{"load, odd new size", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 4, New: 8, OrigSize: 4, NewSize: 3}, nil, "3 bytes"},
		{"load, offset too large", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 4, New: 40000}, nil, "out of range"},
		{"load, unexpected offset", []asm.Insn{ldx(asm.SizeW, 4)}, core.Result{Orig: 0, New: 8, Validate: true}, nil, "expects 0"},
		{"store", []asm.Insn{asm.StoreImm(asm.SizeB, asm.R0, 1, 0)}, core.Result{Orig: 1, New: 3, Validate: true},
			[]asm.Insn{asm.StoreImm(asm.SizeB, asm.R0, 3, 0)}, ""},
		{"ld_imm64", ld64, core.Result{Orig: 7, New: 0x1_0000_0002, Validate: true},
			[]asm.Insn{{Code: asm.OpLdImm64, Dst: 1, Imm: 2}, {Imm: 1}}, ""},
		{"ld_imm64, unexpected value", ld64, core.Result{Orig: 8, New: 1, Validate: true}, nil, "expects 8"},
		{"ld_imm64 of a map", []asm.Insn{{Code: asm.OpLdImm64, Src: asm.PseudoMapFD}, {}}, core.Result{New: 1}, nil, "not a plain"},
		{"ld_imm64, bad second slot", []asm.Insn{{Code: asm.OpLdImm64}, {Code: 1}}, core.Result{New: 1}, nil, "second slot"},
		{"ld_imm64, cut off", []asm.Insn{{Code: asm.OpLdImm64}}, core.Result{New: 1}, nil, "not a plain"},
		{"poison", []asm.Insn{mov}, core.Result{Poison: true}, []asm.Insn{call}, ""},
		{"poison ld_imm64", ld64, core.Result{Poison: true}, []asm.Insn{call, call}, ""},
		{"jump", []asm.Insn{asm.JEq.Imm(asm.R0, 0, "next").Off(0)}, core.Result{New: 1}, nil, "cannot be relocated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			insns := append([]asm.Insn(nil), tt.insns...)
			err := core.Patch(insns, 0, tt.res)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Patch: %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(insns) != fmt.Sprint(tt.want) {
				t.Errorf("patched to %+v, want %+v", insns, tt.want)
			}
		})
	}
	if err := core.Patch(nil, 0, core.Result{}); err == nil {
		t.Error("Patch of an empty program: no error")
	}
}

func TestEssentialName(t *testing.T) {
	for in, want := range map[string]string{
		"task_struct":          "task_struct",
		"task_struct___v2":     "task_struct",
		"task_struct___a___b":  "task_struct___a",
		"a___b":                "a",
		"___b":                 "___b",
		"a____b":               "a____b",
		"a___":                 "a___",
		"a___b_":               "a",
		"x":                    "x",
		"":                     "",
		"BPF_MAP_TYPE_X___old": "BPF_MAP_TYPE_X",
	} {
		if got := core.EssentialName(in); got != want {
			t.Errorf("EssentialName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAccess(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []int
		err  string
	}{
		{in: "0", want: []int{0}},
		{in: "0:1:2", want: []int{0, 1, 2}},
		{in: "12:034", want: []int{12, 34}},
		{in: " 1: +2", want: []int{1, 2}},
		{in: "1 2", want: []int{1, 2}},
		{in: "-0", want: []int{0}},
		{in: "2147483647", want: []int{2147483647}},
		{in: "", err: "empty"},
		{in: ":1", err: "starts with"},
		{in: "1:", err: "no number"},
		{in: "1::2", err: "no number"},
		{in: "1:a", err: "no number"},
		{in: "1 ", err: "no number"},
		{in: "0:-1", err: "negative"},
		{in: "2147483648", err: "out of range"},
		{in: strings.Repeat("0:", 64) + "0", err: "deeper than 64"},
	} {
		got, err := core.ParseAccess(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAccess(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseAccess(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if got, err := core.ParseAccess(strings.Repeat("0:", 63) + "0"); err != nil || len(got) != 64 {
		t.Errorf("64 indexes: %d, %v", len(got), err)
	}
}
