package lskel

import (
	"encoding/binary"
	"iter"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

// MapOfMaps is an array or hash of maps (BPF_MAP_TYPE_ARRAY_OF_MAPS,
// _HASH_OF_MAPS) whose keys are K. From user space its values are maps:
// a lookup gives the inner map's id, an update takes its fd.
type MapOfMaps[K any] struct{ *Map }

// Inner opens the inner map stored under key, as a new *Map the caller
// closes (the map stays in the outer map). A missing key or an empty
// array slot gives an error that is ErrKeyNotExist.
func (m MapOfMaps[K]) Inner(key K) (*Map, error) {
	var id [4]byte
	if err := m.Map.Lookup(Bytes(&key), id[:]); err != nil {
		return nil, err
	}
	n := binary.NativeEndian.Uint32(id[:])
	fd, err := kernel.MapFDByID(n, 0)
	if err != nil {
		return nil, sysErr("map fd "+strconv.Itoa(m.FD())+": open inner map id "+strconv.FormatUint(uint64(n), 10), err)
	}
	inner, err := NewMap(fd)
	if err != nil {
		closeFD(fd)
		return nil, err
	}
	return inner, nil
}

// SetInner stores inner under key (flags: UpdateAny, UpdateNoExist or
// UpdateExist). The kernel checks that inner has the shape of the outer
// map's inner map template. The outer map keeps its own reference:
// closing inner afterwards leaves it in place.
func (m MapOfMaps[K]) SetInner(key K, inner *Map, flags uint64) error {
	var fd [4]byte
	binary.NativeEndian.PutUint32(fd[:], uint32(inner.FD()))
	return m.Map.Update(Bytes(&key), fd[:], flags)
}

// Delete removes the inner map stored under key.
func (m MapOfMaps[K]) Delete(key K) error { return m.Map.Delete(Bytes(&key)) }

// Keys iterates over the keys; an error ends the iteration.
func (m MapOfMaps[K]) Keys() iter.Seq2[K, error] { return typedKeys[K](m.Map) }
