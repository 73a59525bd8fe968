package kernel

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	ciliumbtf "github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

// btfFeature names a field of BTFFeatureSet, the release that brought
// it, and how cilium/ebpf's own BTF encoder spells a blob that has it.
type btfFeature struct {
	name    string
	release [2]int
	field   func(BTFFeatureSet) bool
	cilium  func() []ciliumbtf.Type
}

func btfFeatureTable() []btfFeature {
	i32 := func() *ciliumbtf.Int {
		return &ciliumbtf.Int{Name: "int", Size: 4, Encoding: ciliumbtf.Signed}
	}
	fn := func(linkage ciliumbtf.FuncLinkage) []ciliumbtf.Type {
		proto := &ciliumbtf.FuncProto{Return: i32(), Params: []ciliumbtf.FuncParam{{Name: "x", Type: i32()}}}
		return []ciliumbtf.Type{&ciliumbtf.Func{Name: "f", Type: proto, Linkage: linkage}}
	}
	datasec := func(name string) []ciliumbtf.Type {
		v := &ciliumbtf.Var{Name: "v", Type: i32(), Linkage: ciliumbtf.StaticVar}
		return []ciliumbtf.Type{&ciliumbtf.Datasec{Name: name, Size: 4, Vars: []ciliumbtf.VarSecinfo{{Type: v, Offset: 0, Size: 4}}}}
	}
	return []btfFeature{
		{"BTF", [2]int{4, 18}, func(f BTFFeatureSet) bool { return f.BTF },
			func() []ciliumbtf.Type { return []ciliumbtf.Type{i32()} }},
		{"Func", [2]int{5, 0}, func(f BTFFeatureSet) bool { return f.Func },
			func() []ciliumbtf.Type { return fn(ciliumbtf.StaticFunc) }},
		{"GlobalFunc", [2]int{5, 6}, func(f BTFFeatureSet) bool { return f.GlobalFunc },
			func() []ciliumbtf.Type { return fn(ciliumbtf.GlobalFunc) }},
		{"Datasec", [2]int{5, 2}, func(f BTFFeatureSet) bool { return f.Datasec },
			func() []ciliumbtf.Type { return datasec(".data") }},
		{"QmarkDatasec", [2]int{6, 9}, func(f BTFFeatureSet) bool { return f.QmarkDatasec },
			func() []ciliumbtf.Type { return datasec("?.data") }},
		{"Float", [2]int{5, 13}, func(f BTFFeatureSet) bool { return f.Float },
			func() []ciliumbtf.Type { return []ciliumbtf.Type{&ciliumbtf.Float{Name: "float", Size: 4}} }},
		{"DeclTag", [2]int{5, 16}, func(f BTFFeatureSet) bool { return f.DeclTag },
			func() []ciliumbtf.Type {
				return []ciliumbtf.Type{&ciliumbtf.Var{Name: "v", Type: i32(), Tags: []string{"tag"}}}
			}},
		{"TypeTag", [2]int{5, 17}, func(f BTFFeatureSet) bool { return f.TypeTag },
			func() []ciliumbtf.Type {
				return []ciliumbtf.Type{&ciliumbtf.Pointer{Target: &ciliumbtf.TypeTag{Value: "tag", Type: i32()}}}
			}},
		{"Enum64", [2]int{6, 0}, func(f BTFFeatureSet) bool { return f.Enum64 },
			func() []ciliumbtf.Type {
				return []ciliumbtf.Type{
					&ciliumbtf.Enum{Name: "e64", Size: 8, Values: []ciliumbtf.EnumValue{{Name: "BIG", Value: math.MaxUint32 + 1}}},
					&ciliumbtf.Enum{Name: "es", Size: 4, Signed: true, Values: []ciliumbtf.EnumValue{{Name: "ONE", Value: 1}}},
				}
			}},
	}
}

