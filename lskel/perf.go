package lskel

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/bpfgen/bpfgen/kernel"
)

// The perf ring's metadata page (struct perf_event_mmap_page): where the
// kernel publishes data_head and the reader data_tail.
const (
	perfDataHeadOff = 1024
	perfDataTailOff = 1032
)

// Perf record types (enum perf_event_type) a BPF output buffer holds.
const (
	perfRecordLost   = 2
	perfRecordSample = 9
)

// defaultPerfPages is each CPU's buffer when the options leave it out.
const defaultPerfPages = 8

// PerfReaderOptions tune NewPerfReader; nil means the defaults.
type PerfReaderOptions struct {
	// PerCPUPages is the size of each CPU's buffer in pages, a power of
	// two; 0 means 8.
	PerCPUPages int
	// Watermark, when not 0, wakes a blocked read only once a CPU's
	// buffer holds that many bytes: fewer wake-ups for a busy producer,
	// at the price of records waiting there until then (Close and a done
	// context still end the read). 0 wakes it for every record.
	Watermark uint32
}

// PerfRecord is one record of a perf event array: a sample a program
// passed to bpf_perf_event_output, or how many samples the kernel dropped
// because the CPU's buffer was full.
type PerfRecord struct {
	// CPU is the CPU whose buffer the record came from.
	CPU int
	// RawSample is a copy of the sample; nil in a record of lost samples.
	RawSample []byte
	// LostSamples is the number of samples of this CPU dropped just
	// before this record (records of lost samples only).
	LostSamples uint64
}

// PerfReader reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY map: it opens one
// buffer per online CPU, puts them into the map (where
// bpf_perf_event_output finds them) and waits on all of them. Read and
// Close may be called from different goroutines; Close wakes a blocked
// Read.
type PerfReader struct {
	m     *Map
	rings []perfRing
	next  int // the ring to look at first, for fairness
	lost  atomic.Uint64
	poller
}

// perfRing is one CPU's buffer.
type perfRing struct {
	cpu  int
	fd   int
	mem  []byte // the metadata page, then the data pages
	data []byte
}

// NewPerfReader opens the buffers of the perf event array m, one per
// online CPU below the map's max_entries, and installs them in the map.
// opts may be nil. Close the PerfReader before the map: Close takes its
// buffers out of the map.
func NewPerfReader(m *Map, opts *PerfReaderOptions) (*PerfReader, error) {
	if m.Type() != mapTypePerfEventArr {
		return nil, errors.New("perf reader: map fd " + strconv.Itoa(m.FD()) + " is of type " +
			strconv.FormatUint(uint64(m.Type()), 10) + ", not a perf event array")
	}
	if opts == nil {
		opts = &PerfReaderOptions{}
	}
	pages := opts.PerCPUPages
	if pages == 0 {
		pages = defaultPerfPages
	}
	if pages < 0 || pages&(pages-1) != 0 || pages > 1<<20 {
		return nil, errors.New("perf reader: PerCPUPages " + strconv.Itoa(pages) + " is not a power of two")
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, wrapErr("perf reader", err)
	}
	r := &PerfReader{m: m}
	ok := false
	defer func() {
		if !ok {
			r.release()
		}
	}()
	if err := r.open("perf reader"); err != nil {
		return nil, err
	}
	page := os.Getpagesize()
	for _, cpu := range cpus {
		if cpu >= int(m.MaxEntries()) {
			break // the program cannot reach this CPU's slot
		}
		if err := r.openCPU(cpu, page, pages, opts.Watermark); err != nil {
			return nil, err
		}
	}
	if len(r.rings) == 0 {
		return nil, errors.New("perf reader: map fd " + strconv.Itoa(m.FD()) + " has no slot for an online CPU")
	}
	ok = true
	return r, nil
}

// openCPU adds the buffer of one CPU.
func (r *PerfReader) openCPU(cpu, page, pages int, watermark uint32) error {
	what := "perf reader: CPU " + strconv.Itoa(cpu)
	fd, err := perfEventOpenBPFOutput(cpu, watermark)
	if err != nil {
		return wrapErr(what, err)
	}
	mem, err := mmap(fd, 0, page*(pages+1), true)
	if err != nil {
		closeFD(fd)
		return sysErr(what+": mmap", err)
	}
	r.rings = append(r.rings, perfRing{cpu: cpu, fd: fd, mem: mem, data: mem[page:]})
	if err := r.add(what+": epoll add", fd); err != nil {
		return err
	}
	var key, val [4]byte
	binary.NativeEndian.PutUint32(key[:], uint32(cpu))
	binary.NativeEndian.PutUint32(val[:], uint32(fd))
	if err := kernel.MapUpdateElem(r.m.FD(), key[:], val[:], UpdateAny); err != nil {
		return sysErr(what+": put the buffer in map fd "+strconv.Itoa(r.m.FD()), err)
	}
	return nil
}

// CPUs returns the CPUs whose buffers the reader reads.
func (r *PerfReader) CPUs() []int {
	out := make([]int, len(r.rings))
	for i := range r.rings {
		out[i] = r.rings[i].cpu
	}
	return out
}

// LostSamples is the number of samples lost so far, over all CPUs, as the
// records of lost samples read so far counted them.
func (r *PerfReader) LostSamples() uint64 { return r.lost.Load() }

