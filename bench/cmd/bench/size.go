package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// binSize is one stripped program's size.
type binSize struct {
	key, label string
	bytes      int64
	err        string
}

// memResult is one contender's whole process loading the CO-RE object
// once: peak RSS (median) and wall time of each run, and each run's wall
// time minus that of the Go hello world in the same round.
type memResult struct {
	key, label string
	kb         int64
	wall       []float64 // ms
	minusHello []float64 // ms
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

// measureWholeProcess runs, for each contender, a process that loads the
// CO-RE object once and exits, and records its wall time (start to exit,
// as the parent sees it) and peak RSS. The runs are interleaved: each
// round runs every process once, in an order rotated every round, so that
// the difference to the Go hello world is taken pairwise, within a round
// (the machine's load changes between rounds, less within one).
func measureWholeProcess(c *config, rep *report) error {
	o, err := findObject(c, "core")
	if err != nil {
		return err
	}
	type prog struct {
		name string
		args []string
		err  error
	}
	var progs []prog
	var mems []memResult
	for _, k := range []struct{ key, label string }{
		{"hello", "Go hello world (baseline, loads nothing)"},
		{"skel", "bpfgen Go light skeleton"},
		{"direct", "bpfgen direct load"},
		{"cilium", "cilium/ebpf"},
	} {
		bin, err := buildSingle(c, rep, "mem", k.key, o)
		progs = append(progs, prog{name: bin, err: err})
		mems = append(mems, memResult{key: k.key, label: k.label})
	}
	progs = append(progs,
		prog{name: c.bin(o.Name + ".lskel"), args: []string{"0"}},
		prog{name: c.bin(o.Name + ".skel"), args: []string{"0"}},
	)
	mems = append(mems,
		memResult{key: "libbpf-lskel", label: "libbpf light skeleton (C)"},
		memResult{key: "libbpf-skel", label: "libbpf skeleton (C, -lbpf)"},
	)
	for i, p := range progs {
		if p.err != nil {
			mems[i].err = lastLine(p.err)
		}
	}
	kbs := make([][]int64, len(progs))
	for r := 0; r < c.memRuns; r++ {
		wall := make([]float64, len(progs))
		for j := range progs {
			i := (j + r) % len(progs)
			if mems[i].err != "" {
				continue
			}
			start := time.Now()
			kb, err := peakRSS(progs[i].name, progs[i].args...)
			wall[i] = float64(time.Since(start).Nanoseconds()) / 1e6
			if err != nil {
				mems[i].err = lastLine(err)
				continue
			}
			kbs[i] = append(kbs[i], kb)
			mems[i].wall = append(mems[i].wall, wall[i])
		}
		if mems[0].err != "" {
			continue
		}
		for i := range progs {
			if mems[i].err == "" {
				mems[i].minusHello = append(mems[i].minusHello, wall[i]-wall[0])
			}
		}
	}
	for i := range mems {
		if mems[i].err == "" && len(kbs[i]) > 0 {
			slices.Sort(kbs[i])
			mems[i].kb = kbs[i][len(kbs[i])/2]
		}
	}
	rep.mem = mems
	return nil
}
