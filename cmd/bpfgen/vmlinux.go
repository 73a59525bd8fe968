package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/btf/cheader"
)

func init() {
	register("vmlinux", command{
		usage:   "vmlinux [--btf FILE] [--base FILE] [--kfuncs] [-o vmlinux.h]",
		summary: "write the C header (vmlinux.h) of a kernel's BTF, as bpftool btf dump format c does",
		run:     cmdVmlinux,
	})
}

// kernelBTF is where the running kernel publishes its BTF; its modules'
// split BTF sits beside it.
const kernelBTF = "/sys/kernel/btf/vmlinux"

// cmdVmlinux is `bpfgen vmlinux [--btf FILE] [--base FILE] [-o FILE]`.
func cmdVmlinux(args []string, stdout, _ io.Writer) error {
	fs := newFlags("vmlinux")
	in := fs.String("btf", kernelBTF, "read BTF from `FILE`: raw BTF (/sys/kernel/btf/*) or an ELF file with a .BTF section (vmlinux, a module)")
	base := fs.String("base", "", "the base BTF `FILE` of split BTF (a module's); default "+kernelBTF+" for the running kernel's modules")
	out := fs.String("o", "-", "write the header to `FILE`; - is standard output")
	guard := fs.String("guard", "", "include guard macro (default __VMLINUX_H__)")
	kfuncs := fs.Bool("kfuncs", false, "declare the kernel's kfuncs (extern __weak __ksym), as bpftool 7.5 and later do")
	if err := parseFlags(fs, args, 0, stdout); err != nil {
		return err
	}
	opts := &cheader.Options{Guard: *guard, Kfuncs: *kfuncs}
	if opts.Validate() != nil {
		return fmt.Errorf("--guard %q is not a C identifier", *guard)
	}
	if *base == "" {
		*base = defaultBase(*in)
	}
	var baseSpec *btf.Spec
	if *base != "" {
		var err error
		if baseSpec, err = readBTF(*base, nil); err != nil {
			return err
		}
	}
	spec, err := readBTF(*in, baseSpec)
	if err != nil {
		return err
	}
	if *out == "-" || *out == "" {
		if err := cheader.Write(stdout, spec, opts); err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
		return nil
	}
	// Written beside the target and renamed over it, so that a failed
	// write leaves no half header behind.
	f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return fmt.Errorf("write the header: %w", err)
	}
	err = cheader.Write(f, spec, opts)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write the header: %w", cerr)
	}
	if err == nil {
		if err = os.Chmod(f.Name(), 0o644); err == nil {
			err = os.Rename(f.Name(), *out)
		}
		if err != nil {
			err = fmt.Errorf("write the header: %w", err)
		}
	} else {
		err = fmt.Errorf("%s: %w", *in, err)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// defaultBase is the base of split BTF at path when --base does not say:
// the running kernel's for its modules' (/sys/kernel/btf/MODULE), as
// bpftool assumes; none for anything else.
func defaultBase(path string) string {
	if filepath.Dir(path) == filepath.Dir(kernelBTF) && path != kernelBTF {
		return kernelBTF
	}
	return ""
}

// readBTF parses the BTF in path, split on base when base is not nil:
// the file is raw BTF or an ELF file whose .BTF section holds it.
func readBTF(path string, base *btf.Spec) (*btf.Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(raw, []byte(elf.ELFMAG)) {
		f, err := elf.NewFile(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		sec := f.Section(".BTF")
		if sec == nil {
			return nil, fmt.Errorf("%s: no .BTF section (a kernel built without CONFIG_DEBUG_INFO_BTF?)", path)
		}
		if raw, err = sec.Data(); err != nil {
			return nil, fmt.Errorf("%s: section .BTF: %w", path, err)
		}
	}
	var spec *btf.Spec
	if base != nil {
		spec, err = btf.ParseSplit(raw, base)
	} else {
		spec, err = btf.Parse(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}
