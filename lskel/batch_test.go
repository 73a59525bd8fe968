package lskel

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
)

// walkBatches reads a whole map with LookupBatch (or, del, with
// LookupAndDeleteBatch) in batches of size entries.
func walkBatches(t *testing.T, m TypedMap[uint32, point], size int, del bool) map[uint32]point {
	t.Helper()
	got := map[uint32]point{}
	var c BatchCursor
	keys, values := make([]uint32, size), make([]point, size)
	for calls := 0; !c.Done(); calls++ {
		if calls > 1000 {
			t.Fatal("batch walk does not end")
		}
		batch := m.LookupBatch
		if del {
			batch = m.LookupAndDeleteBatch
		}
		n, err := batch(&c, keys, values)
		if err != nil {
			t.Fatalf("batch %d: %v", calls, err)
		}
		for i := range n {
			if _, dup := got[keys[i]]; dup {
				t.Fatalf("key %d twice in one walk", keys[i])
			}
			got[keys[i]] = values[i]
		}
	}
	return got
}

func TestBatchHash(t *testing.T) {
	requireKernel(t)
	m := TypedMap[uint32, point]{testMap(t, unix.BPF_MAP_TYPE_HASH, 4, 8, 128, 0)}
	const n = 100
	keys, values := make([]uint32, n), make([]point, n)
	for i := range keys {
		keys[i], values[i] = uint32(i+1), point{uint32(i), uint32(i * 3)}
	}
	if got, err := m.UpdateBatch(keys, values); err != nil || got != n {
		t.Fatalf("UpdateBatch = %d, %v; want %d", got, err, n)
	}
	// A full map stops the batch at the first key that does not fit.
	extra := make([]uint32, 128-n+1)
	for i := range extra {
		extra[i] = uint32(1001 + i)
	}
	got, err := m.UpdateBatch(extra, make([]point, len(extra)))
	if !errors.Is(err, unix.E2BIG) || got != 128-n {
		t.Fatalf("UpdateBatch past max_entries = %d, %v; want %d, E2BIG", got, err, 128-n)
	}
	if got, err := m.DeleteBatch(extra[:got]); err != nil || got != 128-n {
		t.Fatalf("DeleteBatch = %d, %v", got, err)
	}
	for _, size := range []int{16, 33, n + 5} {
		got := walkBatches(t, m, size, false)
		if len(got) != n {
			t.Fatalf("batches of %d: %d entries, want %d", size, len(got), n)
		}
		for i, k := range keys {
			if got[k] != values[i] {
				t.Fatalf("batches of %d: key %d = %+v, want %+v", size, k, got[k], values[i])
			}
		}
	}
	// Delete the first ten, then read-and-delete the rest.
	if got, err := m.DeleteBatch(keys[:10]); err != nil || got != 10 {
		t.Fatalf("DeleteBatch = %d, %v", got, err)
	}
	if got, err := m.DeleteBatch(keys[:1]); !errors.Is(err, ErrKeyNotExist) || got != 0 {
		t.Fatalf("DeleteBatch of a deleted key = %d, %v; want 0, ErrKeyNotExist", got, err)
	}
	if got := walkBatches(t, m, 32, true); len(got) != n-10 {
		t.Fatalf("lookup and delete batches: %d entries, want %d", len(got), n-10)
	}
	if got := walkBatches(t, m, 32, false); len(got) != 0 {
		t.Fatalf("%d entries left after lookup and delete", len(got))
	}
	// Wrong buffer sizes are refused before the kernel sees them.
	var c BatchCursor
	if _, err := (Batch{m.Map}).Lookup(&c, make([]byte, 6), make([]byte, 8)); err == nil || !strings.Contains(err.Error(), "whole keys") {
		t.Fatalf("LookupBatch with 6 bytes of keys: %v", err)
	}
	if _, err := m.LookupBatch(&c, make([]uint32, 2), make([]point, 1)); err == nil || !strings.Contains(err.Error(), "want 16") {
		t.Fatalf("LookupBatch with 2 keys and 1 value: %v", err)
	}
}

