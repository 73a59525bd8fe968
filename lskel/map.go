package lskel

import (
	"errors"
	"iter"
	"strconv"
	"syscall"

	"github.com/bpfgen/bpfgen/kernel"
)

// Map update flags.
const (
	UpdateAny     = 0 // create or replace
	UpdateNoExist = 1 // create only
	UpdateExist   = 2 // replace only
)

// ErrKeyNotExist is returned by Lookup and Delete for a missing key; it is
// syscall.ENOENT, so errors.Is works with either.
var ErrKeyNotExist = syscall.ENOENT

// Map is a BPF map, and owns its fd: Close closes it, once. For per-CPU
// maps ValueSize is the size of one CPU's value and the buffers passed to
// Lookup and Update must be PerCPUValueSize bytes: one 8-byte aligned slot
// per possible CPU.
type Map struct {
	fd                                  *kernel.FD
	keySize, valueSize, maxEntries, typ uint32
}

// NewMap takes ownership of the map fd and asks the kernel for its type
// and sizes. If it fails, the caller still owns fd.
func NewMap(fd int) (*Map, error) {
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		return nil, sysErr("map info of fd "+strconv.Itoa(fd), err)
	}
	return newMap(fd, info.KeySize, info.ValueSize, info.MaxEntries, info.Type)
}

// newMap owns fd as a Map of the given shape; on failure fd is closed.
func newMap(fd int, keySize, valueSize, maxEntries, typ uint32) (*Map, error) {
	owned, err := kernel.NewFD(fd)
	if err != nil {
		return nil, sysErr("map", err)
	}
	return &Map{fd: owned, keySize: keySize, valueSize: valueSize, maxEntries: maxEntries, typ: typ}, nil
}

// FD is the map's file descriptor, -1 once closed (or for a nil Map). The
// Map still owns it.
func (m *Map) FD() int {
	if m == nil {
		return -1
	}
	return m.fd.Int()
}

// KeySize is the size of a key in bytes.
func (m *Map) KeySize() uint32 { return m.keySize }

// ValueSize is the size of a value (for per-CPU maps, of one CPU's value).
func (m *Map) ValueSize() uint32 { return m.valueSize }

// MaxEntries is the map's capacity, as created.
func (m *Map) MaxEntries() uint32 { return m.maxEntries }

// Type is the map type (BPF_MAP_TYPE_*).
func (m *Map) Type() uint32 { return m.typ }

// IsPerCPU reports whether values of the map have one slot per CPU.
func (m *Map) IsPerCPU() bool {
	switch m.typ {
	case mapTypePercpuHash, mapTypePercpuArray, mapTypeLRUPercpuHash, mapTypePercpuCgStore:
		return true
	}
	return false
}

// PerCPUValueSize is the size of the buffer Lookup and Update take: for
// per-CPU maps the value rounded up to 8 bytes times the possible CPUs,
// else ValueSize.
func (m *Map) PerCPUValueSize() (int, error) {
	if !m.IsPerCPU() {
		return int(m.valueSize), nil
	}
	n, err := kernel.PossibleCPUs()
	if err != nil {
		return 0, err
	}
	return int((m.valueSize+7)&^7) * n, nil
}

func (m *Map) check(what string, key, value []byte, wantValue bool) error {
	// One message for the key and the value keeps the runtime small.
	part, got, want := "key", len(key), int(m.keySize)
	if got == want && wantValue {
		var err error
		if want, err = m.PerCPUValueSize(); err != nil {
			return err
		}
		part, got = "value", len(value)
	}
	if got != want {
		return errors.New("map fd " + strconv.Itoa(m.FD()) + ": " + what + ": " + part + " of " + strconv.Itoa(got) +
			" bytes, want " + strconv.Itoa(want))
	}
	return nil
}

// Lookup copies the value of key into value. A missing key gives an error
// that is ErrKeyNotExist.
func (m *Map) Lookup(key, value []byte) error {
	if err := m.check("lookup", key, value, true); err != nil {
		return err
	}
	return sysErr("map fd "+strconv.Itoa(m.FD())+": lookup", kernel.MapLookupElem(m.FD(), key, value))
}

// Update sets the value of key; flags is UpdateAny, UpdateNoExist or
// UpdateExist (BPF_F_LOCK may be or'ed in).
func (m *Map) Update(key, value []byte, flags uint64) error {
	if err := m.check("update", key, value, true); err != nil {
		return err
	}
	return sysErr("map fd "+strconv.Itoa(m.FD())+": update", kernel.MapUpdateElem(m.FD(), key, value, flags))
}

// Delete removes key.
func (m *Map) Delete(key []byte) error {
	if err := m.check("delete", key, nil, false); err != nil {
		return err
	}
	return sysErr("map fd "+strconv.Itoa(m.FD())+": delete", kernel.MapDeleteElem(m.FD(), key))
}

// NextKey writes the key after key into next; a nil key asks for the first
// key. It returns false when there is no next key.
func (m *Map) NextKey(key, next []byte) (bool, error) {
	if key != nil && len(key) != int(m.keySize) || len(next) != int(m.keySize) {
		return false, errors.New("map fd " + strconv.Itoa(m.FD()) + ": next key: wrong key size")
	}
	err := kernel.MapGetNextKey(m.FD(), key, next)
	if err != nil && kernel.ErrnoOf(err) == syscall.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, sysErr("map fd "+strconv.Itoa(m.FD())+": next key", err)
	}
	return true, nil
}

// Keys iterates over the map's keys. Each key is a fresh slice. An error
// ends the iteration and is yielded with a nil key. Keys added or deleted
// during the walk may be missed or seen twice: when the current key of a
// hash map disappears, the kernel restarts from the first key.
func (m *Map) Keys() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		var cur []byte
		for {
			next := make([]byte, m.keySize)
			ok, err := m.NextKey(cur, next)
			if err != nil {
				yield(nil, err)
				return
			}
			if !ok || !yield(next, nil) {
				return
			}
			cur = next
		}
	}
}

// Iterate calls fn with every key and its value until fn returns false.
// key and value are reused between calls; copy them to keep them. Keys
// deleted between the walk and the lookup are skipped.
func (m *Map) Iterate(fn func(key, value []byte) bool) error {
	vs, err := m.PerCPUValueSize()
	if err != nil {
		return err
	}
	value := make([]byte, vs)
	for key, err := range m.Keys() {
		if err != nil {
			return err
		}
		if err := kernel.MapLookupElem(m.FD(), key, value); err != nil {
			if err != nil && kernel.ErrnoOf(err) == syscall.ENOENT {
				continue
			}
			return sysErr("map fd "+strconv.Itoa(m.FD())+": lookup", err)
		}
		if !fn(key, value) {
			return nil
		}
	}
	return nil
}

// Close closes the map's fd. Closing twice, or a nil Map, does nothing.
func (m *Map) Close() error {
	if m == nil {
		return nil
	}
	return sysErr("close map", m.fd.Close())
}
