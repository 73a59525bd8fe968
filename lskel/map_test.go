package lskel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

func TestMmapMap(t *testing.T) {
	requireKernel(t)
	m := testMap(t, mapTypeArray, 4, 24, 1, mapFlagMmapable)
	mem, err := MmapMap(m, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) != 24 {
		t.Fatalf("mapping has length %d, want 24", len(mem))
	}
	want := []byte("written through mmap....")
	copy(mem, want)
	got := make([]byte, 24)
	if err := m.Lookup(make([]byte, 4), got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("lookup after a write through the mapping = %q, want %q", got, want)
	}
	// And the other way round.
	copy(want, "written with update.....")
	if err := m.Update(make([]byte, 4), want, UpdateAny); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem, want) {
		t.Fatalf("mapping after update = %q, want %q", mem, want)
	}
	if err := Munmap(mem); err != nil {
		t.Fatal(err)
	}
	if err := Munmap(nil); err != nil {
		t.Fatal(err)
	}

	// A frozen map maps read-only only.
	if err := kernel.MapFreeze(m.FD()); err != nil {
		t.Fatal(err)
	}
	if mem, err := MmapMap(m, true); err == nil {
		Munmap(mem)
		t.Fatal("writable mapping of a frozen map succeeded")
	} else if !errors.Is(err, unix.EPERM) {
		t.Fatalf("writable mapping of a frozen map: %v, want EPERM", err)
	}
	ro, err := MmapMap(m, false)
	if err != nil {
		t.Fatal(err)
	}
	defer Munmap(ro)
	if !bytes.Equal(ro, want) {
		t.Fatalf("read-only mapping = %q, want %q", ro, want)
	}
}

func TestMapHashIterate(t *testing.T) {
	requireKernel(t)
	m := testMap(t, mapTypeHash, 4, 8, 64, 0) // made by NewMap, from the map's info
	if m.KeySize() != 4 || m.ValueSize() != 8 || m.MaxEntries() != 64 || m.Type() != mapTypeHash || m.IsPerCPU() {
		t.Fatalf("NewMap = %+v", m)
	}
	key, val := make([]byte, 4), make([]byte, 8)
	want := map[uint32]uint64{}
	for i := uint32(1); i <= 20; i++ {
		binary.NativeEndian.PutUint32(key, i)
		binary.NativeEndian.PutUint64(val, uint64(i)*100)
		if err := m.Update(key, val, UpdateNoExist); err != nil {
			t.Fatal(err)
		}
		want[i] = uint64(i) * 100
	}
	if err := m.Update(key, val, UpdateNoExist); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second UpdateNoExist: %v, want EEXIST", err)
	}

	var keys []uint32
	for k, err := range m.Keys() {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, binary.NativeEndian.Uint32(k))
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	if len(keys) != 20 || keys[0] != 1 || keys[19] != 20 {
		t.Fatalf("Keys = %v", keys)
	}

	got := map[uint32]uint64{}
	if err := m.Iterate(func(k, v []byte) bool {
		got[binary.NativeEndian.Uint32(k)] = binary.NativeEndian.Uint64(v)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Iterate saw %d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("Iterate: key %d = %d, want %d", k, got[k], v)
		}
	}
	n := 0
	m.Iterate(func(k, v []byte) bool { n++; return n < 3 })
	if n != 3 {
		t.Fatalf("Iterate went on after false: %d calls", n)
	}

	binary.NativeEndian.PutUint32(key, 7)
	if err := m.Delete(key); err != nil {
		t.Fatal(err)
	}
	if err := m.Lookup(key, val); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("lookup of a deleted key: %v, want ErrKeyNotExist", err)
	}
	if err := m.Delete(key); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("second delete: %v, want ENOENT", err)
	}
	if err := m.Lookup(key[:2], val); err == nil {
		t.Fatal("lookup with a short key succeeded")
	}
	if err := m.Update(key, val[:4], 0); err == nil {
		t.Fatal("update with a short value succeeded")
	}
	if ok, err := m.NextKey(nil, make([]byte, 4)); !ok || err != nil {
		t.Fatalf("NextKey(nil) = %v, %v", ok, err)
	}
}

