// Command bench compares bpfgen with libbpf (light and regular C
// skeletons) and cilium/ebpf on the same machine in the same run: load
// time (with the kernel's own share as the floor), generation time,
// binary size and peak memory. It writes bench/REPORT.md and
// bench/load_ratios.png. Run it from the repository root through
// bench/run.sh (what `make bench` runs):
//
//	bench/run.sh           the full comparison (about 10 minutes)
//	bench/run.sh --quick   one round, few loads, small objects; writes
//	                       bench/out/quick/REPORT.md only
//
// Everything it builds goes under bench/out/ (git-ignored); generated Go
// programs live in bench/out/_go/ so that `go build ./...` skips them.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// objSpec is one object of the comparison.
type objSpec struct {
	Name  string // file name without .bpf.o; also the C skeleton name
	Path  string // the object, under out/objs
	Iters int    // timed loads per process, after the first
}

// Ident is the skeleton identifier (no underscores: "large_500" gives
// "large500"), Exported its exported form.
func (o objSpec) Ident() string { return identOf(o.Name) }

// Exported is the prefix of the skeleton's exported names.
func (o objSpec) Exported() string { return exportedOf(o.Name) }

type config struct {
	quick   bool
	root    string // repository root
	out     string // build and scratch directory
	report  string // REPORT.md to write
	chart   string // PNG to write
	rounds  int
	objects []objSpec // load-time objects
	growth  []int     // program counts of the generation-time curve
	genRuns int       // interleaved rounds of the generators
	memRuns int
}

func main() {
	quick := flag.Bool("quick", false, "one round, few loads, small objects; report under bench/out/quick")
	rounds := flag.Int("rounds", 0, "rounds of alternating contenders (default 7, quick 1)")
	flag.Parse()
	if err := run(*quick, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, rounds int) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c := &config{quick: quick, root: root, out: filepath.Join(root, "bench", "out")}
	if quick {
		c.out = filepath.Join(c.out, "quick")
		c.report = filepath.Join(c.out, "REPORT.md")
		c.chart = filepath.Join(c.out, "load_ratios.png")
		c.rounds = 1
		c.objects = []objSpec{{Name: "minimal", Iters: 3}, {Name: "core", Iters: 3}, {Name: "large_10", Iters: 3}}
		c.growth = []int{10}
		c.genRuns = 2
		c.memRuns = 3
	} else {
		c.report = filepath.Join(root, "bench", "REPORT.md")
		c.chart = filepath.Join(root, "bench", "load_ratios.png")
		c.rounds = 7
		c.objects = []objSpec{
			{Name: "minimal", Iters: 30},
			{Name: "core", Iters: 30},
			{Name: "ksyms", Iters: 10},
			{Name: "mapinmap", Iters: 20},
			{Name: "many", Iters: 15},
			{Name: "large_500", Iters: 5},
		}
		c.growth = []int{10, 50, 100, 250, 500}
		c.genRuns = 15
		c.memRuns = 21
	}
	if rounds > 0 {
		c.rounds = rounds
	}
	for i := range c.objects {
		c.objects[i].Path = filepath.Join(c.out, "objs", c.objects[i].Name+".bpf.o")
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}

	start := time.Now()
	rep := &report{cfg: c, started: start}
	step := func(name string, f func() error) error {
		t := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s ...\n", name)
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %.1fs\n", name, time.Since(t).Seconds())
		return nil
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"environment", func() error { rep.env = environment(c); return nil }},
		{"objects", func() error { return buildObjects(c) }},
		{"tools", func() error { return buildTools(c, rep) }},
		{"harnesses", func() error { return buildHarnesses(c, rep) }},
		{"load time", func() error { return measureLoads(c, rep) }},
		{"generation time", func() error { return measureGeneration(c, rep) }},
		{"loader size", func() error { return measureLoaderSizes(c, rep) }},
		{"binary size", func() error { return measureBinarySizes(c, rep) }},
		{"whole process", func() error { return measureWholeProcess(c, rep) }},
	}
	for _, s := range steps {
		if err := step(s.name, s.f); err != nil {
			return err
		}
	}
	rep.elapsed = time.Since(start)
	return rep.write()
}

// repoRoot finds the module root from the working directory upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "bench", "gen_large.sh")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run from inside the bpfgen repository (no go.mod with bench/gen_large.sh above %s)", dir)
		}
		dir = parent
	}
}
