package lskel

import (
	"encoding/binary"
	"os"
	"slices"
	"sync/atomic"
	"testing"
)

func TestParseCPUNumbers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []int
	}{
		{"0\n", []int{0}},
		{"0-3\n", []int{0, 1, 2, 3}},
		{"0,2-3,7", []int{0, 2, 3, 7}},
		{"", nil},
		{"3-1", nil},
		{"0-", nil},
		{"a", nil},
		{"0,,1", nil},
		{"70000", nil},
	} {
		got, ok := parseCPUNumbers(tt.in)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUNumbers(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

// A CPU list is parsed or refused, and what is parsed is in order.
func FuzzParseCPUNumbers(f *testing.F) {
	for _, s := range []string{"0", "0-3\n", "0,2-3,7", "1-0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpus, ok := parseCPUNumbers(s)
		if ok != (len(cpus) > 0) {
			t.Fatalf("parseCPUNumbers(%q) = %v, %v", s, cpus, ok)
		}
	})
}

// Whatever a perf ring holds, reading it ends, never reads past the head
// and never panics.
func FuzzPerfRing(f *testing.F) {
	var rec []byte
	rec = binary.NativeEndian.AppendUint32(rec, perfRecordSample)
	rec = binary.NativeEndian.AppendUint16(rec, 0)
	rec = binary.NativeEndian.AppendUint16(rec, 24)
	rec = binary.NativeEndian.AppendUint32(rec, 12)
	rec = append(rec, make([]byte, 12)...)
	lost := binary.NativeEndian.AppendUint32(nil, perfRecordLost)
	lost = binary.NativeEndian.AppendUint16(lost, 0)
	lost = binary.NativeEndian.AppendUint16(lost, 24)
	lost = append(lost, make([]byte, 16)...)
	f.Add(append(rec, lost...), uint64(0), uint64(48))
	f.Add(rec, uint64(4090), uint64(4090+24)) // wraps
	f.Add([]byte{1, 2, 3}, uint64(0), uint64(1<<40))
	f.Fuzz(func(t *testing.T, data []byte, tail, head uint64) {
		page := os.Getpagesize()
		mem := make([]byte, 2*page)
		copy(mem[page:], data)
		p := &perfRing{mem: mem, data: mem[page:]}
		atomic.StoreUint64(p.pos(perfDataTailOff), tail)
		atomic.StoreUint64(p.pos(perfDataHeadOff), head)
		for i := 0; ; i++ {
			rec, ok := p.pop()
			if !ok {
				break
			}
			if i > page || len(rec.RawSample) > page {
				t.Fatalf("record %d of %d bytes from a %d-byte ring", i, len(rec.RawSample), page)
			}
		}
		if got := atomic.LoadUint64(p.pos(perfDataTailOff)); got > head && got != tail {
			t.Fatalf("tail %d past head %d", got, head)
		}
	})
}

// Whatever a ring buffer holds, reading it ends and never panics.
func FuzzRingBufNext(f *testing.F) {
	var rec []byte
	rec = binary.NativeEndian.AppendUint32(rec, 8)
	rec = binary.NativeEndian.AppendUint32(rec, 0)
	rec = append(rec, 1, 2, 3, 4, 5, 6, 7, 8)
	f.Add(rec, uint64(0), uint64(16))
	f.Add(binary.NativeEndian.AppendUint32(nil, ringbufDiscard|8), uint64(0), uint64(16))
	f.Add(binary.NativeEndian.AppendUint32(nil, 4096), uint64(0), uint64(4104))
	f.Fuzz(func(t *testing.T, data []byte, cons, prod uint64) {
		page := os.Getpagesize()
		size := page
		r := &RingBuf{consumer: make([]byte, page), producer: make([]byte, page+2*size), mask: uint64(size) - 1}
		r.data = r.producer[page:]
		copy(r.data, data)
		copy(r.data[size:], r.data[:size]) // the second mapping of the data area
		atomic.StoreUint64(r.consumerPos(), cons)
		atomic.StoreUint64(r.producerPos(), prod)
		for i := 0; r.next() != nil; i++ {
			if i > size {
				t.Fatalf("more than %d records from a %d-byte ring", size, size)
			}
		}
	})
}
