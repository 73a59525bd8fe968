package behave

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"

	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// What the running kernel can do that some test objects need, found
// independently of bpfgen (with cilium/ebpf, or from /proc), so that a
// test expecting a load to work or to fail cannot agree with a bpfgen bug.

// HaveTrampolines reports whether fentry programs load (BPF trampolines,
// Linux 5.5; the reference kernel refuses them with EPERM).
func HaveTrampolines() bool {
	trampolinesOnce.Do(func() {
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:         ebpf.Tracing,
			AttachType:   ebpf.AttachTraceFEntry,
			AttachTo:     "bpf_fentry_test1",
			Instructions: ciliumasm.Instructions{ciliumasm.Mov.Imm(ciliumasm.R0, 0), ciliumasm.Return()},
			License:      "GPL",
		})
		if err == nil {
			p.Close()
			haveTrampolines = true
		}
	})
	return haveTrampolines
}

var (
	trampolinesOnce sync.Once
	haveTrampolines bool
)

// HaveDataKsyms reports whether kernel data symbols are in kallsyms
// (CONFIG_KALLSYMS_ALL), which typed ksyms of variables need.
func HaveDataKsyms() bool { return kallsymsHas("bpf_prog_active") }

// BPFLSMActive reports whether the bpf LSM is in the kernel's list of
// active LSMs (it must be named on the lsm= boot parameter or in
// CONFIG_LSM): lsm programs attach elsewhere too but never run.
func BPFLSMActive() bool {
	const path = "/sys/kernel/security/lsm"
	if _, err := os.Stat(path); err != nil {
		unix.Mount("securityfs", "/sys/kernel/security", "securityfs", 0, "")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), ",") {
		if l == "bpf" {
			return true
		}
	}
	return false
}

// HaveConntrackKfuncs reports whether netfilter's conntrack kfuncs are in
// the kernel (Linux 5.18), in vmlinux or in the nf_conntrack module.
func HaveConntrackKfuncs() bool { return kallsymsHas("bpf_xdp_ct_lookup") }

// Feature is something a test object needs from the kernel: what it is,
// which Linux release brought it, and how to find out (probed, never
// read off the version number).
type Feature struct {
	Name, Since string
	Have        func() bool
}

// Require skips the test when the running kernel lacks f, naming it and
// the release that brought it.
func (f Feature) Require(t testing.TB) {
	t.Helper()
	testutil.RequireFeature(t, f.Have(), f.Name, f.Since)
}