// ciliumLoads encodes types with cilium/ebpf's BTF encoder, without any of
// its compatibility rewrites, and loads the result through cilium/ebpf.
func ciliumLoads(t *testing.T, types []ciliumbtf.Type) bool {
	t.Helper()
	b, err := ciliumbtf.NewBuilder(types, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.Marshal(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ciliumbtf.NewHandleFromRawBTF(raw)
	if err != nil {
		return false
	}
	h.Close()
	return true
}

// Every BTF feature probe agrees with the same feature encoded and loaded
// by cilium/ebpf, and with cilium/ebpf's own probes where it exposes them
// (through KernelMarshalOptions): on whatever kernel runs the tests.
func TestBTFFeaturesAgreeWithCilium(t *testing.T) {
	testutil.RequireKernel(t)
	got := BTFFeatures()
	for _, ft := range btfFeatureTable() {
		if want := ciliumLoads(t, ft.cilium()); ft.field(got) != want {
			t.Errorf("%s: our probe says %v; the kernel loads cilium/ebpf's encoding of it: %v", ft.name, ft.field(got), want)
		}
	}
	opts := ciliumbtf.KernelMarshalOptions()
	for _, c := range []struct {
		name      string
		have      bool
		ciliumHas bool
	}{
		{"GlobalFunc (StripFuncLinkage)", got.GlobalFunc, !opts.StripFuncLinkage},
		{"DeclTag (ReplaceDeclTags)", got.DeclTag, !opts.ReplaceDeclTags},
		{"TypeTag (ReplaceTypeTags)", got.TypeTag, !opts.ReplaceTypeTags},
		{"Enum64 (ReplaceEnum64)", got.Enum64, !opts.ReplaceEnum64},
	} {
		if c.have != c.ciliumHas {
			t.Errorf("%s: our probe says %v, cilium/ebpf's says %v", c.name, c.have, c.ciliumHas)
		}
	}
	t.Logf("%+v", got)
}

// A kernel at least as new as a feature's release has it (this 6.18
// machine: every one); the BTF probe comes first and, failing, leaves
// every feature false.
func TestBTFFeaturesByRelease(t *testing.T) {
	testutil.RequireKernel(t)
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	release := unix.ByteSliceToString(uts.Release[:])
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", release, err)
	}
	got := BTFFeatures()
	for _, ft := range btfFeatureTable() {
		newer := atLeast([2]int{major, minor}, ft.release)
		if newer && !ft.field(got) {
			t.Errorf("%s: false on Linux %s, but it came with %d.%d", ft.name, release, ft.release[0], ft.release[1])
		}
		if !newer {
			t.Logf("%s (%d.%d): %v on Linux %s", ft.name, ft.release[0], ft.release[1], ft.field(got), release)
		}
	}
	if got.BTF != BTFFeatures().BTF || got != BTFFeatures() {
		t.Error("BTFFeatures changed between calls")
	}
	if !got.BTF && got != (BTFFeatureSet{}) {
		t.Errorf("no BTF, yet features: %+v", got)
	}
	if got.Complete() != (got == BTFFeatureSet{true, true, true, true, true, true, true, true, true}) {
		t.Error("Complete disagrees with the fields")
	}
}

// Each probe blob holds exactly its feature's kinds, as cilium/ebpf reads
// them, and the kernel refuses a blob that is broken on purpose (so a
// probe can say no).
func TestBTFProbeBlobs(t *testing.T) {
	want := map[string]string{
		"BTF":          "int",
		"Func":         "int proto func(static)",
		"GlobalFunc":   "int proto func(global)",
		"Datasec":      `int var datasec("sec")`,
		"QmarkDatasec": `int var datasec("?sec")`,
		"Float":        "float(8)",
		"DeclTag":      "int struct(tags [probe_tag])",
		"TypeTag":      "int type_tag ptr",
		"Enum64":       "enum(8, unsigned, 4294967296) enum(4, signed, 18446744073709551615)",
	}
	describe := func(typ ciliumbtf.Type) string {
		switch typ := typ.(type) {
		case *ciliumbtf.Int:
			return "int"
		case *ciliumbtf.FuncProto:
			return "proto"
		case *ciliumbtf.Func:
			return fmt.Sprintf("func(%v)", typ.Linkage)
		case *ciliumbtf.Var:
			return "var"
		case *ciliumbtf.Datasec:
			return fmt.Sprintf("datasec(%q)", typ.Name)
		case *ciliumbtf.Float:
			return fmt.Sprintf("float(%d)", typ.Size)
		case *ciliumbtf.Struct:
			return fmt.Sprintf("struct(tags %v)", typ.Members[0].Tags)
		case *ciliumbtf.TypeTag:
			return "type_tag"
		case *ciliumbtf.Pointer:
			return "ptr"
		case *ciliumbtf.Enum:
			sign := "unsigned"
			if typ.Signed {
				sign = "signed"
			}
			return fmt.Sprintf("enum(%d, %s, %d)", typ.Size, sign, typ.Values[0].Value)
		}
		return fmt.Sprintf("%T", typ)
	}
	names := []string{"BTF", "Func", "GlobalFunc", "Datasec", "QmarkDatasec", "Float", "DeclTag", "TypeTag", "Enum64"}
	if len(btfFeatureProbes) != len(names) {
		t.Fatalf("%d probes, want %d", len(btfFeatureProbes), len(names))
	}
	for i, p := range btfFeatureProbes {
		name := names[i]
		var f BTFFeatureSet
		*p.field(&f) = true
		if ft := btfFeatureTable()[i]; ft.name != name || !ft.field(f) {
			t.Fatalf("probe %d sets the wrong field", i)
		}
		spec, err := ciliumbtf.LoadSpecFromReader(bytes.NewReader(p.blob()))
		if err != nil {
			t.Fatalf("%s: cilium/ebpf cannot read the probe blob: %v", name, err)
		}
		var kinds []string
		for typ, err := range spec.All() {
			if err != nil {
				t.Fatal(err)
			}
			if _, void := typ.(*ciliumbtf.Void); !void {
				kinds = append(kinds, describe(typ))
			}
		}
		if got := strings.Join(kinds, " "); got != want[name] {
			t.Errorf("%s: probe blob holds %s, want %s", name, got, want[name])
		}
	}
	// Each blob uses its feature and nothing newer: package btf finds
	// nothing to rewrite for a kernel with every feature up to that
	// release, and something once the feature itself is missing.
	table := btfFeatureTable()
	for i, p := range btfFeatureProbes {
		ft := table[i]
		var upTo btf.Features
		for _, other := range table[1:] {
			if atLeast(ft.release, other.release) {
				setBTFFeature(&upTo, other.name, true)
			}
		}
		s, err := btf.Parse(p.blob())
		if err != nil {
			t.Fatalf("%s: %v", ft.name, err)
		}
		if s.NeedsSanitize(upTo) {
			t.Errorf("%s: the probe blob uses a feature newer than %d.%d", ft.name, ft.release[0], ft.release[1])
		}
		if ft.name == "BTF" {
			continue
		}
		without := upTo
		setBTFFeature(&without, ft.name, false)
		if !s.NeedsSanitize(without) {
			t.Errorf("%s: the probe blob does not use the feature", ft.name)
		}
	}

	if !btfLoads(probeBlobBTF()) {
		testutil.SkipOrFail(t, "BPF_BTF_LOAD refuses even the minimal blob")
	}
	broken := probeBlobBTF()
	broken[len(broken)-1] = 'x' // string table no longer NUL-terminated
	if btfLoads(broken) {
		t.Error("the kernel accepted BTF whose string table is not NUL-terminated")
	}
}

// setBTFFeature sets the field of package btf's Features named name.
func setBTFFeature(f *btf.Features, name string, v bool) {
	switch name {
	case "Func":
		f.Func = v
	case "GlobalFunc":
		f.GlobalFunc = v
	case "Datasec":
		f.Datasec = v
	case "QmarkDatasec":
		f.QmarkDatasec = v
	case "Float":
		f.Float = v
	case "DeclTag":
		f.DeclTag = v
	case "TypeTag":
		f.TypeTag = v
	case "Enum64":
		f.Enum64 = v
	default:
		panic(name)
	}
}

// atLeast reports whether release a is b or newer.
func atLeast(a, b [2]int) bool { return a[0] > b[0] || (a[0] == b[0] && a[1] >= b[1]) }
