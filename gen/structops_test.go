package gen_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// tcpLayout is a kernel's layout of struct tcp_congestion_ops (the
// members testdata/structops sets, by byte offset) and of its struct_ops
// value type.
type tcpLayout struct {
	off                      map[string]uint32
	size, dataOff, valueSize uint32
}

// hostLayout is Linux 6.18's.
func hostLayout() tcpLayout {
	return tcpLayout{
		off:  map[string]uint32{"ssthresh": 0, "cong_avoid": 8, "undo_cwnd": 64, "name": 88, "key": 136, "flags": 140},
		size: 192, dataOff: 64, valueSize: 256,
	}
}

// runningLayout is the running kernel's, read from its BTF: a test that
// changes one thing of it knows which check must fail first (Linux 7.3
// reorders the struct).
func runningLayout(t *testing.T) tcpLayout {
	t.Helper()
	l := tcpLayout{off: map[string]uint32{}}
	for name := range hostLayout().off {
		off, ok := kbtf.MemberOffset("tcp_congestion_ops", name)
		if !ok {
			t.Fatalf("the kernel's struct tcp_congestion_ops has no member %s", name)
		}
		l.off[name] = off
	}
	var ok1, ok2, ok3 bool
	l.size, ok1 = kbtf.StructSize("tcp_congestion_ops")
	l.valueSize, ok2 = kbtf.StructSize("bpf_struct_ops_tcp_congestion_ops")
	l.dataOff, ok3 = kbtf.MemberOffset("bpf_struct_ops_tcp_congestion_ops", "data")
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("the kernel's BTF lacks tcp_congestion_ops or its struct_ops value type")
	}
	return l
}

