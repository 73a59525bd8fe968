package btf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/bpfgen/bpfgen/kernel"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"golang.org/x/sys/unix"
)

const vmlinuxPath = "/sys/kernel/btf/vmlinux"

// requireKernel skips the test, or fails it when CI=true or
// BPFGEN_REQUIRE_KERNEL=1, because of reason.
func requireKernel(t testing.TB, reason string, args ...any) {
	t.Helper()
	testutil.SkipOrFail(t, "kernel not available: "+reason, args...)
}

func readVmlinux(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile(vmlinuxPath)
	if err != nil {
		requireKernel(t, "%v", err)
	}
	return raw
}

func TestVmlinuxRoundTrip(t *testing.T) {
	raw := readVmlinux(t)
	s := mustParse(t, raw)
	var native binary.ByteOrder = binary.LittleEndian
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		native = binary.BigEndian
	}
	if s.ByteOrder() != native {
		t.Errorf("ByteOrder = %v, want %v", s.ByteOrder(), native)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, raw) {
		i := 0
		for i < len(out) && i < len(raw) && out[i] == raw[i] {
			i++
		}
		t.Fatalf("Marshal differs from %s (len %d vs %d), first at byte %#x", vmlinuxPath, len(out), len(raw), i)
	}
}

func TestVmlinuxTaskStruct(t *testing.T) {
	s := mustParse(t, readVmlinux(t))
	id, ts, err := s.TypeByName("task_struct", KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Kind != KindStruct || ts.Name != "task_struct" || len(ts.Members) < 50 {
		t.Fatalf("task_struct: kind %v, %d members", ts.Kind, len(ts.Members))
	}
	size, err := s.Size(id)
	if err != nil {
		t.Fatal(err)
	}
	if size != ts.Size || size < 1024 {
		t.Fatalf("Size(task_struct) = %d, header says %d", size, ts.Size)
	}
	// Every member lies inside the struct, in ascending order.
	var prevEnd uint64
	sawPid := false
	for i, m := range ts.Members {
		off, bits, _, err := s.Bitfield(ts, i)
		if err != nil {
			t.Fatalf("member %d (%s): %v", i, m.Name, err)
		}
		end := uint64(off) + uint64(bits)
		if end > uint64(size)*8 {
			t.Errorf("member %d (%s) ends at bit %d, past the struct's %d bytes", i, m.Name, end, size)
		}
		if uint64(off) < prevEnd {
			t.Errorf("member %d (%s) at bit %d overlaps the previous one (ending at %d)", i, m.Name, off, prevEnd)
		}
		prevEnd = end
		if m.Name == "pid" {
			sawPid = true
			if sz, err := s.Size(m.Type); err != nil || sz != 4 {
				t.Errorf("task_struct.pid size = %d, %v", sz, err)
			}
		}
	}
	if !sawPid {
		t.Error("task_struct has no pid member")
	}
	// list_head is a legal pointer cycle.
	lh, _, err := s.TypeByName("list_head", KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	if sz, err := s.Size(lh); err != nil || sz != 16 {
		t.Errorf("Size(list_head) = %d, %v", sz, err)
	}
}

// TestVmlinuxWalk resolves and sizes every type: no loops in real BTF.
func TestVmlinuxWalk(t *testing.T) {
	s := mustParse(t, readVmlinux(t))
	counts := map[Kind]int{}
	for id, typ := range s.Types() {
		counts[typ.Kind]++
		if _, _, err := s.Resolve(id); err != nil {
			t.Fatalf("Resolve(%d): %v", id, err)
		}
		// Only types that are (or name) a function or a forward
		// declaration have no size; never a loop or an overflow.
		if _, err := s.Size(id); err != nil && !strings.Contains(err.Error(), "which has no size") {
			t.Fatalf("Size(%d): %v", id, err)
		}
	}
	for _, k := range []Kind{KindInt, KindPtr, KindArray, KindStruct, KindUnion, KindEnum,
		KindFwd, KindTypedef, KindFunc, KindFuncProto} {
		if counts[k] == 0 {
			t.Errorf("vmlinux has no %s", k)
		}
	}
	t.Logf("%d types: %v", s.NumTypes(), counts)
}

// btfLoad loads raw BTF into the kernel with BPF_BTF_LOAD and returns the
// fd, or the error with the verifier's log.
func btfLoad(raw []byte) (int, string, error) {
	fd, err := btfLoadLog(raw, nil)
	if err == nil {
		return fd, "", nil
	}
	// Again with a log, to say why.
	logBuf := make([]byte, 1<<20)
	if fd, err2 := btfLoadLog(raw, logBuf); err2 == nil {
		unix.Close(fd)
	}
	return -1, string(bytes.TrimRight(logBuf, "\x00")), err
}

func btfLoadLog(raw, logBuf []byte) (int, error) {
	const bpfBTFLoad = 18
	attr := struct {
		btf      uint64
		logBuf   uint64
		btfSize  uint32
		logSize  uint32
		logLevel uint32
		trueSize uint32
	}{
		btf:     uint64(uintptr(unsafe.Pointer(&raw[0]))),
		btfSize: uint32(len(raw)),
	}
	if len(logBuf) > 0 {
		attr.logBuf = uint64(uintptr(unsafe.Pointer(&logBuf[0])))
		attr.logSize = uint32(len(logBuf))
		attr.logLevel = 1
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, bpfBTFLoad, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(raw)
	runtime.KeepAlive(logBuf)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func mustLoad(t *testing.T, what string, raw []byte) {
	t.Helper()
	// A kernel without some BTF kinds gets them rewritten, as the direct
	// load does (Sanitize), so the rest of the BTF is still checked there.
	if kf := kernel.BTFFeatures(); kf.BTF && !kf.Complete() {
		san, err := SanitizeRaw(raw, Features{Func: kf.Func, GlobalFunc: kf.GlobalFunc, Datasec: kf.Datasec, QmarkDatasec: kf.QmarkDatasec,
			Float: kf.Float, DeclTag: kf.DeclTag, TypeTag: kf.TypeTag, Enum64: kf.Enum64})
		if err != nil {
			t.Fatalf("sanitizing %s for this kernel: %v", what, err)
		}
		raw, what = san, what+" (sanitized for this kernel)"
	}
	fd, log, err := btfLoad(raw)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		requireKernel(t, "BPF_BTF_LOAD: %v", err)
	}
	if err != nil {
		t.Fatalf("kernel rejected %s: %v\n%s", what, err, lastLines(log, 20))
	}
	if err := unix.Close(fd); err != nil {
		t.Errorf("close BTF fd: %v", err)
	}
}

func lastLines(s string, n int) string {
	lines := bytes.Split([]byte(s), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func TestKernelAcceptsAllKinds(t *testing.T) {
	raw, ds := allKinds(binary.NativeEndian)
	s := mustParse(t, raw)
	if err := s.SetDatasec(ds, 8, []VarSecinfo{{Type: 14, Offset: 4, Size: 4}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, "all-kinds BTF", out)

	// The kernel must reject what it should: a sanity check that the
	// helper reports errors at all (a DATASEC var past the section end).
	if err := s.SetDatasec(ds, 2, []VarSecinfo{{Type: 14, Offset: 4, Size: 4}}); err != nil {
		t.Fatal(err)
	}
	bad, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if fd, _, err := btfLoad(bad); err == nil {
		unix.Close(fd)
		t.Error("kernel accepted a DATASEC whose var lies past its end")
	}
}

func TestKernelAcceptsVmlinuxCopy(t *testing.T) {
	raw := readVmlinux(t)
	out, err := mustParse(t, raw).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, "re-marshalled vmlinux BTF", out)
}

func BenchmarkParseVmlinux(b *testing.B) {
	raw := readVmlinux(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypeByNameVmlinux(b *testing.B) {
	s := mustParse(b, readVmlinux(b))
	for b.Loop() {
		if _, _, err := s.TypeByName("task_struct", KindStruct); err != nil {
			b.Fatal(err)
		}
	}
}