func TestMapPerCPU(t *testing.T) {
	requireKernel(t)
	ncpu, err := kernel.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	m := testMap(t, mapTypePercpuArray, 4, 4, 2, 0)
	size, err := m.PerCPUValueSize()
	if err != nil {
		t.Fatal(err)
	}
	if size != 8*ncpu {
		t.Fatalf("PerCPUValueSize = %d, want %d", size, 8*ncpu)
	}
	val := make([]byte, size)
	for cpu := range ncpu {
		binary.NativeEndian.PutUint32(val[cpu*8:], uint32(cpu+10))
	}
	key := []byte{1, 0, 0, 0}
	if err := m.Update(key, val, UpdateAny); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, size)
	if err := m.Lookup(key, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, val) {
		t.Fatalf("per-CPU value = %x, want %x", got, val)
	}
	if err := m.Lookup(key, make([]byte, 4)); err == nil {
		t.Fatal("per-CPU lookup with a one-CPU buffer succeeded")
	}
}

func TestMapCloseTwice(t *testing.T) {
	requireKernel(t)
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: mapTypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMap(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if m.FD() < 0 {
		t.Fatalf("FD() = %d before Close", m.FD())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := m.FD(); got != -1 {
		t.Fatalf("FD() after Close = %d, want -1", got)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := m.FD(); got != -1 {
		t.Fatalf("FD() after the second Close = %d, want -1", got)
	}
	var nilMap *Map
	if err := nilMap.Close(); err != nil {
		t.Fatalf("Close of a nil Map: %v", err)
	}
}

// ringbufProg is a syscall program that outputs the u64 at ctx offset 0
// as one ring buffer record.
func ringbufProg(t *testing.T, rb int) *Program {
	var insns []asm.Insn
	insns = append(insns,
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.SizeDW, asm.R2, asm.R6, 0),
		asm.StoreMem(asm.SizeDW, asm.R10, -8, asm.R2),
	)
	insns = append(insns, asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(rb)))...)
	insns = append(insns,
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -8),
		asm.Mov.Imm(asm.R3, 8),
		asm.Mov.Imm(asm.R4, 0),
		asm.Call(130), // bpf_ringbuf_output
		asm.Mov.Imm(asm.R0, 0),
		asm.Exit(),
	)
	requireSyscallProgs(t)
	return testProg(t, progSpec{typ: progTypeSyscall, flags: progFlagSleepable, insns: insns}, "syscall")
}