func TestBatchArray(t *testing.T) {
	requireKernel(t)
	m := TypedMap[uint32, point]{testMap(t, unix.BPF_MAP_TYPE_ARRAY, 4, 8, 10, 0)}
	keys := []uint32{0, 4, 9}
	values := []point{{1, 2}, {3, 4}, {5, 6}}
	if _, err := m.UpdateBatch(keys, values); err != nil {
		t.Fatal(err)
	}
	got := walkBatches(t, m, 4, false)
	if len(got) != 10 || got[4] != (point{3, 4}) || got[9] != (point{5, 6}) || got[1] != (point{}) {
		t.Fatalf("array batches = %v", got)
	}
	// Arrays cannot delete: lookup-and-delete is not an operation of theirs.
	var c BatchCursor
	_, err := m.LookupAndDeleteBatch(&c, make([]uint32, 4), make([]point, 4))
	if err == nil || !strings.Contains(err.Error(), "do not support it") {
		t.Fatalf("LookupAndDeleteBatch on an array: %v, want an error saying arrays do not support it", err)
	}
	if _, err := m.DeleteBatch(keys); err == nil {
		t.Fatal("DeleteBatch on an array succeeded")
	}
}

func TestBatchPerCPU(t *testing.T) {
	requireKernel(t)
	ncpu, err := kernel.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	m := PerCPUMap[uint32, uint32]{testMap(t, unix.BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 16, 0)}
	keys := []uint32{7, 8, 9}
	values := make([][]uint32, len(keys))
	for i := range values {
		values[i] = make([]uint32, ncpu)
		for c := range values[i] {
			values[i][c] = uint32(i*1000 + c)
		}
	}
	if got, err := m.UpdateBatch(keys, values); err != nil || got != 3 {
		t.Fatalf("UpdateBatch = %d, %v", got, err)
	}
	if ncpu > 1 {
		if _, err := m.UpdateBatch(keys[:1], [][]uint32{{1}}); err == nil {
			t.Fatal("UpdateBatch with one value for several CPUs succeeded")
		}
	} else if _, err := m.UpdateBatch(keys[:1], [][]uint32{{1, 2}}); err == nil {
		t.Fatal("UpdateBatch with two values on one CPU succeeded")
	}
	var c BatchCursor
	if _, err := m.LookupBatch(&c, make([]uint32, 8), make([][]uint32, 4)); err == nil {
		t.Fatal("LookupBatch with room for 8 keys and 4 values succeeded")
	}
	outKeys, outValues := make([]uint32, 8), make([][]uint32, 8)
	n, err := m.LookupAndDeleteBatch(&c, outKeys, outValues)
	if err != nil || n != 3 || !c.Done() {
		t.Fatalf("LookupAndDeleteBatch = %d, %v, done %v; want 3 entries and the end", n, err, c.Done())
	}
	for i := range n {
		k := outKeys[i] - 7
		if len(outValues[i]) != ncpu || outValues[i][ncpu-1] != k*1000+uint32(ncpu-1) {
			t.Fatalf("key %d: values %v", outKeys[i], outValues[i])
		}
	}
	if _, err := m.Lookup(7); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("Lookup after LookupAndDeleteBatch: %v", err)
	}
}

func TestBatchNotSupported(t *testing.T) {
	requireKernel(t)
	page := uint32(4096)
	rb := testMap(t, mapTypeRingBuf, 0, 0, page, 0)
	var c BatchCursor
	if _, err := (Batch{rb}).Lookup(&c, nil, nil); err == nil || !strings.Contains(err.Error(), "whole keys") {
		t.Fatalf("LookupBatch on a ring buffer: %v", err)
	}
	pa := perfArray(t)
	_, err := Batch{pa}.Lookup(&c, make([]byte, 4), make([]byte, 4))
	if err == nil || !strings.Contains(err.Error(), "do not support it") {
		t.Fatalf("LookupBatch on a perf event array: %v, want an error saying it is not supported", err)
	}
}