// Read blocks until a record is available and returns it.
func (r *PerfReader) Read() (PerfRecord, error) { return r.read(nil) }

// ReadContext is Read that gives up when ctx (a context.Context) is done,
// returning ctx.Err().
func (r *PerfReader) ReadContext(ctx Context) (PerfRecord, error) {
	if err := ctx.Err(); err != nil {
		return PerfRecord{}, err
	}
	return r.read(ctx)
}

// read waits for a record until ctx, if not nil, is done.
func (r *PerfReader) read(ctx Context) (PerfRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var stop func()
	for {
		if r.closed.Load() {
			return PerfRecord{}, ErrClosed
		}
		for range r.rings {
			ring := &r.rings[r.next]
			rec, ok := ring.pop()
			if ok {
				r.lost.Add(rec.LostSamples)
				return rec, nil
			}
			r.next = (r.next + 1) % len(r.rings)
		}
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return PerfRecord{}, err
			}
			if stop == nil {
				// Only a read about to block watches ctx: one that finds
				// a record costs no goroutine.
				stop = r.watch(ctx)
				defer stop()
			}
		}
		if err := r.wait(-1); err != nil {
			return PerfRecord{}, sysErr("perf reader: epoll_wait", err)
		}
	}
}

func (p *perfRing) pos(off uintptr) *uint64 { return (*uint64)(unsafe.Pointer(&p.mem[off])) }

// pop takes the next sample or lost-samples record out of the ring,
// skipping records of other types.
func (p *perfRing) pop() (PerfRecord, bool) {
	head := atomic.LoadUint64(p.pos(perfDataHeadOff)) // acquire
	tail := atomic.LoadUint64(p.pos(perfDataTailOff))
	if head-tail > uint64(len(p.data)) && tail < head {
		// More than the ring holds: not positions the kernel wrote.
		atomic.StoreUint64(p.pos(perfDataTailOff), head)
		return PerfRecord{}, false
	}
	for tail < head {
		var hdr [8]byte
		p.copyAt(hdr[:], tail)
		typ := binary.NativeEndian.Uint32(hdr[:])
		size := uint64(binary.NativeEndian.Uint16(hdr[6:]))
		if size < 8 || head-tail < size {
			// Not a record the kernel wrote: drop what is there rather
			// than read garbage forever.
			atomic.StoreUint64(p.pos(perfDataTailOff), head)
			return PerfRecord{}, false
		}
		body := make([]byte, size-8)
		p.copyAt(body, tail+8)
		tail += size
		atomic.StoreUint64(p.pos(perfDataTailOff), tail) // release: the space is free
		switch {
		case typ == perfRecordSample && len(body) >= 4:
			n := uint64(binary.NativeEndian.Uint32(body))
			if 4+n <= uint64(len(body)) {
				return PerfRecord{CPU: p.cpu, RawSample: body[4 : 4+n : 4+n]}, true
			}
		case typ == perfRecordLost && len(body) >= 16:
			return PerfRecord{CPU: p.cpu, LostSamples: binary.NativeEndian.Uint64(body[8:])}, true
		}
	}
	return PerfRecord{}, false
}

// copyAt copies the bytes at ring position pos, which may wrap around
// the end of the data area.
func (p *perfRing) copyAt(dst []byte, pos uint64) {
	off := pos % uint64(len(p.data))
	n := copy(dst, p.data[off:])
	copy(dst[n:], p.data)
}

// Close takes the buffers out of the map, unmaps and closes them, and
// wakes a blocked Read, which returns ErrClosed. It is safe to call twice.
func (r *PerfReader) Close() error {
	if r != nil {
		r.shutdown(r.release)
	}
	return nil
}

func (r *PerfReader) release() {
	for _, ring := range r.rings {
		var key [4]byte
		binary.NativeEndian.PutUint32(key[:], uint32(ring.cpu))
		// The map holds the buffer's perf event alive: take it out
		// (an error means the map is gone or the slot was replaced).
		_ = kernel.MapDeleteElem(r.m.FD(), key[:])
		perfDisable(ring.fd)
		_ = munmap(ring.mem)
		closeFD(ring.fd)
	}
	r.rings = nil
	r.poller.close()
}

// onlineCPUs lists the CPUs online now (read each time: CPUs come and
// go).
func onlineCPUs() ([]int, error) {
	const path = "/sys/devices/system/cpu/online"
	b, err := kernel.ReadSysFile(path)
	if err != nil {
		return nil, err
	}
	cpus, ok := parseCPUNumbers(string(b))
	if !ok {
		return nil, errors.New(path + ": bad CPU list " + strconv.Quote(string(b)))
	}
	return cpus, nil
}

// parseCPUNumbers lists the CPUs of a list such as "0-3,5,7-8".
func parseCPUNumbers(list string) ([]int, bool) {
	var cpus []int
	for s := trimSpace(list); s != ""; {
		var item string
		item, s, _ = cut(s, ',')
		first, last, isRange := cut(item, '-')
		lo, ok := parseUint(first)
		hi := lo
		if isRange {
			var ok2 bool
			hi, ok2 = parseUint(last)
			ok = ok && ok2
		}
		if !ok || hi < lo || hi >= 1<<16 {
			return nil, false
		}
		for c := lo; c <= hi; c++ {
			cpus = append(cpus, int(c))
		}
	}
	return cpus, len(cpus) > 0
}
