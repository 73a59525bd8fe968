package kconfig

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"

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
	vars := []abi.KconfigVar{
		{Name: "LINUX_KERNEL_VERSION", Offset: 0, Size: 4, Type: abi.KconfigInt},
		{Name: "CONFIG_BPF", Offset: 4, Size: 1, Type: abi.KconfigBool},
		{Name: "CONFIG_MOD", Offset: 8, Size: 4, Type: abi.KconfigTristate},
		{Name: "CONFIG_HZ", Offset: 12, Size: 4, Type: abi.KconfigInt},
		{Name: "CONFIG_NEG", Offset: 16, Size: 8, Type: abi.KconfigInt, Signed: true},
		{Name: "CONFIG_HOSTNAME", Offset: 24, Size: 6, Type: abi.KconfigCharArray},
		{Name: "CONFIG_MOD", Offset: 30, Size: 1, Type: abi.KconfigChar},
		{Name: "CONFIG_OFF", Offset: 31, Size: 1, Type: abi.KconfigBool, Weak: true},
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
		v    abi.KconfigVar
		want string
	}{
		{"strong missing", abi.KconfigVar{Name: "CONFIG_NOPE", Size: 1, Type: abi.KconfigBool}, "CONFIG_NOPE: not set"},
		{"m as bool", abi.KconfigVar{Name: "CONFIG_M", Size: 1, Type: abi.KconfigBool}, "does not fit a bool"},
		{"overflow", abi.KconfigVar{Name: "CONFIG_BIG", Size: 1, Type: abi.KconfigInt}, "does not fit 1 bytes"},
		{"outside image", abi.KconfigVar{Name: "CONFIG_M", Offset: 7, Size: 4, Type: abi.KconfigTristate}, "outside .kconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Fill(make([]byte, 8), []abi.KconfigVar{tt.v}, cfg, binary.LittleEndian)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
	err := Fill(make([]byte, 1), []abi.KconfigVar{{Name: "CONFIG_NOPE", Size: 1, Type: abi.KconfigBool}}, cfg, binary.LittleEndian)
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
		t.Fatalf("ReadRunning: %v", err)
	}
	if _, err := KernelVersion(cfg.Release); err != nil {
		t.Error(err)
	}
	if os.Getenv(EnvConfigFile) != "" {
		t.Skipf("$%s is set: the running kernel's own config is not read", EnvConfigFile)
	}
	if cfg.Source == "" {
		// No config file is not an error; then neither file exists.
		want := []string{"/proc/config.gz", "/boot/config-" + cfg.Release}
		if !slices.Equal(cfg.Tried, want) {
			t.Fatalf("no config found, tried %q, want %q", cfg.Tried, want)
		}
		for _, f := range want {
			if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: %v, but ReadRunning found no config", f, err)
			}
		}
		return
	}
	if cfg.Values["CONFIG_BPF"] != "y" {
		t.Errorf("running kernel (%s): CONFIG_BPF = %q, want y", cfg.Source, cfg.Values["CONFIG_BPF"])
	}
}

// Where the config comes from: the file the environment names (plain or
// gzip), the first file that exists, or none; and what Fill makes of a
// missing config.
func TestConfigSources(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "config")
	if err := os.WriteFile(plain, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "config.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("CONFIG_HZ=1000\n"))
	zw.Close()
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		env     string
		files   []string
		source  string // "" with no error: no config found
		hz      string
		wantErr string
	}{
		{"environment wins", plain, []string{gz}, plain, "250", ""},
		{"gzip file", "", []string{missing, gz, plain}, gz, "1000", ""},
		{"first existing file", "", []string{missing, plain}, plain, "250", ""},
		{"none found", "", []string{missing, missing + "2"}, "", "", ""},
		{"environment names a missing file", missing, []string{plain}, "", "", "$BPFGEN_KCONFIG: kconfig: open " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := readConfig("6.1.0", tt.env, tt.files...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Source != tt.source || cfg.Values["CONFIG_HZ"] != tt.hz {
				t.Fatalf("source %q CONFIG_HZ %q, want %q %q", cfg.Source, cfg.Values["CONFIG_HZ"], tt.source, tt.hz)
			}
			if tt.source == "" && !slices.Equal(cfg.Tried, tt.files) {
				t.Fatalf("tried %q, want %q", cfg.Tried, tt.files)
			}
		})
	}
}

// Without a config file, values from the kernel itself still resolve, weak
// externs read 0 and a strong one fails naming itself and the files tried.
func TestFillWithoutConfig(t *testing.T) {
	cfg := &Config{Release: "5.10.0-46-amd64", Tried: []string{"/proc/config.gz", "/boot/config-5.10.0-46-amd64"},
		Kernel: func(name string) bool { return name == "LINUX_HAS_SYSCALL_WRAPPER" }}
	vars := []abi.KconfigVar{
		{Name: "LINUX_KERNEL_VERSION", Offset: 0, Size: 4, Type: abi.KconfigInt},
		{Name: "LINUX_HAS_BPF_COOKIE", Offset: 4, Size: 1, Type: abi.KconfigBool, Weak: true},
		{Name: "LINUX_HAS_SYSCALL_WRAPPER", Offset: 5, Size: 1, Type: abi.KconfigBool, Weak: true},
		{Name: "CONFIG_HZ", Offset: 8, Size: 4, Type: abi.KconfigInt, Weak: true},
	}
	image := bytes.Repeat([]byte{0}, 12)
	if err := Fill(image, vars, cfg, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x00, 0x0a, 0x05, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(image, want) {
		t.Fatalf("image % x, want % x", image, want)
	}
	err := Fill(image, []abi.KconfigVar{{Name: "CONFIG_HZ", Offset: 8, Size: 4, Type: abi.KconfigInt}}, cfg, binary.LittleEndian)
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("strong extern without a config: %v, want ErrMissing", err)
	}
	for _, s := range []string{"CONFIG_HZ", "/proc/config.gz", "/boot/config-5.10.0-46-amd64", EnvConfigFile} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

// The kernel-derived externs say what the running kernel can do, as an
// independent look says: cilium/ebpf's helper probe for cookies, and a
// plain search of /proc/kallsyms for the syscall wrapper.
func TestRunningHas(t *testing.T) {
	testutil.RequireKernel(t)
	wantCookie := features.HaveProgramHelper(ebpf.TracePoint, ciliumasm.FnGetAttachCookie) == nil
	if got := runningHas("LINUX_HAS_BPF_COOKIE"); got != wantCookie {
		t.Errorf("LINUX_HAS_BPF_COOKIE = %v, cilium/ebpf's probe of bpf_get_attach_cookie says %v", got, wantCookie)
	}
	syms, err := os.ReadFile("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := "__" + kernel.SyscallPrefix() + "_sys_bpf"
	wantWrapper := bytes.Contains(syms, []byte(" "+wrapper+"\n"))
	if got := runningHas("LINUX_HAS_SYSCALL_WRAPPER"); got != wantWrapper {
		t.Errorf("LINUX_HAS_SYSCALL_WRAPPER = %v, but %s in /proc/kallsyms: %v", got, wrapper, wantWrapper)
	}
}
