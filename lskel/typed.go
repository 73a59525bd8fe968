package lskel

import (
	"errors"
	"iter"
	"strconv"
	"unsafe"
)

// Bytes returns the memory of *v as bytes: how typed keys, values and
// global-data images are handed to the kernel. T must hold no Go pointers
// (generated skeleton types never do).
func Bytes[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// MmapAs maps the value of a global-data map as a T, appending the mapping
// to *mappings so that the caller can unmap it (Munmap) when done.
func MmapAs[T any](mappings *[][]byte, m *Map, writable bool) (*T, error) {
	var zero T
	b, err := mmapValue(m.FD(), uint32(unsafe.Sizeof(zero)), writable)
	if err != nil {
		return nil, err
	}
	*mappings = append(*mappings, b)
	return (*T)(unsafe.Pointer(&b[0])), nil
}

// TypedMap is a map whose keys are K and values V, as generated skeletons
// declare them from the object's BTF.
type TypedMap[K, V any] struct{ *Map }

// Lookup returns the value of key; a missing key gives an error that is
// ErrKeyNotExist.
func (m TypedMap[K, V]) Lookup(key K) (V, error) {
	var v V
	err := m.Map.Lookup(Bytes(&key), Bytes(&v))
	return v, err
}

// Update sets the value of key; flags is UpdateAny, UpdateNoExist or
// UpdateExist.
func (m TypedMap[K, V]) Update(key K, value V, flags uint64) error {
	return m.Map.Update(Bytes(&key), Bytes(&value), flags)
}

// Delete removes key.
func (m TypedMap[K, V]) Delete(key K) error { return m.Map.Delete(Bytes(&key)) }

// Keys iterates over the map's keys; an error ends the iteration.
func (m TypedMap[K, V]) Keys() iter.Seq2[K, error] { return typedKeys[K](m.Map) }

// Iterate calls fn with every key and value until fn returns false.
func (m TypedMap[K, V]) Iterate(fn func(key K, value V) bool) error {
	return m.Map.Iterate(func(kb, vb []byte) bool {
		var k K
		var v V
		copy(Bytes(&k), kb)
		copy(Bytes(&v), vb)
		return fn(k, v)
	})
}

// PerCPUMap is a per-CPU map whose keys are K and values V: each key has
// one value per possible CPU.
type PerCPUMap[K, V any] struct{ *Map }

// Lookup returns the values of key, one per possible CPU.
func (m PerCPUMap[K, V]) Lookup(key K) ([]V, error) {
	n, err := m.PerCPUValueSize()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if err := m.Map.Lookup(Bytes(&key), buf); err != nil {
		return nil, err
	}
	return splitPerCPU[V](buf), nil
}

// Update sets the values of key, one per possible CPU.
func (m PerCPUMap[K, V]) Update(key K, values []V, flags uint64) error {
	stride := perCPUStride[V]()
	buf := make([]byte, stride*len(values))
	for i := range values {
		copy(buf[i*stride:], Bytes(&values[i]))
	}
	return m.Map.Update(Bytes(&key), buf, flags)
}

// Delete removes key.
func (m PerCPUMap[K, V]) Delete(key K) error { return m.Map.Delete(Bytes(&key)) }

// Keys iterates over the map's keys; an error ends the iteration.
func (m PerCPUMap[K, V]) Keys() iter.Seq2[K, error] { return typedKeys[K](m.Map) }

// Iterate calls fn with every key and its per-CPU values until fn returns
// false.
func (m PerCPUMap[K, V]) Iterate(fn func(key K, values []V) bool) error {
	return m.Map.Iterate(func(kb, vb []byte) bool {
		var k K
		copy(Bytes(&k), kb)
		return fn(k, splitPerCPU[V](vb))
	})
}

func typedKeys[K any](m *Map) iter.Seq2[K, error] {
	return func(yield func(K, error) bool) {
		for kb, err := range m.Keys() {
			var k K
			if err != nil {
				yield(k, err)
				return
			}
			copy(Bytes(&k), kb)
			if !yield(k, nil) {
				return
			}
		}
	}
}

// perCPUStride is the kernel's slot size for one CPU's value: the value
// rounded up to 8 bytes.
func perCPUStride[V any]() int {
	var zero V
	return (int(unsafe.Sizeof(zero)) + 7) &^ 7
}

// splitPerCPU splits a per-CPU value buffer into its values.
func splitPerCPU[V any](buf []byte) []V {
	stride := perCPUStride[V]()
	out := make([]V, len(buf)/stride)
	for i := range out {
		copy(Bytes(&out[i]), buf[i*stride:])
	}
	return out
}

// LookupBatch copies the next batch of the walk c into keys and values
// (up to len(keys) entries; values is as long) and returns how many; see
// Batch.Lookup.
func (m TypedMap[K, V]) LookupBatch(c *BatchCursor, keys []K, values []V) (int, error) {
	return Batch{m.Map}.Lookup(c, sliceBytes(keys), sliceBytes(values))
}

// LookupAndDeleteBatch is LookupBatch that also deletes what it returns.
func (m TypedMap[K, V]) LookupAndDeleteBatch(c *BatchCursor, keys []K, values []V) (int, error) {
	return Batch{m.Map}.LookupAndDelete(c, sliceBytes(keys), sliceBytes(values))
}

// UpdateBatch sets keys[i] to values[i] and returns how many it set (see
// Batch.Update).
func (m TypedMap[K, V]) UpdateBatch(keys []K, values []V) (int, error) {
	return Batch{m.Map}.Update(sliceBytes(keys), sliceBytes(values))
}

// DeleteBatch deletes keys and returns how many it deleted.
func (m TypedMap[K, V]) DeleteBatch(keys []K) (int, error) {
	return Batch{m.Map}.Delete(sliceBytes(keys))
}

// LookupBatch copies the next batch of the walk c into keys and values
// (up to len(keys) entries; values is as long, and values[i] gets the
// per-CPU values of keys[i]) and returns how many; see Batch.Lookup.
func (m PerCPUMap[K, V]) LookupBatch(c *BatchCursor, keys []K, values [][]V) (int, error) {
	return m.lookupBatch(Batch{m.Map}.Lookup, c, keys, values)
}

// LookupAndDeleteBatch is LookupBatch that also deletes what it returns.
func (m PerCPUMap[K, V]) LookupAndDeleteBatch(c *BatchCursor, keys []K, values [][]V) (int, error) {
	return m.lookupBatch(Batch{m.Map}.LookupAndDelete, c, keys, values)
}

func (m PerCPUMap[K, V]) lookupBatch(batch func(*BatchCursor, []byte, []byte) (int, error), c *BatchCursor, keys []K, values [][]V) (int, error) {
	if len(values) != len(keys) {
		return 0, errors.New("map fd " + strconv.Itoa(m.FD()) + ": lookup batch: room for " + strconv.Itoa(len(keys)) +
			" keys and " + strconv.Itoa(len(values)) + " values")
	}
	vs, err := m.PerCPUValueSize()
	if err != nil {
		return 0, err
	}
	buf := make([]byte, len(keys)*vs)
	n, err := batch(c, sliceBytes(keys), buf)
	for i := 0; i < n && i < len(values); i++ {
		values[i] = splitPerCPU[V](buf[i*vs : (i+1)*vs])
	}
	return n, err
}

// UpdateBatch sets the per-CPU values of keys[i] to values[i] (one per
// possible CPU) and returns how many keys it set.
func (m PerCPUMap[K, V]) UpdateBatch(keys []K, values [][]V) (int, error) {
	vs, err := m.PerCPUValueSize()
	if err != nil {
		return 0, err
	}
	stride := perCPUStride[V]()
	buf := make([]byte, len(values)*vs)
	for i, vals := range values {
		if len(vals)*stride != vs {
			return 0, errors.New("map fd " + strconv.Itoa(m.FD()) + ": update batch: " + strconv.Itoa(len(vals)) +
				" values for key " + strconv.Itoa(i) + ", want one per possible CPU (" + strconv.Itoa(vs/stride) + ")")
		}
		for j := range vals {
			copy(buf[i*vs+j*stride:], Bytes(&vals[j]))
		}
	}
	return Batch{m.Map}.Update(sliceBytes(keys), buf)
}

// DeleteBatch deletes keys and returns how many it deleted.
func (m PerCPUMap[K, V]) DeleteBatch(keys []K) (int, error) {
	return Batch{m.Map}.Delete(sliceBytes(keys))
}
