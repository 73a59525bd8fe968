package gen_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// FuzzReadFile feeds the loader file reader; a file it accepts must write
// back to the same loader.
func FuzzReadFile(f *testing.F) {
	for _, name := range []string{"minimal", "kconfig"} {
		var buf bytes.Buffer
		if err := generate(f, name).WriteFile(&buf, binary.LittleEndian); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
	}
	// Table loaders, unsigned (version 4) and signed (version 5).
	for _, opts := range []gen.Options{{Table: true}, {Table: true, Signed: true}} {
		l, err := gen.GenerateWith(open(f, "minimal"), nil, opts)
		if err != nil {
			f.Fatal(err)
		}
		l.Signatures[abi.SchemeV2] = []byte{0x30, 3, 2, 1, 0} // a malformed one: the reader does not verify
		var buf bytes.Buffer
		if err := l.WriteFile(&buf, binary.LittleEndian); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		l, bo, err := gen.ReadFile(raw)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := l.WriteFile(&buf, bo); err != nil {
			t.Fatalf("writing back an accepted loader: %v", err)
		}
		back, _, err := gen.ReadFile(buf.Bytes())
		if err != nil {
			t.Fatalf("reading back a written loader: %v", err)
		}
		if !bytes.Equal(back.Data, l.Data) || !bytes.Equal(back.Insns, l.Insns) {
			t.Fatal("loader changed through a write and read")
		}
	})
}
