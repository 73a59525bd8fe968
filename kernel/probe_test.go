package kernel

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// The feature probes agree with cilium/ebpf's probes of the same
// features, on whatever kernel runs the tests.
func TestProbesAgreeWithCilium(t *testing.T) {
	testutil.RequireKernel(t)
	tests := []struct {
		name string
		got  bool
		want error
	}{
		{"syscall programs", HaveSyscallProgs(), features.HaveProgramType(ebpf.Syscall)},
		{"BPF cookies", HaveBPFCookie(), features.HaveProgramHelper(ebpf.TracePoint, ciliumasm.FnGetAttachCookie)},
		{"memcg accounting", haveMemcgAccounting(), features.HaveProgramHelper(ebpf.SocketFilter, ciliumasm.FnKtimeGetCoarseNs)},
	}
	for _, tt := range tests {
		if tt.got != (tt.want == nil) {
			t.Errorf("%s: our probe says %v, cilium/ebpf's says %v", tt.name, tt.got, tt.want)
		}
	}
}

// After RaiseMemlock the limit is unlimited where the kernel charges BPF
// memory to it, and untouched elsewhere.
func TestRaiseMemlock(t *testing.T) {
	testutil.RequireKernel(t)
	var before, after unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &before); err != nil {
		t.Fatal(err)
	}
	if err := RaiseMemlock(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &after); err != nil {
		t.Fatal(err)
	}
	switch {
	case haveMemcgAccounting() && after != before:
		t.Errorf("memcg-accounting kernel: RLIMIT_MEMLOCK changed from %+v to %+v", before, after)
	case !haveMemcgAccounting() && after.Cur != unix.RLIM_INFINITY:
		t.Errorf("kernel charging RLIMIT_MEMLOCK: limit is %+v after RaiseMemlock, want unlimited", after)
	}
}

// The tests' own syscall-program probe agrees with the product's.
func TestSyscallProgsProbesAgree(t *testing.T) {
	testutil.RequireKernel(t)
	if HaveSyscallProgs() != testutil.HaveSyscallProgs() {
		t.Fatalf("kernel.HaveSyscallProgs() = %v, testutil.HaveSyscallProgs() = %v", HaveSyscallProgs(), testutil.HaveSyscallProgs())
	}
}