// fakeKernelBTF describes struct tcp_congestion_ops and its struct_ops
// value type laid out as l says, as some other kernel might.
func fakeKernelBTF(t *testing.T, l tcpLayout) *btf.Spec {
	t.Helper()
	ptr := func(name string) btf.Member { return btf.Member{Name: name, Type: 3, Offset: 8 * l.off[name]} }
	members := []btf.Member{
		ptr("ssthresh"), ptr("cong_avoid"), ptr("undo_cwnd"),
		{Name: "name", Type: 5, Offset: 8 * l.off["name"]}, {Name: "key", Type: 1, Offset: 8 * l.off["key"]}, {Name: "flags", Type: 1, Offset: 8 * l.off["flags"]},
	}
	// The kernel's BTF check wants members in offset order, whatever the
	// layout (the layout check's BTF carries this struct).
	slices.SortStableFunc(members, func(a, b btf.Member) int { return int(a.Offset) - int(b.Offset) })
	types := []btf.Type{
		{Kind: btf.KindInt, Name: "unsigned int", Size: 4, IntBits: 32},                    // 1
		{Kind: btf.KindFuncProto, Type: 1},                                                 // 2
		{Kind: btf.KindPtr, Type: 2},                                                       // 3
		{Kind: btf.KindInt, Name: "char", Size: 1, IntBits: 8, IntEncoding: btf.IntSigned}, // 4
		{Kind: btf.KindArray, Array: btf.Array{Type: 4, IndexType: 1, Nelems: 16}},         // 5
		{Kind: btf.KindStruct, Name: "tcp_congestion_ops", Size: l.size, Members: members}, // 6
		{Kind: btf.KindStruct, Name: "bpf_struct_ops_tcp_congestion_ops", Size: l.valueSize, Members: []btf.Member{ // 7
			{Name: "refcnt", Type: 1}, {Name: "data", Type: 6, Offset: 8 * l.dataOff},
		}},
	}
	raw, _, err := btf.Encode(types, nil, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestStructOpsLayoutMismatch: a loader made with another kernel's layout
// of the struct refuses to load here, naming the struct and the member (or
// the value type) whose layout differs, and leaves nothing behind.
func TestStructOpsLayoutMismatch(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.Require(t, "structops")
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	moved, bigger := runningLayout(t), runningLayout(t)
	moved.off["cong_avoid"] += 8
	bigger.valueSize += 64
	tests := []struct {
		name   string
		layout tcpLayout
		want   string
	}{
		{"member moved", moved, fmt.Sprintf("check member cong_avoid of struct tcp_congestion_ops on the target (offset %d, 8 bytes)", moved.off["cong_avoid"])},
		{"value size", bigger, fmt.Sprintf("check struct_ops value type bpf_struct_ops_tcp_congestion_ops on the target (%d bytes", bigger.valueSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := gen.GenerateWith(obj, nil, gen.Options{KernelBTF: fakeKernelBTF(t, tt.layout)})
			if err != nil {
				t.Fatal(err)
			}
			var so lskel.StructOpsContext
			res, err := lskel.Run(&l.Loader, &lskel.RunOptions{StructOps: so.Prepare})
			if err == nil {
				res.Close()
				t.Fatal("loader made for another layout loaded")
			}
			var le *lskel.LoadError
			if !errors.As(err, &le) || !strings.HasPrefix(le.Step, tt.want) || !errors.Is(err, unix.EINVAL) {
				t.Errorf("error %v, want a failed step %q... with EINVAL", err, tt.want)
			}
		})
	}
}

// TestStructOpsNeedsCheck: a loader with struct_ops maps run without the
// layout check (RunOptions.StructOps) refuses to load rather than trust
// its assumptions.
func TestStructOpsNeedsCheck(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.Require(t, "structops")
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lskel.Run(&l.Loader, nil)
	if err == nil {
		res.Close()
		t.Fatal("loader with struct_ops maps loaded without its layout check")
	}
	if !strings.Contains(err.Error(), "check struct_ops value type bpf_struct_ops_tcp_congestion_ops") {
		t.Errorf("error %v does not name the check", err)
	}
}

// TestStructOpsMissingMember: a member the object sets but the kernel's
// struct lacks is an error naming struct and member, at generation as in
// a direct load (libbpf's rule); a missing member the object leaves zero
// is fine.
func TestStructOpsMissingMember(t *testing.T) {
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	spec := fakeKernelBTF(t, hostLayout())
	// Drop "name" (set by the object) from the struct: rebuild it.
	var types []btf.Type
	for id := btf.TypeID(1); int(id) <= spec.NumTypes(); id++ {
		ty, err := spec.Type(id)
		if err != nil {
			break
		}
		c := *ty
		if c.Name == "tcp_congestion_ops" {
			c.Members = nil
			for _, m := range ty.Members {
				if m.Name != "name" {
					c.Members = append(c.Members, m)
				}
			}
		}
		types = append(types, c)
	}
	raw, _, err := btf.Encode(types, nil, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	noName, err := btf.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = gen.GenerateWith(obj, nil, gen.Options{KernelBTF: noName})
	if err == nil || !strings.Contains(err.Error(), "struct tcp_congestion_ops has no member name in the kernel, and the object sets it") {
		t.Errorf("generate without member name: %v", err)
	}
	// key and flags are zero in the object: absent or not, it generates.
	if _, err := gen.GenerateWith(obj, nil, gen.Options{KernelBTF: spec}); err != nil {
		t.Errorf("generate: %v", err)
	}
}

// TestStructOpsLinkUpdate registers a congestion control through a link,
// then moves the link to the same map of a second load
// (lskel.UpdateStructOps, BPF_LINK_UPDATE): connections then run the
// second load's programs, and closing the link unregisters it.
func TestStructOpsLinkUpdate(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.Require(t, "structops")
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := -1 // the .struct_ops.link map's descriptor
	for i, d := range l.StructOps {
		if d.Link {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("no .struct_ops.link map")
	}
	bss := slices.IndexFunc(obj.Maps, func(m *object.Map) bool { return m.Name == ".bss" })
	load := func() (*lskel.Result, *lskel.StructOpsContext) {
		t.Helper()
		so := new(lskel.StructOpsContext)
		res, err := lskel.Run(&l.Loader, &lskel.RunOptions{StructOps: so.Prepare})
		if err != nil {
			t.Fatal(err)
		}
		return res, so
	}
	acked := func(res *lskel.Result) uint64 {
		t.Helper()
		v := make([]byte, res.Map(bss).ValueSize())
		if err := res.Map(bss).Lookup(make([]byte, 4), v); err != nil {
			t.Fatal(err)
		}
		return binary.NativeEndian.Uint64(v) // acked_calls, the first variable
	}
	first, so1 := load()
	defer first.Close()
	second, so2 := load()
	defer second.Close()

	link, err := lskel.AttachStructOps(first, so1, k)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	const cc = "bpfgen_so_link"
	if err := behave.TCPTransfer(cc, 256<<10); err != nil {
		t.Fatal(err)
	}
	if acked(first) == 0 || acked(second) != 0 {
		t.Fatalf("before the update: first load's cong_avoid ran %d times, second's %d", acked(first), acked(second))
	}
	if err := lskel.UpdateStructOps(link, second, so2, k); err != nil {
		t.Fatal(err)
	}
	before := acked(first)
	if err := behave.TCPTransfer(cc, 256<<10); err != nil {
		t.Fatal(err)
	}
	if acked(second) == 0 || acked(first) != before {
		t.Errorf("after the update: second load's cong_avoid ran %d times, first's %d more", acked(second), acked(first)-before)
	}
	if err := link.Close(); err != nil {
		t.Fatal(err)
	}
	if behave.HasCongestionControl(cc) {
		t.Errorf("%s still registered after closing the link", cc)
	}
}
