package lskel

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// perfOutputProg is a tracepoint program that sends a sample of size
// bytes (a multiple of 8, at least 16) to the perf event array perfFD on
// each getpid() of this process (others' would make the tests' counts
// and wake-ups depend on what else runs): the caller's tgid, the CPU it
// ran on, then zeros.
func perfOutputProg(t *testing.T, perfFD int, size int16) *Program {
	t.Helper()
	var b asm.Builder
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	for off := -size; off < 0; off += 8 {
		b.Emit(asm.StoreImm(asm.SizeDW, asm.R10, off, 0))
	}
	b.Emit(
		asm.Call(14), // bpf_get_current_pid_tgid
		asm.RSh.Imm(asm.R0, 32),
	)
	b.Jump(asm.JNE.Imm(asm.R0, int32(unix.Getpid()), "out"))
	b.Emit(
		asm.StoreMem(asm.SizeDW, asm.R10, -size, asm.R0),
		asm.Call(8), // bpf_get_smp_processor_id
		asm.StoreMem(asm.SizeDW, asm.R10, -size+8, asm.R0),
		asm.Mov.Reg(asm.R1, asm.R6),
	)
	b.Emit(asm.LdImm64(asm.R2, asm.PseudoMapFD, uint64(uint32(perfFD)))...)
	b.Emit(
		asm.Mov.Imm32(asm.R3, -1), // BPF_F_CURRENT_CPU
		asm.Mov.Reg(asm.R4, asm.R10),
		asm.Add.Imm(asm.R4, int32(-size)),
		asm.Mov.Imm(asm.R5, int32(size)),
		asm.Call(25), // bpf_perf_event_output
	)
	if err := b.Label("out"); err != nil {
		t.Fatal(err)
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
	insns, _, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	return testProg(t, progSpec{typ: progTypeTracepoint, insns: insns}, "tracepoint/syscalls/sys_enter_getpid")
}

// perfArray creates a perf event array with a slot per possible CPU.
func perfArray(t *testing.T) *Map {
	t.Helper()
	n, err := kernel.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	return testMap(t, mapTypePerfEventArr, 4, 4, uint32(n), 0)
}

// attachPerfOutput loads perfOutputProg and attaches it to the getpid
// tracepoint until the end of the test.
func attachPerfOutput(t *testing.T, m *Map, size int16) {
	t.Helper()
	requireTracefs(t)
	l, err := perfOutputProg(t, m.FD(), size).Attach()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
}

func TestPerfReader(t *testing.T) {
	requireKernel(t)
	m := perfArray(t)
	r, err := NewPerfReader(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	attachPerfOutput(t, m, 16)

	const n = 20
	triggerGetpid(n)
	pid := uint64(unix.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for got := 0; got < n; {
		rec, err := r.ReadContext(ctx)
		if err != nil {
			t.Fatalf("after %d of our samples: %v", got, err)
		}
		if rec.LostSamples != 0 {
			t.Fatalf("lost %d samples with nothing filling the buffers", rec.LostSamples)
		}
		// A 16-byte sample comes back padded: 4 bytes of raw size plus
		// the sample make a multiple of 8.
		if len(rec.RawSample) != 20 {
			t.Fatalf("sample of %d bytes, want 20: %x", len(rec.RawSample), rec.RawSample)
		}
		if binary.NativeEndian.Uint64(rec.RawSample) != pid {
			t.Fatalf("sample of pid %d, want only ours (%d)", binary.NativeEndian.Uint64(rec.RawSample), pid)
		}
		if cpu := binary.NativeEndian.Uint64(rec.RawSample[8:]); cpu != uint64(rec.CPU) {
			t.Fatalf("sample written on CPU %d came from the buffer of CPU %d", cpu, rec.CPU)
		}
		got++
	}

	// The typed reader decodes the same samples.
	type sample struct{ Pid, CPU uint64 }
	tr := &TypedPerfReader[sample]{Reader: r}
	triggerGetpid(1)
	for {
		s, err := tr.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Value.Pid == pid {
			if s.Value.CPU != uint64(s.CPU) {
				t.Fatalf("typed sample %+v from CPU %d", s.Value, s.CPU)
			}
			break
		}
	}
}

func TestPerfReaderLost(t *testing.T) {
	requireKernel(t)
	m := perfArray(t)
	// One page per CPU holds fewer than 16 samples of 256 bytes.
	r, err := NewPerfReader(m, &PerfReaderOptions{PerCPUPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	attachPerfOutput(t, m, 256)

	// Stay on one CPU so that one buffer overflows.
	pinToCPU(t)
	triggerGetpid(1000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var samples int
	// The kernel reports the loss once there is room again: drain, then
	// produce one more sample.
	drained := false
	for r.LostSamples() == 0 {
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		rec, err := r.ReadContext(rctx)
		rcancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			if drained {
				t.Fatalf("no lost samples reported after 1000 samples of 256 bytes into one page (%d read)", samples)
			}
			drained = true
			triggerGetpid(1)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.RawSample != nil {
			samples++
		}
	}
	if samples >= 1000 {
		t.Fatalf("read %d samples through a one-page buffer, and lost %d", samples, r.LostSamples())
	}
	t.Logf("read %d samples, %d lost", samples, r.LostSamples())
}

func TestPerfReaderWatermark(t *testing.T) {
	requireKernel(t)
	m := perfArray(t)
	// Wake-ups only once 2 KiB wait in a CPU's buffer: 64 samples of 32
	// bytes (header, raw size, 16 bytes of sample and padding).
	r, err := NewPerfReader(m, &PerfReaderOptions{PerCPUPages: 2, Watermark: 2048})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	attachPerfOutput(t, m, 16)
	pinToCPU(t)

	recs := make(chan PerfRecord, 1)
	go func() {
		rec, err := r.Read()
		if err != nil {
			t.Error(err)
		}
		recs <- rec
	}()
	time.Sleep(20 * time.Millisecond)
	triggerGetpid(1)
	select {
	case rec := <-recs:
		t.Fatalf("one sample below the watermark woke the reader: %+v", rec)
	case <-time.After(200 * time.Millisecond):
	}
	triggerGetpid(100)
	select {
	case rec := <-recs:
		if rec.RawSample == nil {
			t.Fatalf("record %+v, want a sample", rec)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("100 more samples, past the watermark, did not wake the reader")
	}
}

func TestPerfReaderCancelAndClose(t *testing.T) {
	requireKernel(t)
	m := perfArray(t)
	r, err := NewPerfReader(m, &PerfReaderOptions{Watermark: 1 << 12})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, want := len(r.CPUs()), mustOnline(t); got != want {
		t.Fatalf("reader has %d buffers, %d CPUs are online", got, want)
	}
	var key [4]byte
	binary.NativeEndian.PutUint32(key[:], uint32(r.CPUs()[0]))

	// A read blocked on empty buffers returns ctx.Err() when cancelled...
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := r.ReadContext(ctx); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := waitErr(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v, want context.Canceled", err)
	}
	// ...and the reader still works: a deadline ends the next one.
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer dcancel()
	if _, err := r.ReadContext(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with a deadline: %v, want context.DeadlineExceeded", err)
	}
	// Close wakes a blocked Read.
	go func() { _, err := r.Read(); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, errc); !errors.Is(err, ErrClosed) {
		t.Fatalf("read during Close: %v, want ErrClosed", err)
	}
	// Close took the buffers out of the map.
	if err := kernel.MapDeleteElem(m.FD(), key[:]); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("delete of a CPU's slot after Close: %v, want ENOENT", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPerfReaderErrors(t *testing.T) {
	requireKernel(t)
	arr := testMap(t, mapTypeArray, 4, 4, 1, 0)
	if r, err := NewPerfReader(arr, nil); err == nil {
		r.Close()
		t.Fatal("NewPerfReader on an array map succeeded")
	}
	m := perfArray(t)
	if r, err := NewPerfReader(m, &PerfReaderOptions{PerCPUPages: 3}); err == nil {
		r.Close()
		t.Fatal("NewPerfReader with 3 pages per CPU succeeded")
	}
}

// waitErr waits for a reader goroutine's error, failing after a second.
func waitErr(t *testing.T, errc chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Second):
		t.Fatal("blocked read did not return within a second")
		return nil
	}
}

// pinToCPU keeps the test's goroutine on its thread and the thread on
// the CPU it runs on, until the end of the test.
func pinToCPU(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	})
	var c uint32
	if _, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&c)), 0, 0); errno != 0 {
		t.Fatal(errno)
	}
	one.Set(int(c))
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
}

func mustOnline(t *testing.T) int {
	t.Helper()
	cpus, err := onlineCPUs()
	if err != nil {
		t.Fatal(err)
	}
	return len(cpus)
}
