package gen_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

var update = flag.Bool("update", false, "rewrite golden files")

func open(t testing.TB, name string) *object.Object {
	t.Helper()
	obj, err := object.Open(testutil.Object(name))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func generate(t testing.TB, name string) *gen.Loader {
	t.Helper()
	l, err := gen.Generate(open(t, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDeterministic: the same object gives the same loader, byte for
// byte, of either kind.
func TestDeterministic(t *testing.T) {
	for _, mode := range loaderModes {
		for _, name := range behave.Objects {
			if tableRefuses(t, open(t, name), mode.opts) {
				continue
			}
			a, b := generateIn(t, open(t, name), mode.opts), generateIn(t, open(t, name), mode.opts)
			if !bytes.Equal(a.Data, b.Data) || !bytes.Equal(a.Insns, b.Insns) {
				t.Errorf("%s %s: two generations differ", mode.name, name)
			}
			var fa, fb bytes.Buffer
			if err := a.WriteFile(&fa, binary.LittleEndian); err != nil {
				t.Fatal(err)
			}
			if err := b.WriteFile(&fb, binary.LittleEndian); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fa.Bytes(), fb.Bytes()) {
				t.Errorf("%s %s: two loader files differ", mode.name, name)
			}
		}
	}
}

// TestFileRoundTrip writes and reads back every loader, of either kind
// (a table loader is a version-4 file).
func TestFileRoundTrip(t *testing.T) {
	for _, mode := range loaderModes {
		for _, name := range behave.Objects {
			if tableRefuses(t, open(t, name), mode.opts) {
				continue
			}
			l := generateIn(t, open(t, name), mode.opts)
			var buf bytes.Buffer
			if err := l.WriteFile(&buf, binary.LittleEndian); err != nil {
				t.Fatal(err)
			}
			if v, want := binary.LittleEndian.Uint32(buf.Bytes()[8:]), map[bool]uint32{false: gen.FileVersion, true: gen.FileVersionTable}[l.Table]; v != want {
				t.Errorf("%s %s: file version %d, want %d", mode.name, name, v, want)
			}
			back, bo, err := gen.ReadFile(buf.Bytes())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if bo != binary.ByteOrder(binary.LittleEndian) || !bytes.Equal(back.Data, l.Data) || !bytes.Equal(back.Insns, l.Insns) ||
				strings.Join(back.Steps, "\n") != strings.Join(l.Steps, "\n") || len(back.Maps) != len(l.Maps) || len(back.Progs) != len(l.Progs) ||
				back.Table != l.Table || !bytes.Equal(back.LoaderBTF, l.LoaderBTF) || !bytes.Equal(back.LoaderFuncInfo, l.LoaderFuncInfo) {
				t.Errorf("%s %s: loader file does not round-trip", mode.name, name)
			}
		}
	}
}

// TestReadFileErrors feeds malformed loader files.
func TestReadFileErrors(t *testing.T) {
	var good bytes.Buffer
	if err := generate(t, "minimal").WriteFile(&good, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	raw := good.Bytes()
	patch := func(off int, b ...byte) []byte {
		c := append([]byte(nil), raw...)
		copy(c[off:], b)
		return c
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"bad magic", patch(0, 'X'), "bad magic"},
		{"version", patch(8, 9), "version 9"},
		{"header too long", patch(12, 0xff, 0xff, 0xff, 0x7f), "exceeds"},
		{"truncated", raw[:len(raw)-3], "exceeds"},
		{"bad json", patch(16, '!'), "header"},
	}
	// A signed loader file whose signature section is larger than any
	// signature.
	big := generate(t, "minimal")
	big.Signed = true
	big.Signatures[0] = make([]byte, 4097)
	var oversize bytes.Buffer
	if err := big.WriteFile(&oversize, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		name string
		in   []byte
		want string
	}{"oversize signature", oversize.Bytes(), "larger than a signature can be"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gen.ReadFile(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDumpGolden keeps the dump of the demo's loader stable and
// readable, for both kinds of loader: the disassembly with its steps, and
// a table loader's records as the calls they replay; -update rewrites
// them.
func TestDumpGolden(t *testing.T) {
	tests := []struct {
		golden string
		opts   gen.Options
		want   []string
	}{
		{"minimal.dump.golden", gen.Options{}, []string{"step 0: load BTF", "call bpf_sys_bpf#166", "fd table", "PROG_LOAD attr handle_getpid"}},
		{"minimal.table.dump.golden", gen.Options{Table: true}, []string{"step 0: load BTF", "bpf(BPF_PROG_LOAD, &blob[", "(PROG_LOAD attr handle_getpid: fd_array) = &blob[",
			"close(blob[", "cleanup, after a failure:", "call bpf_loop#181"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			l, err := gen.GenerateWith(open(t, "minimal"), nil, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := l.Dump(&out, binary.LittleEndian); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("dump differs from %s (go test ./gen -run TestDumpGolden -update)", golden)
			}
			for _, s := range tt.want {
				if !strings.Contains(out.String(), s) {
					t.Errorf("dump lacks %q", s)
				}
			}
		})
	}
}

// TestTrampolines forces the failure checks to reach the cleanup block
// through chains of trampolines, then loads the loader and makes its last
// step fail: both the normal and the failure path must work.
func TestTrampolines(t *testing.T) {
	testutil.RequireLoaders(t)
	obj := open(t, "many")
	newGen := func() *gen.Generator {
		g, err := gen.New(obj)
		if err != nil {
			t.Fatal(err)
		}
		g.SetTrampolineEvery(300)
		return g
	}
	l, err := newGen().Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Each trampoline is two instructions: a jump over it and the jump
	// onwards to the previous one.
	plain := len(generate(t, "many").Insns) / 8
	with := len(l.Insns) / 8
	if min := 2 * (plain / 600); with-plain < min {
		t.Fatalf("%d instructions with trampolines, %d without: expected at least %d more", with, plain, min)
	}
	res, err := lskel.Run(&l.Loader, nil)
	if err != nil {
		t.Fatalf("loader with trampolines: %v", err)
	}
	res.Close()

	before := leakcheck.Take(true)
	g := newGen()
	last := len(l.Steps) - 1
	g.FailAtStep(last)
	lf, err := g.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lskel.Run(&lf.Loader, nil)
	var le *lskel.LoadError
	if !errors.As(err, &le) || !errors.Is(le, unix.ECANCELED) || le.Step != l.Steps[last] {
		t.Fatalf("failure at the last step: got %v", err)
	}
	if err := before.Wait(leakcheck.Timeout); err != nil {
		t.Fatal(err)
	}
}
