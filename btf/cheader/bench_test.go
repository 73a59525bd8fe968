package cheader

import (
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

// BenchmarkVmlinux writes the running kernel's vmlinux.h: "write" from
// parsed BTF, "parse+write" from the file as `bpfgen vmlinux` does, and
// "bpftool" runs `bpftool btf dump file /sys/kernel/btf/vmlinux format c`
// for comparison (a process per header, as a user runs it).
func BenchmarkVmlinux(b *testing.B) {
	const path = "/sys/kernel/btf/vmlinux"
	raw, err := os.ReadFile(path)
	if err != nil {
		testutil.SkipOrFail(b, "the running kernel has no BTF (CONFIG_DEBUG_INFO_BTF, Linux 5.4): %v", err)
	}
	b.Run("write", func(b *testing.B) {
		spec, err := btf.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := Write(io.Discard, spec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			spec, err := btf.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			if err := Write(io.Discard, spec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bpftool", func(b *testing.B) {
		bpftool := testutil.RequireTool(b, "bpftool", "to compare with bpftool")
		for b.Loop() {
			cmd := exec.Command(bpftool, "btf", "dump", "file", path, "format", "c")
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
