// Package kconfig resolves BPF kconfig externs (`extern ... __kconfig`)
// against a kernel's configuration: it reads the running kernel's config and
// release, and writes each extern's value into the .kconfig map image.
//
// It is used at load time by the direct loader and, on the target machine,
// by the runtime of generated loaders; besides the standard library it
// imports only package kernel and the loader ABI, lskel/abi. Only objects with kconfig externs pull
// it (and compress/gzip) in.
package kconfig

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Config is a parsed kernel configuration plus the kernel release.
type Config struct {
	// Values maps CONFIG_ names to their raw values ("y", "m", "100",
	// "\"str\""). It is nil when no config file was found.
	Values map[string]string
	// Release is the kernel release, as uname -r prints it.
	Release string
	// Source is the config file Values came from; Tried lists the files
	// looked for when none was found.
	Source string
	Tried  []string
	// Kernel answers the LINUX_HAS_* externs, which come from what the
	// kernel can do rather than from its config file; nil answers every
	// one with "n".
	Kernel func(name string) bool
}

// Parse reads a kernel config in the .config format.
func Parse(r io.Reader) (map[string]string, error) {
	values := make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok || !strings.HasPrefix(name, "CONFIG_") {
			return nil, fmt.Errorf("kconfig line %d: %q is not CONFIG_NAME=value", line, text)
		}
		values[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading kconfig: %w", err)
	}
	return values, nil
}

// EnvConfigFile names the environment variable that points bpfgen at a
// kernel config file instead of the running kernel's /proc/config.gz or
// /boot/config-$(uname -r) (a container or initramfs often has neither).
const EnvConfigFile = "BPFGEN_KCONFIG"

// ReadRunning reads the running kernel's release and configuration: the
// file named by $BPFGEN_KCONFIG, else /proc/config.gz, else
// /boot/config-$(uname -r). Having no config file is not an error (Debian
// kernels have no /proc/config.gz): Values is then nil, and only externs
// that need a value from it fail (see Fill). A file named by the
// environment must exist.
func ReadRunning() (*Config, error) {
	release, err := kernelRelease()
	if err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	return readConfig(release, os.Getenv(EnvConfigFile), "/proc/config.gz", "/boot/config-"+release)
}

// readConfig reads the config file env names, or else the first of files
// that exists.
func readConfig(release, env string, files ...string) (*Config, error) {
	cfg := &Config{Release: release, Kernel: runningHas}
	if path := env; path != "" {
		values, err := ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", EnvConfigFile, err)
		}
		cfg.Values, cfg.Source = values, path
		return cfg, nil
	}
	for _, path := range files {
		values, err := ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			cfg.Tried = append(cfg.Tried, path)
			continue
		}
		if err != nil {
			return nil, err
		}
		cfg.Values, cfg.Source = values, path
		return cfg, nil
	}
	return cfg, nil
}

// ReadFile reads a kernel config file, gzip-compressed or not.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kconfig: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("kconfig %s: %w", path, err)
		}
		r = zr
	}
	values, err := Parse(r)
	if err != nil {
		return nil, fmt.Errorf("kconfig %s: %w", path, err)
	}
	return values, nil
}

// KernelVersion encodes a release such as "6.18.44-foo" the way
// LINUX_KERNEL_VERSION expects: major<<16 | minor<<8 | min(patch, 255).
func KernelVersion(release string) (uint32, error) {
	var parts [3]uint32
	rest := release
	for i := range parts {
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 0 {
			if i < 2 {
				return 0, fmt.Errorf("kernel release %q: no version number", release)
			}
			break
		}
		n, err := strconv.ParseUint(rest[:end], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("kernel release %q: %w", release, err)
		}
		parts[i] = uint32(n)
		rest = rest[end:]
		if len(rest) == 0 || rest[0] != '.' {
			break
		}
		rest = rest[1:]
	}
	return parts[0]<<16 | parts[1]<<8 | min(parts[2], 255), nil
}

// ErrMissing is wrapped by Fill's error for a strong extern that the kernel
// config does not define, or that needs a config file when none was found.
var ErrMissing = errors.New("not set in the kernel config")

// Fill writes every extern's value into image (the .kconfig map value), in
// byte order bo. A missing weak extern is left zero, as libbpf leaves it,
// also when there is no config file at all; a missing strong one is an
// error naming it and the config file read, or the files tried.
func Fill(image []byte, vars []abi.KconfigVar, cfg *Config, bo binary.ByteOrder) error {
	for _, v := range vars {
		if uint64(v.Offset)+uint64(v.Size) > uint64(len(image)) {
			return fmt.Errorf("kconfig extern %s: offset %d size %d outside .kconfig (%d bytes)", v.Name, v.Offset, v.Size, len(image))
		}
		dst := image[v.Offset : v.Offset+v.Size]
		if err := fillOne(dst, v, cfg, bo); err != nil {
			if errors.Is(err, ErrMissing) {
				return fmt.Errorf("kconfig extern %s: %w (%s)", v.Name, err, cfg.where())
			}
			return fmt.Errorf("kconfig extern %s: %w", v.Name, err)
		}
	}
	return nil
}

