package cheader

import (
	"io"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
)

// FuzzWrite writes the header of any BTF that parses, alone and split on
// the golden cases' first BTF (with kfunc declarations): the writer must return, with a header or
// an error, and never panic. The committed corpus
// (testdata/fuzz/FuzzWrite) holds every golden case's BTF and the BTF of
// two test objects.
func FuzzWrite(f *testing.F) {
	base := build(f, goldenCases[0])
	f.Fuzz(func(t *testing.T, raw []byte) {
		if spec, err := btf.Parse(raw); err == nil {
			_ = Write(io.Discard, spec, nil)
		}
		if spec, err := btf.ParseSplit(raw, base); err == nil {
			_ = Write(io.Discard, spec, &Options{Kfuncs: true})
		}
	})
}
