package lskel

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
)

func TestMapOfMaps(t *testing.T) {
	requireKernel(t)
	inner1 := TypedMap[uint32, uint64]{testMap(t, unix.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0)}
	inner2 := TypedMap[uint32, uint64]{testMap(t, unix.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0)}
	for _, typ := range []uint32{unix.BPF_MAP_TYPE_ARRAY_OF_MAPS, unix.BPF_MAP_TYPE_HASH_OF_MAPS} {
		fd, err := kernel.MapCreate(&kernel.MapCreateAttr{
			Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: uint32(inner1.FD()), Name: "outer",
		})
		if err != nil {
			t.Fatalf("create map of maps type %d: %v", typ, err)
		}
		m, err := NewMap(fd)
		if err != nil {
			unix.Close(fd)
			t.Fatal(err)
		}
		outer := MapOfMaps[uint32]{m}
		if err := outer.SetInner(0, inner1.Map, UpdateAny); err != nil {
			t.Fatal(err)
		}
		if err := outer.SetInner(3, inner2.Map, UpdateAny); err != nil {
			t.Fatal(err)
		}
		// The map read back through the outer map is the one stored.
		if err := inner2.Update(0, 4242, UpdateAny); err != nil {
			t.Fatal(err)
		}
		got, err := outer.Inner(3)
		if err != nil {
			t.Fatal(err)
		}
		v, err := TypedMap[uint32, uint64]{got}.Lookup(0)
		got.Close()
		if err != nil || v != 4242 {
			t.Fatalf("inner map of key 3: value %d, %v; want 4242", v, err)
		}
		if _, err := outer.Inner(1); !errors.Is(err, ErrKeyNotExist) {
			t.Fatalf("Inner of an empty slot: %v, want ErrKeyNotExist", err)
		}
		// An inner map of another shape is refused.
		other := testMap(t, unix.BPF_MAP_TYPE_HASH, 4, 4, 8, 0)
		if err := outer.SetInner(2, other, UpdateAny); err == nil {
			t.Fatal("SetInner with a hash map into a map of arrays succeeded")
		}
		if err := outer.Delete(3); err != nil {
			t.Fatal(err)
		}
		if _, err := outer.Inner(3); !errors.Is(err, ErrKeyNotExist) {
			t.Fatalf("Inner of a deleted key: %v, want ErrKeyNotExist", err)
		}
		n := 0
		for _, err := range outer.Keys() {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if want := map[uint32]int{unix.BPF_MAP_TYPE_ARRAY_OF_MAPS: 4, unix.BPF_MAP_TYPE_HASH_OF_MAPS: 1}[typ]; n != want {
			t.Fatalf("map of maps type %d has %d keys, want %d", typ, n, want)
		}
		m.Close()
	}
}