func runWith(t *testing.T, prog *Program, v uint64) {
	t.Helper()
	ctx := make([]byte, 8)
	binary.NativeEndian.PutUint64(ctx, v)
	if _, _, err := prog.Test(nil, ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRingBuf(t *testing.T) {
	requireKernel(t)
	page := uint32(os.Getpagesize())
	rbMap := testMap(t, mapTypeRingBuf, 0, 0, page, 0)
	prog := ringbufProg(t, rbMap.FD())
	rb, err := NewRingBuf(rbMap)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()

	if _, err := rb.ReadTimeout(10 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadTimeout on an empty ring: %v, want os.ErrDeadlineExceeded", err)
	}
	// Enough records of 16 bytes (header + 8) to wrap the data area
	// several times; read each as it comes.
	n := int(page/16) * 3
	for i := range n {
		runWith(t, prog, uint64(i)*0x0101)
		rec, err := rb.ReadTimeout(time.Second)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if len(rec) != 8 || binary.NativeEndian.Uint64(rec) != uint64(i)*0x0101 {
			t.Fatalf("record %d = %x", i, rec)
		}
	}
	// Several records queued at once come out in order.
	for i := range 5 {
		runWith(t, prog, uint64(1000+i))
	}
	for i := range 5 {
		rec, err := rb.Read()
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.NativeEndian.Uint64(rec); got != uint64(1000+i) {
			t.Fatalf("queued record %d = %d", i, got)
		}
	}

	// A blocked Read wakes up for a record produced later...
	var wg sync.WaitGroup
	var rec []byte
	var rerr error
	wg.Add(1)
	go func() { defer wg.Done(); rec, rerr = rb.Read() }()
	time.Sleep(20 * time.Millisecond)
	runWith(t, prog, 77)
	wg.Wait()
	if rerr != nil || len(rec) != 8 || binary.NativeEndian.Uint64(rec) != 77 {
		t.Fatalf("blocked Read = %x, %v", rec, rerr)
	}
	// ...and for Close.
	wg.Add(1)
	go func() { defer wg.Done(); _, rerr = rb.Read() }()
	time.Sleep(20 * time.Millisecond)
	if err := rb.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if !errors.Is(rerr, ErrClosed) {
		t.Fatalf("Read during Close: %v, want ErrClosed", rerr)
	}
	if err := rb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRingBufWrongMap(t *testing.T) {
	requireKernel(t)
	m := testMap(t, mapTypeArray, 4, 4, 1, 0)
	if rb, err := NewRingBuf(m); err == nil {
		rb.Close()
		t.Fatal("NewRingBuf on an array succeeded")
	}
}

// Discarded records are skipped: a program reserves a record for each
// run and discards it when the value is odd.
func TestRingBufDiscard(t *testing.T) {
	requireKernel(t)
	page := uint32(os.Getpagesize())
	rbMap := testMap(t, mapTypeRingBuf, 0, 0, page, 0)
	var insns []asm.Insn
	insns = append(insns,
		asm.LoadMem(asm.SizeDW, asm.R7, asm.R1, 0),
	)
	insns = append(insns, asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(rbMap.FD())))...)
	insns = append(insns,
		asm.Mov.Imm(asm.R2, 8),
		asm.Mov.Imm(asm.R3, 0),
		asm.Call(131), // bpf_ringbuf_reserve
		asm.JEq.Imm(asm.R0, 0, "no record").Off(9),
		asm.StoreMem(asm.SizeDW, asm.R0, 0, asm.R7),
		asm.Mov.Reg(asm.R1, asm.R0),
		asm.Mov.Imm(asm.R2, 0),
		asm.JSet.Imm(asm.R7, 1, "discard").Off(2),
		asm.Call(132), // bpf_ringbuf_submit
		asm.Ja.Label("done").Off(1),
		asm.Call(133), // bpf_ringbuf_discard
		asm.Mov.Imm(asm.R0, 0),
		asm.Exit(),
		asm.Mov.Imm(asm.R0, 1),
		asm.Exit(),
	)
	requireSyscallProgs(t)
	prog := testProg(t, progSpec{typ: progTypeSyscall, flags: progFlagSleepable, insns: insns}, "syscall")
	rb, err := NewRingBuf(rbMap)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	for v := uint64(1); v <= 6; v++ {
		runWith(t, prog, v)
	}
	for _, want := range []uint64{2, 4, 6} {
		rec, err := rb.ReadTimeout(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.NativeEndian.Uint64(rec); got != want {
			t.Fatalf("record = %d, want %d (odd ones are discarded)", got, want)
		}
	}
	if _, err := rb.ReadTimeout(0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadTimeout after the last record: %v", err)
	}
}

// ringbufGetpidProducer loads and attaches a tracepoint program that, on
// a getpid() of this process, sends the u64 at key 0 of an array to the
// ring buffer rb once (it clears it). The returned func sends v that way:
// a producer for kernels without syscall programs (ring buffers are 5.8,
// syscall programs 5.14).
func ringbufGetpidProducer(t *testing.T, rb int) func(v uint64) {
	t.Helper()
	requireTracefs(t)
	val := testMap(t, mapTypeArray, 4, 8, 1, 0)
	var b asm.Builder
	b.Emit(
		asm.Call(14), // bpf_get_current_pid_tgid
		asm.RSh.Imm(asm.R0, 32),
	)
	b.Jump(asm.JNE.Imm(asm.R0, int32(unix.Getpid()), "out"))
	b.Emit(
		asm.StoreImm(asm.SizeW, asm.R10, -4, 0),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
	)
	b.Emit(asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(val.FD())))...)
	b.Emit(asm.Call(1)) // bpf_map_lookup_elem
	b.Jump(asm.JEq.Imm(asm.R0, 0, "out"))
	b.Emit(asm.LoadMem(asm.SizeDW, asm.R1, asm.R0, 0))
	b.Jump(asm.JEq.Imm(asm.R1, 0, "out"))
	b.Emit(
		asm.StoreImm(asm.SizeDW, asm.R0, 0, 0), // sent once, even if the Go runtime calls getpid too
		asm.StoreMem(asm.SizeDW, asm.R10, -16, asm.R1),
	)
	b.Emit(asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(rb)))...)
	b.Emit(
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -16),
		asm.Mov.Imm(asm.R3, 8),
		asm.Mov.Imm(asm.R4, 0),
		asm.Call(130), // bpf_ringbuf_output
	)
	if err := b.Label("out"); err != nil {
		t.Fatal(err)
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
	insns, _, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	l, err := testProg(t, progSpec{typ: progTypeTracepoint, insns: insns}, "tracepoint/syscalls/sys_enter_getpid").Attach()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return func(v uint64) {
		var key [4]byte
		var b [8]byte
		binary.NativeEndian.PutUint64(b[:], v)
		if err := kernel.MapUpdateElem(val.FD(), key[:], b[:], UpdateAny); err != nil {
			t.Fatal(err)
		}
		unix.Getpid()
	}
}

