package cheader

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSeeds(t *testing.T) {
	write := func(name string, raw []byte) {
		s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", raw)
		if err := os.WriteFile(filepath.Join("testdata/fuzz/FuzzWrite", name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range goldenCases {
		raw, err := build(t, c).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		write(strings.ReplaceAll(c.name, " ", "-"), raw)
	}
	for _, o := range []string{"core", "globals"} {
		f, err := elf.Open("../../testdata/" + o + ".bpf.o")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.Section(".BTF").Data()
		if err != nil {
			t.Fatal(err)
		}
		write("object-"+o, raw)
	}
}
