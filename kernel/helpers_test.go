package kernel

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"golang.org/x/sys/unix"
)

func requireKernel(t testing.TB) { t.Helper(); testutil.RequireKernel(t) }

// requireSyscallProgs skips a test of syscall programs on kernels
// without them.
func requireSyscallProgs(t testing.TB) {
	t.Helper()
	testutil.RequireFeature(t, testutil.HaveSyscallProgs(), "BPF_PROG_TYPE_SYSCALL programs", "5.14")
}

func mustRequire() bool { return testutil.KernelRequired() }

// closeFD closes fd at the end of the test.
func closeFD(t testing.TB, fd int) {
	t.Helper()
	t.Cleanup(func() {
		if err := unix.Close(fd); err != nil {
			t.Errorf("close(%d): %v", fd, err)
		}
	})
}

// ensureFS mounts fstype at dir if dir is not such a mount (magic is its
// statfs f_type); it fails under CI when that is not possible.
func ensureFS(t *testing.T, dir, fstype string, magic int64) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && int64(st.Type) == magic {
		return
	}
	err := unix.Mount(fstype, dir, fstype, 0, "")
	if err == nil {
		if err = unix.Statfs(dir, &st); err == nil && int64(st.Type) != magic {
			err = unix.EINVAL
		}
	}
	if err != nil {
		testutil.SkipOrFail(t, "mount -t %s %s: %v", fstype, dir, err)
	}
}

// Hand-encoded instructions.
var (
	insnR0Is42 = []byte{0xb7, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00} // r0 = 42
	insnExit   = []byte{0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00} // exit
)

func concat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// loadRet42 loads a program of the given type returning 42.
func loadRet42(t testing.TB, typ, flags uint32, name string) int {
	t.Helper()
	log := make([]byte, 4096)
	fd, _, err := ProgLoad(&ProgLoadAttr{
		Type:     typ,
		Flags:    flags,
		Insns:    concat(insnR0Is42, insnExit),
		License:  "GPL",
		Name:     name,
		LogLevel: 1,
		LogBuf:   log,
	})
	if err != nil {
		t.Fatalf("load %s: %v\n%s", name, err, CString(log))
	}
	closeFD(t, fd)
	return fd
}
