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

// measureGeneration times each generator on each object, whole process:
// after one warm-up run each, genRuns rounds that run every generator
// once, in an order rotated every round (interleaved, so that a busy
// machine's changes fall on all of them alike; hyperfine would run each
// command's runs in one block).
func measureGeneration(c *config, rep *report) error {
	if err := os.MkdirAll(filepath.Join(c.out, "_gen"), 0o755); err != nil {
		return err
	}
	rep.gen = map[string]map[string]*genResult{}
	for _, o := range genObjects(c) {
		rep.gen[o.Name] = map[string]*genResult{}
		var live []int // indexes into genTools of the generators that take o
		samples := make([][]int64, len(genTools))
		for i, t := range genTools {
			r := &genResult{}
			rep.gen[o.Name][t.key] = r
			args := rep.genArgs(o, t.key)
			if _, err := runCmd(c.root, args[0], args[1:]...); err != nil { // also the warm-up
				r.err = annotateBpftool(o.Name, reason(err))
				continue
			}
			live = append(live, i)
		}
		for round := 0; round < c.genRuns; round++ {
			for j := range live {
				i := live[(j+round)%len(live)]
				args := rep.genArgs(o, genTools[i].key)
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Dir = c.root
				start := time.Now()
				if err := cmd.Run(); err != nil {
					rep.gen[o.Name][genTools[i].key].err = lastLine(err)
					continue
				}
				samples[i] = append(samples[i], time.Since(start).Nanoseconds())
			}
		}
		for _, i := range live {
			r := rep.gen[o.Name][genTools[i].key]
			if ds := samples[i]; r.err == "" && len(ds) > 0 {
				r.median = medianInt(ds) / 1e6
				r.min = float64(slices.Min(ds)) / 1e6
				r.max = float64(slices.Max(ds)) / 1e6
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
