package behave

import (
	"bytes"
	"os"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
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
func HaveDataKsyms() bool {
	syms, err := os.ReadFile("/proc/kallsyms")
	return err == nil && bytes.Contains(syms, []byte(" bpf_prog_active\n"))
}

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
func HaveConntrackKfuncs() bool {
	syms, err := os.ReadFile("/proc/kallsyms")
	return err == nil && bytes.Contains(syms, []byte(" bpf_xdp_ct_lookup"))
}

// LoadableObjects lists the test objects that load on the running kernel:
// Objects, plus those that need what only some kernels have.
func LoadableObjects() []string {
	objs := append([]string(nil), Objects...)
	if HaveTrampolines() {
		objs = append(objs, "trampoline")
	}
	if HaveDataKsyms() {
		objs = append(objs, "ksym_data")
	}
	if HaveConntrackKfuncs() {
		objs = append(objs, "conntrack")
	}
	return objs
}
