package lskel

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
)

type point struct {
	X, Y uint32
}

func TestTypedMap(t *testing.T) {
	requireKernel(t)
	m := testMap(t, unix.BPF_MAP_TYPE_HASH, 4, 8, 16, 0)
	tm := TypedMap[uint32, point]{m}
	for i := uint32(1); i <= 3; i++ {
		if err := tm.Update(i, point{i, i * 10}, UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := tm.Lookup(2); err != nil || p != (point{2, 20}) {
		t.Fatalf("Lookup(2) = %+v, %v", p, err)
	}
	if err := tm.Delete(2); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Lookup(2); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("Lookup of a deleted key: %v", err)
	}
	sum := uint32(0)
	for k, err := range tm.Keys() {
		if err != nil {
			t.Fatal(err)
		}
		sum += k
	}
	if sum != 4 {
		t.Errorf("keys sum to %d, want 1+3", sum)
	}
	var ys uint32
	if err := tm.Iterate(func(k uint32, v point) bool { ys += v.Y; return true }); err != nil {
		t.Fatal(err)
	}
	if ys != 40 {
		t.Errorf("values' Y sum to %d, want 10+30", ys)
	}
}

func TestPerCPUMap(t *testing.T) {
	requireKernel(t)
	m := testMap(t, unix.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0)
	n, err := kernel.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	pm := PerCPUMap[uint32, uint32]{m}
	values := make([]uint32, n)
	for i := range values {
		values[i] = uint32(100 + i)
	}
	if err := pm.Update(1, values, UpdateAny); err != nil {
		t.Fatal(err)
	}
	got, err := pm.Lookup(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got[n-1] != uint32(100+n-1) {
		t.Fatalf("Lookup(1) = %v, want %v", got, values)
	}
}

func TestMmapAs(t *testing.T) {
	requireKernel(t)
	m := testMap(t, unix.BPF_MAP_TYPE_ARRAY, 4, 8, 1, unix.BPF_F_MMAPABLE)
	var mappings [][]byte
	p, err := MmapAs[point](&mappings, m, true)
	if err != nil {
		t.Fatal(err)
	}
	defer Munmap(mappings[0])
	p.X, p.Y = 7, 9
	got, err := TypedMap[uint32, point]{m}.Lookup(0)
	if err != nil || got != (point{7, 9}) {
		t.Fatalf("map value %+v, %v; want what was written through the mapping", got, err)
	}
	if len(mappings) != 1 {
		t.Fatalf("%d mappings recorded", len(mappings))
	}
}

func TestBytes(t *testing.T) {
	v := point{0x01020304, 5}
	b := Bytes(&v)
	if len(b) != 8 {
		t.Fatalf("%d bytes", len(b))
	}
	b[4] = 6
	if v.Y != 6 {
		t.Error("Bytes does not alias the value")
	}
}

func TestTestRun(t *testing.T) {
	requireKernel(t)
	// A socket filter returning 7, run on a 14-byte packet.
	prog := testProg(t, progSpec{typ: unix.BPF_PROG_TYPE_SOCKET_FILTER, insns: []asm.Insn{asm.Mov.Imm(asm.R0, 7), asm.Exit()}}, "socket")
	rv, out, err := prog.Test(make([]byte, 14), nil)
	if err != nil || rv != 7 || len(out) != 14 {
		t.Fatalf("Test = %d, %d bytes, %v; want 7, 14 bytes", rv, len(out), err)
	}
}