func TestRingBufContext(t *testing.T) {
	requireKernel(t)
	page := uint32(os.Getpagesize())
	rbMap := testMap(t, mapTypeRingBuf, 0, 0, page, 0)
	produce := ringbufGetpidProducer(t, rbMap.FD())
	rb, err := NewTypedRingBuf[uint64](rbMap)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()

	// Typed records, in order.
	for i := range 3 {
		produce(uint64(500 + i))
	}
	ctx := context.Background()
	for i := range 3 {
		v, err := rb.Read(ctx)
		if err != nil || v != uint64(500+i) {
			t.Fatalf("record %d = %d, %v; want %d", i, v, err, 500+i)
		}
	}
	// A record shorter than the type is an error, not a half-filled value.
	short := &TypedRingBuf[[2]uint64]{RingBuf: rb.RingBuf}
	produce(1)
	var sizeErr *RecordSizeError
	if _, err := short.Read(ctx); !errors.As(err, &sizeErr) || sizeErr.Size != 8 || sizeErr.Want != 16 {
		t.Fatalf("8-byte record read as 16 bytes: %v, want a RecordSizeError", err)
	}

	// A cancelled context fails before reading; a blocked read returns
	// ctx.Err() once cancelled, and leaves no goroutine behind.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := rb.Read(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: %v", err)
	}
	goroutines := runtime.NumGoroutine()
	for range 3 {
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { _, err := rb.Read(cctx); errc <- err }()
		time.Sleep(20 * time.Millisecond)
		cancel()
		if err := waitErr(t, errc); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled read: %v, want context.Canceled", err)
		}
	}
	// The test's own reading goroutines end just after they send.
	for start := time.Now(); runtime.NumGoroutine() > goroutines; time.Sleep(time.Millisecond) {
		if time.Since(start) > time.Second {
			t.Fatalf("%d goroutines after cancelled reads, %d before", runtime.NumGoroutine(), goroutines)
		}
	}
	// A deadline ends a read; the wake-up it caused does not make the next
	// read spin or return early: a record produced later still arrives.
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer dcancel()
	if _, err := rb.Read(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with a deadline: %v", err)
	}
	errc := make(chan error, 1)
	var got uint64
	go func() { var err error; got, err = rb.Read(ctx); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	produce(99)
	if err := waitErr(t, errc); err != nil || got != 99 {
		t.Fatalf("blocked read = %d, %v; want 99", got, err)
	}
	// Close wakes a read blocked with a context.
	go func() { _, err := rb.Read(ctx); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := rb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, errc); !errors.Is(err, ErrClosed) {
		t.Fatalf("read during Close: %v, want ErrClosed", err)
	}
}
