package lskel

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"
)

// Ring buffer record header bits (BPF_RINGBUF_BUSY_BIT, _DISCARD_BIT).
const (
	ringbufBusy    = 1 << 31
	ringbufDiscard = 1 << 30
	ringbufHdrSize = 8
)

// ErrClosed is returned by reads of a closed RingBuf.
var ErrClosed = os.ErrClosed

// RingBuf reads records from a BPF_MAP_TYPE_RINGBUF map. Read and Close
// may be called from different goroutines; Close wakes a blocked Read.
type RingBuf struct {
	consumer []byte // one page, read-write: consumer position
	producer []byte // one page + the data area mapped twice, read-only
	data     []byte // the data area, 2*size bytes (the second copy is the wrap)
	mask     uint64
	poller
}

// NewRingBuf maps the ring buffer map m for reading. Close the RingBuf
// before the map.
func NewRingBuf(m *Map) (*RingBuf, error) {
	mapFD := m.FD()
	typ, size := m.typ, m.maxEntries
	if typ != mapTypeRingBuf {
		return nil, errors.New("ring buffer: map fd " + strconv.Itoa(mapFD) + " is of type " + strconv.FormatUint(uint64(typ), 10) + ", not a ring buffer")
	}
	page := os.Getpagesize()
	if size == 0 || size&(size-1) != 0 || int(size)%page != 0 || size > 1<<30 {
		return nil, errors.New("ring buffer: bad size " + strconv.FormatUint(uint64(size), 10))
	}
	r := &RingBuf{mask: uint64(size) - 1}
	ok := false
	defer func() {
		if !ok {
			r.release()
		}
	}()
	err := r.open("ring buffer")
	if err != nil {
		return nil, err
	}
	if r.consumer, err = mmap(mapFD, 0, page, true); err != nil {
		return nil, sysErr("ring buffer: mmap consumer page", err)
	}
	if r.producer, err = mmap(mapFD, int64(page), page+2*int(size), false); err != nil {
		return nil, sysErr("ring buffer: mmap producer and data pages", err)
	}
	r.data = r.producer[page:]
	if err = r.add("ring buffer: epoll add map", mapFD); err != nil {
		return nil, err
	}
	ok = true
	return r, nil
}

func (r *RingBuf) consumerPos() *uint64 { return (*uint64)(unsafe.Pointer(&r.consumer[0])) }
func (r *RingBuf) producerPos() *uint64 { return (*uint64)(unsafe.Pointer(&r.producer[0])) }

// next returns the next committed record, skipping discarded ones, or nil
// when none is ready. The record is copied out before the consumer
// position moves past it.
func (r *RingBuf) next() []byte {
	cons := atomic.LoadUint64(r.consumerPos())
	for {
		prod := atomic.LoadUint64(r.producerPos()) // acquire
		if cons >= prod {
			return nil
		}
		if prod-cons > r.mask+1 {
			// More than the ring holds: not positions the kernel wrote.
			atomic.StoreUint64(r.consumerPos(), prod)
			return nil
		}
		off := cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[off])))
		if hdr&ringbufBusy != 0 {
			return nil // reserved, not committed yet: records are in order
		}
		n := uint64(hdr &^ (ringbufBusy | ringbufDiscard))
		total := (n + ringbufHdrSize + 7) &^ 7
		var rec []byte
		if hdr&ringbufDiscard == 0 && n+ringbufHdrSize <= r.mask+1 {
			// The data area is mapped twice in a row, so a record that
			// wraps is contiguous here.
			start := off + ringbufHdrSize
			rec = make([]byte, n)
			copy(rec, r.data[start:start+n])
		}
		cons += total
		atomic.StoreUint64(r.consumerPos(), cons) // release: the slot is free
		if rec != nil {
			return rec
		}
	}
}

// Read blocks until a record is available and returns a copy of it.
func (r *RingBuf) Read() ([]byte, error) { return r.read(nil, -1) }

// ReadTimeout is Read with a limit; it returns os.ErrDeadlineExceeded when
// no record arrived within d.
func (r *RingBuf) ReadTimeout(d time.Duration) ([]byte, error) {
	if d < 0 {
		d = 0
	}
	return r.read(nil, d)
}

// ReadContext is Read that gives up when ctx (a context.Context) is done,
// returning ctx.Err(); a deadline of ctx limits the wait as ReadTimeout
// does.
func (r *RingBuf) ReadContext(ctx Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.read(ctx, -1)
}

// read waits for a record until d passes (d < 0: no limit) or ctx, if
// not nil, is done.
func (r *RingBuf) read(ctx Context, d time.Duration) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var stop func()
	var deadline time.Time
	if d >= 0 {
		deadline = time.Now().Add(d)
	}
	for {
		if r.closed.Load() {
			return nil, ErrClosed
		}
		if rec := r.next(); rec != nil {
			return rec, nil
		}
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if stop == nil {
				// Only a read about to block watches ctx: one that finds
				// a record costs no goroutine.
				stop = r.watch(ctx)
				defer stop()
			}
		}
		ms := -1
		if d >= 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return nil, os.ErrDeadlineExceeded
			}
			ms = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		if err := r.wait(ms); err != nil {
			return nil, sysErr("ring buffer: epoll_wait", err)
		}
	}
}

// Close unmaps the ring buffer and wakes a blocked Read, which returns
// ErrClosed. It is safe to call twice.
func (r *RingBuf) Close() error {
	if r != nil {
		r.shutdown(r.release)
	}
	return nil
}

func (r *RingBuf) release() {
	if r.producer != nil {
		_ = munmap(r.producer)
		r.producer, r.data = nil, nil
	}
	if r.consumer != nil {
		_ = munmap(r.consumer)
		r.consumer = nil
	}
	r.poller.close()
}
