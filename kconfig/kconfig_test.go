package kconfig

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

const sample = `#
# comment
CONFIG_BPF=y
CONFIG_MOD=m
CONFIG_HZ=250
CONFIG_NEG=-5
CONFIG_HOSTNAME="bpf host"
# CONFIG_OFF is not set
`

func TestFill(t *testing.T) {
	values, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Values: values, Release: "6.18.300-custom"}
	vars := []Var{
		{Name: "LINUX_KERNEL_VERSION", Offset: 0, Size: 4, Type: Int},
		{Name: "CONFIG_BPF", Offset: 4, Size: 1, Type: Bool},
		{Name: "CONFIG_MOD", Offset: 8, Size: 4, Type: Tristate},
		{Name: "CONFIG_HZ", Offset: 12, Size: 4, Type: Int},
		{Name: "CONFIG_NEG", Offset: 16, Size: 8, Type: Int, Signed: true},
		{Name: "CONFIG_HOSTNAME", Offset: 24, Size: 6, Type: CharArray},
		{Name: "CONFIG_MOD", Offset: 30, Size: 1, Type: Char},
		{Name: "CONFIG_OFF", Offset: 31, Size: 1, Type: Bool, Weak: true},
	}
	image := make([]byte, 32)
	if err := Fill(image, vars, cfg, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"version", uint64(le.Uint32(image[0:])), 6<<16 | 18<<8 | 255},
		{"bool", uint64(image[4]), 1},
		{"tristate", uint64(le.Uint32(image[8:])), 2},
		{"int", uint64(le.Uint32(image[12:])), 250},
		{"signed", le.Uint64(image[16:]), uint64(1<<64 - 5)},
		{"char", uint64(image[30]), 'm'},
		{"weak missing", uint64(image[31]), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if got := string(image[24:30]); got != "bpf h\x00" {
		t.Errorf("string: got %q", got)
	}
}

func TestFillErrors(t *testing.T) {
	cfg := &Config{Values: map[string]string{"CONFIG_M": "m", "CONFIG_BIG": "300"}, Release: "6.1.0"}
	tests := []struct {
		name string
		v    Var
		want string
	}{
		{"strong missing", Var{Name: "CONFIG_NOPE", Size: 1, Type: Bool}, "CONFIG_NOPE: not set"},
		{"m as bool", Var{Name: "CONFIG_M", Size: 1, Type: Bool}, "does not fit a bool"},
		{"overflow", Var{Name: "CONFIG_BIG", Size: 1, Type: Int}, "does not fit 1 bytes"},
		{"outside image", Var{Name: "CONFIG_M", Offset: 7, Size: 4, Type: Tristate}, "outside .kconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Fill(make([]byte, 8), []Var{tt.v}, cfg, binary.LittleEndian)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
	err := Fill(make([]byte, 1), []Var{{Name: "CONFIG_NOPE", Size: 1, Type: Bool}}, cfg, binary.LittleEndian)
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("missing strong extern: %v does not wrap ErrMissing", err)
	}
}

func TestKernelVersion(t *testing.T) {
	for release, want := range map[string]uint32{
		"6.18.44-fc-v669": 6<<16 | 18<<8 | 44,
		"5.15.0":          5<<16 | 15<<8,
		"6.1":             6<<16 | 1<<8,
		"4.19.999":        4<<16 | 19<<8 | 255,
	} {
		got, err := KernelVersion(release)
		if err != nil || got != want {
			t.Errorf("KernelVersion(%q) = %#x, %v; want %#x", release, got, err, want)
		}
	}
	if _, err := KernelVersion("garbage"); err == nil {
		t.Error("KernelVersion(garbage) succeeded")
	}
}

func TestReadRunning(t *testing.T) {
	cfg, err := ReadRunning()
	if err != nil {
		testutil.SkipOrFail(t, "reading the running kernel's config: %v", err)
	}
	if cfg.Values["CONFIG_BPF"] != "y" {
		t.Errorf("running kernel: CONFIG_BPF = %q, want y", cfg.Values["CONFIG_BPF"])
	}
	if _, err := KernelVersion(cfg.Release); err != nil {
		t.Error(err)
	}
}