// What test objects need.
var (
	SyscallProgs = Feature{"BPF_PROG_TYPE_SYSCALL programs", "5.14", testutil.HaveSyscallProgs}
	BPFLoop      = Feature{"the bpf_loop helper", "5.17", func() bool {
		return features.HaveProgramHelper(ebpf.SocketFilter, ciliumasm.FnLoop) == nil
	}}
	SleepableUprobes = Feature{"sleepable uprobe programs", "6.0", haveSleepableUprobes}
	TaskKfuncs       = Feature{"the kfuncs bpf_task_from_pid and bpf_rcu_read_lock", "6.2", func() bool {
		return kallsymsHas("bpf_task_from_pid") && kallsymsHas("bpf_rcu_read_lock")
	}}
	ConntrackKfuncs = Feature{"netfilter conntrack kfuncs (bpf_xdp_ct_lookup)", "5.18", HaveConntrackKfuncs}
	Trampolines     = Feature{"BPF trampolines (fentry, fexit, fmod_ret, lsm)", "5.5, when the kernel is built with them", HaveTrampolines}
	KernelConfig    = Feature{"a config file (/proc/config.gz, /boot/config-$(uname -r) or $BPFGEN_KCONFIG) for strong kconfig externs", "", func() bool {
		cfg, err := kconfig.ReadRunning()
		return err == nil && cfg.Source != ""
	}}
	FmodRet = Feature{"fmod_ret on bpf_modify_return_test (CONFIG_FUNCTION_ERROR_INJECTION)", "5.7", func() bool {
		return tracingLoads(ebpf.AttachModifyReturn, "bpf_modify_return_test")
	}}
	AtomicFetch = Feature{"atomic fetch instructions (BPF_ATOMIC with BPF_FETCH)", "5.12", haveAtomicFetch}
	DataKsyms   = Feature{"data symbols in kallsyms (CONFIG_KALLSYMS_ALL) for typed ksyms", "5.11", HaveDataKsyms}
	// Kprobes is the kprobe perf PMU or tracefs kprobe_events; kprobe
	// programs load without them but do not attach.
	Kprobes = Feature{"kprobes (CONFIG_KPROBES: the kprobe perf PMU or tracefs kprobe_events)", "4.1", testutil.HaveKprobes}
	// TCPCongestionOps is struct_ops for TCP congestion control: its
	// value type is in the kernel's BTF when the kernel has it.
	// SchedExt is sched_ext (CONFIG_SCHED_CLASS_EXT).
	SchedExt = Feature{"sched_ext (CONFIG_SCHED_CLASS_EXT)", "6.12", func() bool {
		_, err := os.Stat("/sys/kernel/sched_ext/state")
		return err == nil
	}}
	// StructOpsLinks are struct_ops maps registered through links
	// (.struct_ops.link: BPF_F_LINK maps, BPF_STRUCT_OPS links); 5.10
	// refuses to create such a map (EINVAL).
	StructOpsLinks   = Feature{"struct_ops links (.struct_ops.link, BPF_STRUCT_OPS)", "6.4", attachType("BPF_STRUCT_OPS")}
	TCPCongestionOps = Feature{"TCP congestion control in BPF (struct_ops tcp_congestion_ops)", "5.6", func() bool {
		return kbtf.HasMember("bpf_struct_ops_tcp_congestion_ops", "data")
	}}
	// The multi and session links, known from the attach types the
	// kernel's BTF lists.
	UprobeMulti   = Feature{"uprobe.multi links (BPF_TRACE_UPROBE_MULTI)", "6.6", attachType("BPF_TRACE_UPROBE_MULTI")}
	UprobeSession = Feature{"uprobe.session links (BPF_TRACE_UPROBE_SESSION)", "6.13", attachType("BPF_TRACE_UPROBE_SESSION")}
	KprobeSession = Feature{"kprobe.session links (BPF_TRACE_KPROBE_SESSION)", "6.10", attachType("BPF_TRACE_KPROBE_SESSION")}
	KprobeMulti   = Feature{"kprobe.multi links (CONFIG_FPROBE)", "5.18", testutil.HaveKprobeMulti}
)

func attachType(name string) func() bool {
	return func() bool { return kbtf.HasEnumValue("bpf_attach_type", name) }
}

// needs lists what each test object needs beyond what every kernel
// with BTF has.
var needs = map[string][]Feature{
	"globals":        {SyscallProgs},
	"subprogs":       {SyscallProgs, BPFLoop},
	"core":           {SyscallProgs},
	"kconfig":        {SyscallProgs, KernelConfig},
	"ksyms":          {SyscallProgs, TaskKfuncs},
	"progtypes":      {SyscallProgs, SleepableUprobes},
	"many":           {SyscallProgs},
	"flavour":        {SyscallProgs, TaskKfuncs},
	"legacy":         {SyscallProgs},
	"conntrack":      {ConntrackKfuncs},
	"trampoline":     {Trampolines, FmodRet},
	"maps":           {AtomicFetch},
	"freplace":       {Trampolines},
	"ksym_data":      {SyscallProgs, DataKsyms},
	"uprobes":        {SyscallProgs},
	"kprobes":        {SyscallProgs, Kprobes},
	"usdt":           {SyscallProgs},
	"uprobe_multi":   {SyscallProgs, UprobeMulti},
	"uprobe_session": {SyscallProgs, UprobeSession},
	"kprobe_session": {SyscallProgs, Kprobes, KprobeMulti, KprobeSession},
	"structops":      {TCPCongestionOps, StructOpsLinks},
}

// Require skips the test when the running kernel lacks something test
// object name needs, naming it and the release that brought it.
func Require(t testing.TB, name string) {
	t.Helper()
	for _, f := range needs[name] {
		f.Require(t)
	}
}

// CanLoad reports whether the running kernel has everything test object
// name needs; tests that expect its load to fail ask this first.
func CanLoad(name string) bool {
	for _, f := range needs[name] {
		if !f.Have() {
			return false
		}
	}
	return true
}

