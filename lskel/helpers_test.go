package lskel

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	// Opening a regular file starts the Go runtime's netpoller (an epoll fd
	// and an eventfd that live as long as the process). leakcheck's own
	// priming reads a directory, which Go 1.26 no longer polls, so start
	// the poller here, before leakcheck takes its snapshot.
	_, _ = os.ReadFile("/proc/self/stat")
	leakcheck.Main(m)
}

// requireKernel fails under CI (skips elsewhere) when BPF is unusable.
func requireKernel(t *testing.T) {
	t.Helper()
	testutil.RequireKernel(t)
}

// requireSyscallProgs skips a test that runs a syscall program on a
// kernel without them.
func requireSyscallProgs(t *testing.T) {
	t.Helper()
	testutil.RequireFeature(t, testutil.HaveSyscallProgs(), "BPF_PROG_TYPE_SYSCALL programs", "5.14")
}

// requireTracefs mounts tracefs at /sys/kernel/tracing when it is missing.
func requireTracefs(t *testing.T) { t.Helper(); testutil.RequireTracefs(t) }

// testMap creates a map, owned through NewMap and closed at the end of
// the test.
func testMap(t *testing.T, typ, keySize, valueSize, maxEntries, flags uint32) *Map {
	t.Helper()
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{
		Type: typ, KeySize: keySize, ValueSize: valueSize, MaxEntries: maxEntries, Flags: flags, Name: "lskel_test",
	})
	if err != nil {
		t.Fatalf("create map type %d: %v", typ, err)
	}
	m, err := NewMap(fd)
	if err != nil {
		unix.Close(fd) // NewMap failed: fd is still ours
		t.Fatalf("NewMap of map type %d: %v", typ, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// progSpec is a hand-assembled program for the tests.
type progSpec struct {
	typ, attachType, attachBTFID, flags uint32
	insns                               []asm.Insn
}

// testProg loads p as a program of the ELF section section (which drives
// Program.Attach; "" for none), owned through NewProgram and closed at the
// end of the test.
func testProg(t *testing.T, p progSpec, section string) *Program {
	t.Helper()
	log := make([]byte, 1<<16)
	fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{
		Type:               p.typ,
		Insns:              asm.Encode(p.insns, binary.NativeEndian),
		License:            "GPL",
		Name:               "lskel_test",
		Flags:              p.flags,
		ExpectedAttachType: p.attachType,
		AttachBTFID:        p.attachBTFID,
		LogLevel:           1,
		LogBuf:             log,
	})
	if err != nil {
		t.Fatalf("load program type %d: %v\n%s", p.typ, err, kernel.CString(log))
	}
	prog, err := NewProgram(fd, section)
	if err != nil {
		unix.Close(fd) // NewProgram failed: fd is still ours
		t.Fatalf("NewProgram of program type %d: %v", p.typ, err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// counterInsns increments the u64 at key 0 of the array mapFD and returns
// ret.
func counterInsns(mapFD int, ret int32) []asm.Insn {
	var out []asm.Insn
	out = append(out, asm.StoreImm(asm.SizeW, asm.R10, -4, 0))
	out = append(out, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4))
	out = append(out, asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(mapFD)))...)
	out = append(out,
		asm.Call(1), // bpf_map_lookup_elem
		asm.JEq.Imm(asm.R0, 0, "return").Off(2),
		asm.Mov.Imm(asm.R1, 1),
		asm.Atomic(asm.SizeDW, asm.AtomicAdd, asm.R0, 0, asm.R1),
		asm.Mov.Imm(asm.R0, ret),
		asm.Exit(),
	)
	return out
}

// counter reads the u64 at key 0 of an array map.
func counter(t *testing.T, m *Map) uint64 {
	t.Helper()
	var key [4]byte
	var val [8]byte
	if err := kernel.MapLookupElem(m.FD(), key[:], val[:]); err != nil {
		t.Fatalf("lookup counter: %v", err)
	}
	return binary.NativeEndian.Uint64(val[:])
}

// vmlinuxFuncID finds the BTF id of the FUNC name in the kernel's BTF.
func vmlinuxFuncID(t *testing.T, name string) uint32 {
	t.Helper()
	b, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		t.Fatalf("read vmlinux BTF: %v", err)
	}
	ne := binary.NativeEndian
	if len(b) < 24 || ne.Uint16(b) != 0xeb9f {
		t.Fatal("vmlinux BTF: bad header")
	}
	hdr := ne.Uint32(b[4:])
	types := b[hdr+ne.Uint32(b[8:]) : hdr+ne.Uint32(b[8:])+ne.Uint32(b[12:])]
	strs := b[hdr+ne.Uint32(b[16:]) : hdr+ne.Uint32(b[16:])+ne.Uint32(b[20:])]
	id := uint32(1)
	for off := 0; off+12 <= len(types); id++ {
		nameOff, info := ne.Uint32(types[off:]), ne.Uint32(types[off+4:])
		kind, vlen := (info>>24)&0x1f, int(info&0xffff)
		off += 12
		switch kind {
		case 1, 14, 17: // INT, VAR, DECL_TAG
			off += 4
		case 3: // ARRAY
			off += 12
		case 4, 5, 15, 19: // STRUCT, UNION, DATASEC, ENUM64
			off += 12 * vlen
		case 6, 13: // ENUM, FUNC_PROTO
			off += 8 * vlen
		}
		if kind == 12 && kernel.CString(strs[nameOff:]) == name {
			return id
		}
	}
	t.Fatalf("vmlinux BTF: no FUNC %s", name)
	return 0
}

// wantAttachErr checks that an attachment failed (closing l if it did
// not) with an error naming what and containing want.
func wantAttachErr(t *testing.T, l *Link, err error, what, want string) {
	t.Helper()
	if err == nil {
		l.Close()
		t.Fatal("attach succeeded")
	}
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), what) {
		t.Fatalf("error %q, want one naming %s and containing %q", err, what, want)
	}
}
