package lskel

import (
	"strconv"
	"unsafe"
)

// TypedRingBuf reads a ring buffer whose records are T, as generated
// skeletons declare them from the object's BTF.
type TypedRingBuf[T any] struct{ RingBuf *RingBuf }

// NewTypedRingBuf maps the ring buffer map m for reading records of type
// T. Close it before the map.
func NewTypedRingBuf[T any](m *Map) (*TypedRingBuf[T], error) {
	rb, err := NewRingBuf(m)
	if err != nil {
		return nil, err
	}
	return &TypedRingBuf[T]{RingBuf: rb}, nil
}

// Read waits for the next record until ctx is done (ctx.Err()) or the
// reader is closed (ErrClosed). A record shorter than T is an error; the
// bytes of a longer one past T (a variable-length tail) are dropped: read
// those with the RingBuf.
func (r *TypedRingBuf[T]) Read(ctx Context) (T, error) {
	rec, err := r.RingBuf.ReadContext(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeRecord[T]("ring buffer", rec)
}

// Close closes the reader, waking a blocked Read.
func (r *TypedRingBuf[T]) Close() error { return r.RingBuf.Close() }

// TypedPerfReader reads a perf event array whose samples are T.
type TypedPerfReader[T any] struct{ Reader *PerfReader }

// PerfSample is one record of a TypedPerfReader: a sample, or a count of
// lost samples.
type PerfSample[T any] struct {
	// CPU is the CPU whose buffer the record came from.
	CPU int
	// Value is the sample; the zero T in a record of lost samples.
	Value T
	// LostSamples is the number of samples of this CPU dropped just
	// before this record (records of lost samples only).
	LostSamples uint64
}

// NewTypedPerfReader opens the buffers of the perf event array m for
// samples of type T (see NewPerfReader; opts may be nil).
func NewTypedPerfReader[T any](m *Map, opts *PerfReaderOptions) (*TypedPerfReader[T], error) {
	r, err := NewPerfReader(m, opts)
	if err != nil {
		return nil, err
	}
	return &TypedPerfReader[T]{Reader: r}, nil
}

// Read waits for the next record until ctx is done (ctx.Err()) or the
// reader is closed (ErrClosed). A sample shorter than T is an error
// (bpf_perf_event_output pads samples to 8 bytes, so longer ones are the
// rule: the bytes past T are dropped).
func (r *TypedPerfReader[T]) Read(ctx Context) (PerfSample[T], error) {
	rec, err := r.Reader.ReadContext(ctx)
	s := PerfSample[T]{CPU: rec.CPU, LostSamples: rec.LostSamples}
	if err != nil || rec.RawSample == nil {
		return s, err
	}
	s.Value, err = decodeRecord[T]("perf sample of CPU "+strconv.Itoa(rec.CPU), rec.RawSample)
	return s, err
}

// Close closes the reader, waking a blocked Read.
func (r *TypedPerfReader[T]) Close() error { return r.Reader.Close() }

// decodeRecord copies the first bytes of rec into a T.
func decodeRecord[T any](what string, rec []byte) (T, error) {
	var v T
	b := Bytes(&v)
	if len(rec) < len(b) {
		return v, &RecordSizeError{What: what, Size: len(rec), Want: int(unsafe.Sizeof(v))}
	}
	copy(b, rec)
	return v, nil
}

// RecordSizeError is a record too short for the type it is read as.
type RecordSizeError struct {
	What       string
	Size, Want int
}

func (e *RecordSizeError) Error() string {
	return e.What + ": record of " + strconv.Itoa(e.Size) + " bytes, shorter than its type's " + strconv.Itoa(e.Want)
}

// RingBufMap is a ring buffer map whose records are T, as generated
// skeletons declare it when told the record type.
type RingBufMap[T any] struct{ *Map }

// Reader maps the ring buffer for reading records of type T. Close the
// reader before the map.
func (m RingBufMap[T]) Reader() (*TypedRingBuf[T], error) { return NewTypedRingBuf[T](m.Map) }

// PerfEventArray is a perf event array whose samples are T, as generated
// skeletons declare it when told the sample type.
type PerfEventArray[T any] struct{ *Map }

// Reader opens the per-CPU buffers of the array for reading samples of
// type T (opts may be nil). Close the reader before the map.
func (m PerfEventArray[T]) Reader(opts *PerfReaderOptions) (*TypedPerfReader[T], error) {
	return NewTypedPerfReader[T](m.Map, opts)
}