// where says which config file the values came from, or which files were
// looked for.
func (c *Config) where() string {
	switch {
	case c.Source != "":
		return "read " + c.Source
	case len(c.Tried) > 0:
		return "no config file: tried " + strings.Join(c.Tried, ", ") + "; $" + EnvConfigFile + " names another"
	}
	return "no config file"
}

func fillOne(dst []byte, v abi.KconfigVar, cfg *Config, bo binary.ByteOrder) error {
	var raw string
	var ok bool
	switch v.Name {
	case "LINUX_KERNEL_VERSION":
		ver, err := KernelVersion(cfg.Release)
		if err != nil {
			return err
		}
		return putInt(dst, uint64(ver), bo)
	case "LINUX_HAS_BPF_COOKIE", "LINUX_HAS_SYSCALL_WRAPPER":
		raw, ok = "n", true
		if cfg.Kernel != nil && cfg.Kernel(v.Name) {
			raw = "y"
		}
	default:
		raw, ok = cfg.Values[v.Name]
	}
	if !ok {
		if v.Weak {
			return nil
		}
		return ErrMissing
	}
	switch v.Type {
	case abi.KconfigBool:
		switch raw {
		case "y":
			dst[0] = 1
		case "n":
			dst[0] = 0
		case "m":
			return fmt.Errorf("value %q does not fit a bool", raw)
		default:
			return fmt.Errorf("value %q is not a bool", raw)
		}
	case abi.KconfigTristate:
		var t uint64
		switch raw {
		case "y":
			t = 1
		case "m":
			t = 2
		case "n":
			t = 0
		default:
			return fmt.Errorf("value %q is not a tristate", raw)
		}
		return putInt(dst, t, bo)
	case abi.KconfigChar:
		if raw != "y" && raw != "m" && raw != "n" {
			return fmt.Errorf("value %q is not y, m or n", raw)
		}
		dst[0] = raw[0]
	case abi.KconfigInt:
		n, err := parseInt(raw, v.Signed)
		if err != nil {
			return err
		}
		if !fits(n, v.Size, v.Signed) {
			return fmt.Errorf("value %s does not fit %d bytes", raw, v.Size)
		}
		return putInt(dst, n, bo)
	case abi.KconfigCharArray:
		s, err := strconv.Unquote(raw)
		if err != nil {
			return fmt.Errorf("value %s is not a quoted string: %w", raw, err)
		}
		clear(dst)
		// Keep a terminating NUL, truncating like libbpf does.
		n := copy(dst[:len(dst)-1], s)
		dst[n] = 0
	default:
		return fmt.Errorf("unsupported kconfig type %d", v.Type)
	}
	return nil
}

func parseInt(raw string, signed bool) (uint64, error) {
	if signed {
		n, err := strconv.ParseInt(raw, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("value %q is not an integer: %w", raw, err)
		}
		return uint64(n), nil
	}
	n, err := strconv.ParseUint(raw, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not an unsigned integer: %w", raw, err)
	}
	return n, nil
}

func fits(n uint64, size uint32, signed bool) bool {
	if size >= 8 {
		return true
	}
	bits := size * 8
	if signed {
		v := int64(n)
		return v >= -(1<<(bits-1)) && v < 1<<(bits-1)
	}
	return n < 1<<bits
}

func putInt(dst []byte, n uint64, bo binary.ByteOrder) error {
	switch len(dst) {
	case 1:
		dst[0] = byte(n)
	case 2:
		bo.PutUint16(dst, uint16(n))
	case 4:
		bo.PutUint32(dst, uint32(n))
	case 8:
		bo.PutUint64(dst, n)
	default:
		return fmt.Errorf("integer of %d bytes", len(dst))
	}
	return nil
}

// runningHas answers the LINUX_HAS_* externs for the running kernel, as
// libbpf does: BPF cookies by probing bpf_get_attach_cookie (Linux 5.15),
// the syscall wrapper by the arch-prefixed __<arch>_sys_bpf symbol.
func runningHas(name string) bool {
	switch name {
	case "LINUX_HAS_BPF_COOKIE":
		return kernel.HaveBPFCookie()
	case "LINUX_HAS_SYSCALL_WRAPPER":
		return kernel.HaveSyscallWrapper()
	}
	return false
}

// Resolve fills a loader's .kconfig image for the running kernel: it is
// the lskel.RunOptions.Kconfig of `bpfgen run` and of generated skeletons
// whose objects have kconfig externs (only those link this package). The
// image is written in native byte order.
func Resolve(image []byte, vars []abi.KconfigVar) error {
	cfg, err := ReadRunning()
	if err != nil {
		return err
	}
	return Fill(image, vars, cfg, binary.NativeEndian)
}
