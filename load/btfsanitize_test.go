package load_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// The direct backend hands the kernel every test object's BTF unchanged
// where the kernel has every BTF feature (this machine), and sanitized
// for the kernel's features elsewhere: the kernel's copy of the loaded
// BTF says which bytes it got.
func TestDirectLoadBTFSanitizes(t *testing.T) {
	testutil.RequireKernel(t)
	kf := kernel.BTFFeatures()
	if !kf.BTF {
		testutil.SkipOrFail(t, "BPF_BTF_LOAD refuses even a single INT")
	}
	f, _ := load.KernelBTFFeatures()
	t.Logf("this kernel's BTF features: %+v", kf)
	paths, err := filepath.Glob(filepath.Join(testutil.Root(), "testdata", "*.bpf.o"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test objects (%v)", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			obj, err := object.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := obj.BTF.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want := raw
			if !kf.Complete() {
				if want, err = btf.SanitizeRaw(raw, f); err != nil {
					t.Fatal(err)
				}
			}
			h, err := (&load.Direct{}).LoadBTF(raw)
			if err != nil {
				t.Fatalf("LoadBTF: %v", err)
			}
			defer unix.Close(int(h))
			got, err := kernel.GetBTFData(int(h))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("the kernel holds %d bytes of BTF, want %d (sanitized: %v)", len(got), len(want), !bytes.Equal(want, raw))
			}
		})
	}
}
