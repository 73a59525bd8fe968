package object_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
	ciliumbtf "github.com/cilium/ebpf/btf"
)

// kernelRequired reports whether a test that cannot reach the kernel must
// fail rather than skip.
func kernelRequired() bool { return testutil.KernelRequired() }

// TestMarshalledBTFLoads loads the patched BTF of every test object into
// the kernel with BPF_BTF_LOAD.
func TestMarshalledBTFLoads(t *testing.T) {
	for _, path := range testObjects(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			obj, err := object.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if obj.BTF == nil {
				t.Fatal("no BTF")
			}
			raw, err := obj.BTF.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			// A kernel without some BTF kinds gets them rewritten first, as
			// the direct load does.
			if f, partial := load.KernelBTFFeatures(); partial {
				raw, err = btf.SanitizeRaw(raw, f)
				if err != nil {
					t.Fatal(err)
				}
			}
			h, err := ciliumbtf.NewHandleFromRawBTF(raw)
			if err != nil {
				if isNoKernel(err) && !kernelRequired() {
					t.Skipf("kernel not reachable: %v", err)
				}
				t.Fatalf("BPF_BTF_LOAD: %v", err)
			}
			h.Close()
		})
	}
}

func isNoKernel(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, errors.ErrUnsupported)
}
