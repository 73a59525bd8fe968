package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
)

// genTools are the generators timed, whole process.
var genTools = []struct{ key, label string }{
	{"bpfgen-loader", "bpfgen loader"},
	{"bpfgen-skeleton", "bpfgen skeleton"},
	{"bpftool-L", "bpftool gen skeleton -L"},
}

// genResult is one generator on one object.
type genResult struct {
	median, min, max float64 // ms
	err              string
}

func (rep *report) genArgs(o objSpec, tool string) []string {
	dir := filepath.Join(rep.cfg.out, "_gen")
	switch tool {
	case "bpfgen-loader":
		return []string{rep.cfg.bin("bpfgen"), "loader", o.Path, "-o", filepath.Join(dir, o.Name+".loader")}
	case "bpfgen-skeleton":
		a := rep.skeletonArgs(o, "main", filepath.Join(dir, o.Name+"_lskel.go"))
		if rep.skelToolName != "bpfgen skeleton" {
			a = append(a[:1], a[2:]...)
		}
		return a
	default:
		return []string{"bpftool", "gen", "skeleton", "-L", o.Path, "name", o.Name}
	}
}

// measureGeneration times each generator on each object with hyperfine
// (or, without it, a loop of whole-process runs).
func measureGeneration(c *config, rep *report) error {
	if err := os.MkdirAll(filepath.Join(c.out, "_gen"), 0o755); err != nil {
		return err
	}
	rep.gen = map[string]map[string]*genResult{}
	_, herr := exec.LookPath("hyperfine")
	rep.hyperfine = herr == nil
	for _, o := range genObjects(c) {
		rep.gen[o.Name] = map[string]*genResult{}
		for _, t := range genTools {
			args := rep.genArgs(o, t.key)
			r := &genResult{}
			rep.gen[o.Name][t.key] = r
			if _, err := runCmd(c.root, args[0], args[1:]...); err != nil {
				r.err = annotateBpftool(o.Name, reason(err))
				continue
			}
			var err error
			if rep.hyperfine {
				err = hyperfine(c, args, r)
			} else {
				err = loopTime(c, args, r)
			}
			if err != nil {
				r.err = lastLine(err)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: generate %-10s loader=%.1fms skeleton=%.1fms bpftool=%s\n", o.Name,
			rep.gen[o.Name]["bpfgen-loader"].median, rep.gen[o.Name]["bpfgen-skeleton"].median, genCell(rep.gen[o.Name]["bpftool-L"]))
	}
	return nil
}

func genCell(r *genResult) string {
	if r == nil {
		return "n/a"
	}
	if r.err != "" {
		return "not supported"
	}
	return fmt.Sprintf("%.1f ms", r.median)
}

func hyperfine(c *config, args []string, r *genResult) error {
	out := filepath.Join(c.out, "_gen", "hyperfine.json")
	cmdline := ""
	for i, a := range args {
		if i > 0 {
			cmdline += " "
		}
		cmdline += a
	}
	if _, err := runCmd(c.root, "hyperfine", "-N", "--style", "none", "--warmup", "1",
		"--runs", strconv.Itoa(c.genRuns), "--export-json", out, cmdline); err != nil {
		return err
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	var res struct {
		Results []struct {
			Median float64 `json:"median"`
			Min    float64 `json:"min"`
			Max    float64 `json:"max"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res.Results) != 1 {
		return fmt.Errorf("hyperfine's JSON %s: %v", out, err)
	}
	r.median, r.min, r.max = res.Results[0].Median*1e3, res.Results[0].Min*1e3, res.Results[0].Max*1e3
	return nil
}

func loopTime(c *config, args []string, r *genResult) error {
	var ds []int64
	for i := 0; i <= c.genRuns; i++ {
		t := time.Now()
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Run(); err != nil {
			return err
		}
		if i > 0 { // the first run warms the page cache
			ds = append(ds, time.Since(t).Nanoseconds())
		}
	}
	r.median = medianInt(ds) / 1e6
	r.min = float64(slices.Min(ds)) / 1e6
	r.max = float64(slices.Max(ds)) / 1e6
	return nil
}

// loaderSize compares bpfgen's loader with libbpf's for one object.
type loaderSize struct {
	insns, data             int
	libbpfInsns, libbpfData int
	libbpfErr               string
	maps, progs             int
}

var (
	reInsnsSz = regexp.MustCompile(`opts\.insns_sz = (\d+);`)
	reDataSz  = regexp.MustCompile(`opts\.data_sz = (\d+);`)
)

func measureLoaderSizes(c *config, rep *report) error {
	rep.sizes = map[string]*loaderSize{}
	for _, o := range genObjects(c) {
		obj, err := object.Open(o.Path)
		if err != nil {
			return err
		}
		l, err := gen.Generate(obj, nil)
		if err != nil {
			return fmt.Errorf("loader of %s: %w", o.Name, err)
		}
		s := &loaderSize{insns: len(l.Insns) / 8, data: len(l.Data), maps: len(obj.Maps), progs: len(obj.Programs())}
		rep.sizes[o.Name] = s
		h, err := skelHeader(c, o, true)
		if err != nil {
			s.libbpfErr = reason(err)
			continue
		}
		raw, err := os.ReadFile(h)
		if err != nil {
			return err
		}
		mi, md := reInsnsSz.FindSubmatch(raw), reDataSz.FindSubmatch(raw)
		if mi == nil || md == nil {
			s.libbpfErr = "no opts.insns_sz/data_sz in bpftool's header"
			continue
		}
		n, _ := strconv.Atoi(string(mi[1]))
		s.libbpfInsns = n / 8
		s.libbpfData, _ = strconv.Atoi(string(md[1]))
	}
	return nil
}
