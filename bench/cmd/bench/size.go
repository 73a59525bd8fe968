package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// binSize is one stripped program's size.
type binSize struct {
	key, label string
	bytes      int64
	err        string
}

// memResult is one contender's peak RSS loading the CO-RE object.
type memResult struct {
	key, label string
	kb         int64
	err        string
}

func findObject(c *config, name string) (objSpec, error) {
	for _, o := range c.objects {
		if o.Name == name {
			return o, nil
		}
	}
	return objSpec{}, fmt.Errorf("object %s is not in this run", name)
}

// buildSingle builds a program that loads o once with contender key
// ("skel", "cilium", "direct") or, for "hello", prints hello; stripped
// (-s -w) and -trimpath, as a release build would be.
func buildSingle(c *config, rep *report, group, key string, o objSpec) (string, error) {
	data := singleData{objSpec: o, Mem: group == "mem"}
	dir := filepath.Join(c.out, "_go", group, key)
	if err := freshDir(dir); err != nil {
		return "", err
	}
	switch key {
	case "hello":
		if err := render("hello.go.tmpl", filepath.Join(dir, "main.go"), data); err != nil {
			return "", err
		}
	case "skel":
		if err := rep.writeSkeleton(o, "main", filepath.Join(dir, o.Name+"_lskel.go")); err != nil {
			return "", err
		}
		if err := render("single_skel.go.tmpl", filepath.Join(dir, "main.go"), data); err != nil {
			return "", err
		}
	default:
		if err := copyFile(o.Path, filepath.Join(dir, o.Name+".bpf.o")); err != nil {
			return "", err
		}
		if err := render("single_"+key+".go.tmpl", filepath.Join(dir, "main.go"), data); err != nil {
			return "", err
		}
	}
	bin := c.bin(group + "_" + key)
	_, err := runCmd(c.root, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./"+rel(c, dir))
	return bin, err
}

// singleData feeds the single-load templates; Mem adds a print of the
// peak RSS (kept out of the size programs).
type singleData struct {
	objSpec
	Mem bool
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func measureBinarySizes(c *config, rep *report) error {
	o, err := findObject(c, "minimal")
	if err != nil {
		return err
	}
	for _, k := range []struct{ key, label string }{
		{"hello", "Go hello world (fmt only)"},
		{"skel", "Go, bpfgen light skeleton"},
		{"direct", "Go, bpfgen direct load (object + load packages)"},
		{"cilium", "Go, cilium/ebpf (bpf2go style)"},
	} {
		b := binSize{key: k.key, label: k.label}
		bin, err := buildSingle(c, rep, "size", k.key, o)
		if err != nil {
			b.err = lastLine(err)
		} else {
			b.bytes = fileSize(bin)
		}
		rep.bins = append(rep.bins, b)
	}
	// The C programs for comparison: the light skeleton is self-contained;
	// the regular one links libbpf.so.1 dynamically.
	for _, k := range []struct{ key, label, bin string }{
		{"c-lskel", "C, libbpf light skeleton (gcc -O2, stripped)", c.bin(o.Name + ".lskel")},
		{"c-skel", "C, libbpf skeleton (stripped, + libbpf.so.1 shared)", c.bin(o.Name + ".skel")},
	} {
		b := binSize{key: k.key, label: k.label}
		stripped := k.bin + ".stripped"
		if _, err := runCmd(c.root, "strip", "-o", stripped, k.bin); err != nil {
			b.err = lastLine(err)
		} else {
			b.bytes = fileSize(stripped)
		}
		rep.bins = append(rep.bins, b)
	}
	if p, err := filepath.EvalSymlinks("/usr/lib/" + multiarch() + "/libbpf.so.1"); err == nil {
		rep.libbpfSO = fileSize(p)
	}
	return nil
}

func multiarch() string {
	out, err := exec.Command("gcc", "-print-multiarch").Output()
	if err != nil {
		return "x86_64-linux-gnu"
	}
	return string(trimNL(out))
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// rePeak finds the peak RSS a program prints: "peak_rss_kb N" (the Go
// programs) or "peak_rss_kb":N (the C harness's JSON).
var rePeak = regexp.MustCompile(`peak_rss_kb"?[ :]+(\d+)`)

// peakRSS runs a program and returns the peak RSS in KiB that it reports
// (VmHWM: wait4's ru_maxrss would count the parent's pages too, as Go
// starts children with vfork semantics).
func peakRSS(name string, args ...string) (int64, error) {
	out, err := runCmd("", name, args...)
	if err != nil {
		return 0, err
	}
	m := rePeak.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s printed no peak_rss_kb: %q", name, out)
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// measureMemory loads the CO-RE object once per process with each
// contender and records the process's peak RSS (median of memRuns).
func measureMemory(c *config, rep *report) error {
	o, err := findObject(c, "core")
	if err != nil {
		return err
	}
	type prog struct {
		key, label string
		name       string
		args       []string
		err        error
	}
	var progs []prog
	for _, k := range []struct{ key, label string }{
		{"hello", "Go hello world (baseline, loads nothing)"},
		{"skel", "bpfgen Go light skeleton"},
		{"direct", "bpfgen direct load"},
		{"cilium", "cilium/ebpf"},
	} {
		bin, err := buildSingle(c, rep, "mem", k.key, o)
		progs = append(progs, prog{key: k.key, label: k.label, name: bin, err: err})
	}
	progs = append(progs,
		prog{key: "libbpf-lskel", label: "libbpf light skeleton (C)", name: c.bin(o.Name + ".lskel"), args: []string{"0"}},
		prog{key: "libbpf-skel", label: "libbpf skeleton (C, -lbpf)", name: c.bin(o.Name + ".skel"), args: []string{"0"}},
	)
	for _, p := range progs {
		m := memResult{key: p.key, label: p.label}
		if p.err != nil {
			m.err = lastLine(p.err)
			rep.mem = append(rep.mem, m)
			continue
		}
		var kbs []int64
		for i := 0; i < c.memRuns; i++ {
			kb, err := peakRSS(p.name, p.args...)
			if err != nil {
				m.err = lastLine(err)
				break
			}
			kbs = append(kbs, kb)
		}
		if m.err == "" {
			slices.Sort(kbs)
			m.kb = kbs[len(kbs)/2]
		}
		rep.mem = append(rep.mem, m)
	}
	return nil
}