// kallsymsHas reports whether /proc/kallsyms lists name.
func kallsymsHas(name string) bool {
	syms := kallsyms()
	return bytes.Contains(syms, []byte(" "+name+"\n")) || bytes.Contains(syms, []byte(" "+name+"\t"))
}

// kallsyms is /proc/kallsyms, read once (it does not change during a
// test run but for modules, which the tests do not load).
var kallsyms = sync.OnceValue(func() []byte {
	b, _ := os.ReadFile("/proc/kallsyms")
	return b
})

// tracingLoads reports whether cilium/ebpf loads a tracing program of
// the attach type on the kernel function fn.
func tracingLoads(at ebpf.AttachType, fn string) bool {
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.Tracing,
		AttachType:   at,
		AttachTo:     fn,
		Instructions: ciliumasm.Instructions{ciliumasm.Mov.Imm(ciliumasm.R0, 0), ciliumasm.Return()},
		License:      "GPL",
	})
	if err != nil {
		return false
	}
	p.Close()
	return true
}

// haveAtomicFetch loads a socket filter that fetch-adds to its stack,
// encoded as clang encodes __sync_fetch_and_add whose result is used.
func haveAtomicFetch() bool {
	insns := []byte{
		0xb7, 0x01, 0, 0, 1, 0, 0, 0, // r1 = 1
		0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0, // *(u64 *)(r10 - 8) = r1
		0xdb, 0x1a, 0xf8, 0xff, 1, 0, 0, 0, // r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
		0xb7, 0x00, 0, 0, 0, 0, 0, 0, // r0 = 0
		0x95, 0, 0, 0, 0, 0, 0, 0, // exit
	}
	fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{Type: unix.BPF_PROG_TYPE_SOCKET_FILTER, Insns: insns, License: "GPL"})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// haveSleepableUprobes loads a sleepable uprobe program with cilium/ebpf.
func haveSleepableUprobes() bool {
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.Kprobe,
		Flags:        unix.BPF_F_SLEEPABLE,
		Instructions: ciliumasm.Instructions{ciliumasm.Mov.Imm(ciliumasm.R0, 0), ciliumasm.Return()},
		License:      "GPL",
	})
	if err != nil {
		return false
	}
	p.Close()
	return true
}

// Signatures is the kernel's verification of BPF program signatures:
// probed with a malformed signature, which a verifying kernel refuses
// with EBADMSG and one that cannot verify with EOPNOTSUPP (built without
// CONFIG_SYSTEM_DATA_VERIFICATION) or E2BIG (before the signature
// fields).
var Signatures = Feature{"verification of BPF program signatures (CONFIG_SYSTEM_DATA_VERIFICATION)", "6.18", VerifiesSignatures}

// SignatureProbe returns the errno of loading a trivial program with a
// malformed signature: EBADMSG where the kernel verifies signatures.
func SignatureProbe() error {
	signatureOnce.Do(func() {
		insns := []byte{0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0} // r0 = 0; exit
		fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{Type: unix.BPF_PROG_TYPE_SOCKET_FILTER, Insns: insns, License: "GPL",
			Signature: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})
		if err == nil {
			unix.Close(fd)
		}
		signatureErr = err
	})
	return signatureErr
}

// VerifiesSignatures reports whether the kernel verifies BPF program
// signatures (SignatureProbe gives EBADMSG).
func VerifiesSignatures() bool { return errors.Is(SignatureProbe(), unix.EBADMSG) }

var (
	signatureOnce sync.Once
	signatureErr  error
)

// ExclusiveMaps is maps exclusive to one program (excl_prog_hash) and the
// SHA-256 of frozen array maps (bpf_map_info.hash), which signed loaders
// need: probed by creating, freezing and hashing one.
var ExclusiveMaps = Feature{"exclusive maps (excl_prog_hash) and map hashes", "6.18", func() bool {
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 8, MaxEntries: 1, ExclProgHash: make([]byte, 32)})
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if kernel.MapFreeze(fd) != nil {
		return false
	}
	_, err = kernel.MapHash(fd)
	return err == nil
}}
