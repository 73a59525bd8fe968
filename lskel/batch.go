package lskel

import (
	"errors"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/bpfgen/bpfgen/kernel"
)

// errnoENOTSUPP is the kernel's internal ENOTSUPP (524), which bpf(2)
// returns for a map type without batch operations.
const errnoENOTSUPP = syscall.Errno(524)

// BatchCursor is the position of a batch walk over a map (LookupBatch,
// LookupAndDeleteBatch). The zero value starts at the beginning; reuse it
// for each next batch of the same walk.
type BatchCursor struct {
	in, out     []byte // the kernel's opaque position tokens
	began, done bool
}

// Done reports whether the walk reached the end of the map.
func (c *BatchCursor) Done() bool { return c.done }

// Batch runs the batch operations of its map: Batch{m}.Lookup(&c, keys,
// values). (They are not methods of Map so that binaries that never call
// them do not carry their method table entries.)
type Batch struct{ Map *Map }

// Lookup copies the next batch of entries of the walk c into keys
// and values: up to len(keys)/KeySize() entries, values holding
// PerCPUValueSize() bytes for each. It returns how many it copied; after
// the map's last entry c.Done() is true (that call may still have copied
// some). Entries added or deleted during a walk may be missed. A hash map
// refuses a batch smaller than one of its buckets (ENOSPC): pass more
// room. A map type without batch operations gives an error saying so.
func (b Batch) Lookup(c *BatchCursor, keys, values []byte) (int, error) {
	return b.lookup(kernel.CmdMapLookupBatch, "lookup batch", c, keys, values)
}

// LookupAndDelete is Lookup that also deletes the entries it returns
// (hash maps; arrays cannot delete).
func (b Batch) LookupAndDelete(c *BatchCursor, keys, values []byte) (int, error) {
	return b.lookup(kernel.CmdMapLookupAndDeleteBat, "lookup and delete batch", c, keys, values)
}

func (b Batch) lookup(cmd kernel.Cmd, what string, c *BatchCursor, keys, values []byte) (int, error) {
	m := b.Map
	n, err := b.count(what, keys, values, true)
	if err != nil || c.done || n == 0 {
		return 0, err
	}
	if c.out == nil {
		// Hash maps keep a bucket number in the token, the others a key.
		size := max(int(m.keySize), 8)
		c.out = make([]byte, size)
		c.in = make([]byte, size)
	}
	a := &kernel.MapBatchAttr{MapFD: m.FD(), OutBatch: c.out, Keys: keys, Values: values, Count: uint32(n)}
	if c.began {
		a.InBatch = c.in // go on from where the last batch stopped
	}
	got, err := kernel.MapBatch(cmd, a)
	if err != nil && kernel.ErrnoOf(err) == syscall.ENOENT {
		c.done, err = true, nil
	}
	if err != nil {
		return 0, b.err(what, err)
	}
	c.in, c.out = c.out, c.in
	c.began = true
	return int(got), nil
}

// Update sets the len(keys)/KeySize() entries of keys and values,
// creating or replacing them (batches take no UpdateNoExist or
// UpdateExist), and returns how many it set; the kernel stops at the
// first failure.
func (b Batch) Update(keys, values []byte) (int, error) {
	n, err := b.count("update batch", keys, values, true)
	if err != nil || n == 0 {
		return 0, err
	}
	got, err := kernel.MapBatch(kernel.CmdMapUpdateBatch, &kernel.MapBatchAttr{
		MapFD: b.Map.FD(), Keys: keys, Values: values, Count: uint32(n),
	})
	return int(got), b.err("update batch", err)
}

// Delete deletes the len(keys)/KeySize() keys and returns how many
// it deleted; the kernel stops at the first failure (a missing key is
// one: ErrKeyNotExist).
func (b Batch) Delete(keys []byte) (int, error) {
	n, err := b.count("delete batch", keys, nil, false)
	if err != nil || n == 0 {
		return 0, err
	}
	got, err := kernel.MapBatch(kernel.CmdMapDeleteBatch, &kernel.MapBatchAttr{MapFD: b.Map.FD(), Keys: keys, Count: uint32(n)})
	return int(got), b.err("delete batch", err)
}

// count checks that keys holds whole keys (and values as many
// values) and returns how many.
func (b Batch) count(what string, keys, values []byte, withValues bool) (int, error) {
	m := b.Map
	prefix := "map fd " + strconv.Itoa(m.FD()) + ": " + what + ": "
	if m.keySize == 0 || len(keys)%int(m.keySize) != 0 {
		return 0, errors.New(prefix + "keys of " + strconv.Itoa(len(keys)) + " bytes are not whole keys of " +
			strconv.FormatUint(uint64(m.keySize), 10))
	}
	n := len(keys) / int(m.keySize)
	if !withValues {
		return n, nil
	}
	vs, err := m.PerCPUValueSize()
	if err != nil {
		return 0, err
	}
	if len(values) != n*vs {
		return 0, errors.New(prefix + "values of " + strconv.Itoa(len(values)) + " bytes for " + strconv.Itoa(n) +
			" keys, want " + strconv.Itoa(n*vs))
	}
	return n, nil
}

// err names the map and, for a map type without the operation,
// says so.
func (b Batch) err(what string, err error) error {
	m := b.Map
	if err == nil {
		return nil
	}
	op := "map fd " + strconv.Itoa(m.FD()) + ": " + what
	switch kernel.ErrnoOf(err) {
	case errnoENOTSUPP, syscall.EOPNOTSUPP:
		op += ": maps of type " + strconv.FormatUint(uint64(m.typ), 10) + " do not support it"
	case syscall.ENOSPC:
		op += ": a hash bucket holds more entries than the batch has room for"
	}
	return wrapErr(op, err)
}

// sliceBytes is the memory of s as bytes (T holds no Go pointers).
func sliceBytes[T any](s []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
