package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report collects every figure of the run and writes them.
type report struct {
	cfg          *config
	started      time.Time
	elapsed      time.Duration
	env          *env
	skelTool     string
	skelToolName string
	notes        []string

	loads     map[string]map[string]*loadResult
	gen       map[string]map[string]*genResult
	sizes     map[string]*loaderSize
	bins      []binSize
	libbpfSO  int64
	mem       []memResult
	chartNote string
}

func (rep *report) write() error {
	if err := rep.chartFiles(); err != nil {
		rep.chartNote = "The chart could not be drawn: " + err.Error()
	}
	var b strings.Builder
	rep.markdown(&b)
	if err := os.WriteFile(rep.cfg.report, []byte(b.String()), 0o644); err != nil {
		return err
	}
	if err := rep.writeResults(); err != nil {
		return err
	}
	rep.printTable(os.Stdout)
	fmt.Fprintf(os.Stdout, "\nreport: %s\n", rep.cfg.report)
	return nil
}

// cell is a load-time table cell: the median and its ratio to the floor.
func (rep *report) cell(obj, key string, first bool) string {
	r := rep.result(obj, key)
	if !r.ok() {
		return "not supported"
	}
	v := r.median()
	if first {
		v = r.firstMedian()
	}
	f := rep.result(obj, "floor")
	if key == "floor" || !f.ok() {
		return fmtMS(v)
	}
	fv := f.median()
	if first {
		fv = f.firstMedian()
	}
	return fmt.Sprintf("%s (%.1f×)", fmtMS(v), v/fv)
}

func fmtMS(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// loadKeys are the load-time table's columns.
var loadKeys = []string{"floor", "skel", "skel-table", "direct", "libbpf-lskel", "libbpf-skel", "cilium"}

func label(key string) string {
	for _, c := range contenders {
		if c.key == key {
			return c.label
		}
	}
	return key
}

func (rep *report) printTable(w io.Writer) {
	fmt.Fprintf(w, "\nload + close, median ms (ratio to the kernel floor); %d round(s)\n", rep.cfg.rounds)
	fmt.Fprintf(w, "%-10s", "object")
	for _, k := range loadKeys {
		fmt.Fprintf(w, " | %-18s", k)
	}
	fmt.Fprintln(w)
	for _, o := range rep.cfg.objects {
		fmt.Fprintf(w, "%-10s", o.Name)
		for _, k := range loadKeys {
			fmt.Fprintf(w, " | %-18s", rep.cell(o.Name, k, false))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\ngeneration, whole process, median ms\n%-10s", "object")
	for _, t := range genTools {
		fmt.Fprintf(w, " | %-24s", t.label)
	}
	fmt.Fprintln(w)
	for _, o := range genObjects(rep.cfg) {
		fmt.Fprintf(w, "%-10s", o.Name)
		for _, t := range genTools {
			fmt.Fprintf(w, " | %-24s", genCell(rep.gen[o.Name][t.key]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nstripped binary size (loads minimal)")
	for _, b := range rep.bins {
		fmt.Fprintf(w, "  %-55s %s\n", b.label, sizeCell(b))
	}
	fmt.Fprintln(w, "\npeak RSS loading core")
	for _, m := range rep.mem {
		fmt.Fprintf(w, "  %-45s %s\n", m.label, memCell(m))
	}
}

func sizeCell(b binSize) string {
	if b.err != "" {
		return "failed: " + b.err
	}
	return fmt.Sprintf("%s (%d bytes)", fmtBytes(b.bytes), b.bytes)
}

func memCell(m memResult) string {
	if m.err != "" {
		return "failed: " + m.err
	}
	return fmt.Sprintf("%.1f MiB", float64(m.kb)/1024)
}

func (rep *report) markdown(w *strings.Builder) {
	c, e := rep.cfg, rep.env
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# bpfgen benchmarks\n\n")
	mode := "full run"
	if c.quick {
		mode = "quick run (`--quick`: smoke test, not for comparison)"
	}
	p("Written by `make bench` (`bench/run.sh`, %s) on %s; the run took %.1f minutes. "+
		"Every figure below comes from this one run on this one machine, the contenders alternating. "+
		"Run `make bench` to reproduce it; `bench/out/` keeps everything it built.\n\n", mode, e.Date, rep.elapsed.Minutes())

	p("## Machine and tools\n\n| | |\n|---|---|\n")
	p("| CPU | %s, %d CPUs (`nproc`) |\n| kernel | %s |\n| Go | %s |\n| clang | %s |\n| bpftool | %s |\n| libbpf | %s |\n| cilium/ebpf | %s |\n| gcc | %s |\n\n",
		e.CPU, e.CPUs, e.Kernel, e.Go, e.Clang, e.Bpftool, e.Libbpf, e.Cilium, e.GCC)

	p("## Objects\n\n| object | maps | programs | what |\n|---|---|---|---|\n")
	for _, o := range genObjects(c) {
		s := rep.sizes[o.Name]
		if s == nil {
			continue
		}
		p("| `%s` | %d | %d | %s |\n", o.Name, s.maps, s.progs, objectDoc(o.Name))
	}
	p("\nThe `large_N` objects come from `bench/gen_large.sh N` (N programs, N/5 array maps, a `.bss` array, 8 global sub-programs; " +
		"even programs are `SEC(\"syscall\")`, odd ones tracepoints), built with testdata's flags (`clang-19 -g -O2 -target bpf -mcpu=v3`, `llvm-strip-19 -g`).\n\n")

	rep.loadSection(p)
	rep.genSection(p)
	rep.sizeSection(p)
	rep.memSection(p)
	rep.gapSection(p)

	if len(rep.notes) > 0 {
		p("## Notes\n\n")
		for _, n := range rep.notes {
			p("- %s\n", n)
		}
		p("\n")
	}
}

func objectDoc(name string) string {
	switch name {
	case "minimal":
		return "the bundled example: one tracepoint program, `.bss`, `.rodata`, a hash map"
	case "core":
		return "CO-RE reads through `task_struct` (field/type/enum relocations)"
	case "ksyms":
		return "kfuncs and a typeless ksym (resolved on the target kernel)"
	case "mapinmap":
		return "array- and hash-of-maps with initialised slots, a program array"
	case "many":
		return "100 programs, 80 maps (beyond libbpf's light-skeleton limits)"
	}
	if strings.HasPrefix(name, "large_") {
		return "generated large object"
	}
	return ""
}

type printer func(format string, a ...any)

func (rep *report) loadSection(p printer) {
	c := rep.cfg
	p("## Load time\n\n")
	p("Load and close, in process. Each contender runs in a fresh process per round that loads the object once (the *first* load, cold) "+
		"and then %s more times (steady state); %d rounds, the contenders' order rotated every round. "+
		"Cells are medians of all steady-state loads, in parentheses the ratio to the **kernel floor**: the time a direct load spends in its "+
		"`bpf(2)` and `close(2)` calls (a `load.Backend` that times each call of the direct backend, with its kernel-BTF and kallsyms caches warm), "+
		"which no loader of the same object can beat.\n\n", itersDoc(c), c.rounds)
	p("- *bpfgen Go light skeleton*: `Load<Obj>(nil)` + `Close()` of the generated skeleton (embedded loader, `lskel.Run`);\n")
	p("- *bpfgen Go light skeleton, table loader*: the same around `bpfgen skeleton --table` (one constant loader program interprets records in the blob);\n")
	p("- *bpfgen direct load*: `object.OpenBytes` + `load.Load(obj, &load.Direct{}, nil)` + closing the fds, from the embedded ELF;\n")
	p("- *libbpf light skeleton*: `bpftool gen skeleton -L`, built with gcc, `<obj>__open_and_load` + `<obj>__destroy` (`bench/c/skel_bench.c`);\n")
	p("- *libbpf skeleton*: `bpftool gen skeleton`, linked with `-lbpf`, the same loop;\n")
	p("- *cilium/ebpf*: `LoadCollectionSpecFromReader` on the embedded ELF + `NewCollection` + `Close`, as bpf2go code does.\n\n")

	p("### Steady state (median)\n\n")
	rep.loadTable(p, false)
	p("\n![load time as a multiple of the kernel floor](load_ratios.png)\n\n")
	if rep.chartNote != "" {
		p("%s\n\n", rep.chartNote)
	}
	p("### First load in a fresh process (median over rounds)\n\n")
	p("What a program that loads once at start-up pays: it includes page-faulting the embedded object and, for cilium/ebpf and libbpf, parsing the kernel's BTF where the object needs it.\n\n")
	rep.loadTable(p, true)

	p("\n### Spread: slowest and fastest round median\n\n| object |")
	for _, k := range loadKeys {
		p(" %s |", label(k))
	}
	p("\n|---|")
	for range loadKeys {
		p("---|")
	}
	p("\n")
	for _, o := range c.objects {
		p("| `%s` |", o.Name)
		for _, k := range loadKeys {
			r := rep.result(o.Name, k)
			if !r.ok() {
				p(" – |")
				continue
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, m := range r.roundMedians {
				lo, hi = math.Min(lo, m), math.Max(hi, m)
			}
			p(" %s – %s |", trimMS(lo), trimMS(hi))
		}
		p("\n")
	}

	p("\n### Where the light skeleton's time goes\n\n")
	p("A light skeleton does what a direct load does, but from inside the kernel, plus its own setup: create, fill and freeze the blob map " +
		"and have the verifier check the loader program. *Loader overhead* times that setup alone (`bench.LoaderOverhead`); " +
		"*loader verification* the loader program's own `BPF_PROG_LOAD` within it (verifier and JIT, `bench.LoaderVerification`), " +
		"with the instructions the verifier processed (`verified_insns` of `bpf_prog_info`).\n\n")
	p("The table loader's columns are its own: its program is the same for every object (its instructions and verified instructions do not change), the blob is what grows.\n\n")
	p("| object | skeleton | floor | skeleton − floor | loader overhead | loader verification | loader insns | verified insns | table loader verification | table verified insns |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range c.objects {
		s, f, ov := rep.result(o.Name, "skel"), rep.result(o.Name, "floor"), rep.result(o.Name, "overhead")
		if !s.ok() || !f.ok() || !ov.ok() {
			continue
		}
		insns := 0
		if ls := rep.sizes[o.Name]; ls != nil {
			insns = ls.insns
		}
		ver, verified := "–", "–"
		if v := rep.result(o.Name, "verify"); v.ok() {
			ver = fmtMS(v.median())
			if v.verified > 0 {
				verified = strconv.Itoa(int(v.verified))
			}
		}
		tver, tverified := "–", "–"
		if v := rep.result(o.Name, "verify-table"); v.ok() {
			tver = fmtMS(v.median())
			if v.verified > 0 {
				tverified = strconv.Itoa(int(v.verified))
			}
		}
		p("| `%s` | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", o.Name, fmtMS(s.median()), fmtMS(f.median()), fmtMS(s.median()-f.median()), fmtMS(ov.median()), ver, insns, verified, tver, tverified)
	}
	p("\n")
	// How the loader's own verification grows from the smallest object to
	// the largest (issue 13 wants it flat).
	for _, v := range []struct{ key, what string }{{"verify", "The loader's"}, {"verify-table", "The table loader's"}} {
		var lo, hi string
		for _, o := range c.objects {
			if rep.result(o.Name, v.key).ok() {
				if lo == "" {
					lo = o.Name
				}
				hi = o.Name
			}
		}
		if lo != "" && hi != lo {
			l, h := rep.result(lo, v.key).median(), rep.result(hi, v.key).median()
			p("%s verification grows %.1f× from `%s` (%s) to `%s` (%s).\n\n", v.what, h/l, lo, fmtMS(l), hi, fmtMS(h))
		}
	}
	var unsup []string
	for _, o := range c.objects {
		for _, k := range append(slicesClone(loadKeys), "overhead", "verify", "verify-table") {
			if r := rep.result(o.Name, k); r.err != "" {
				unsup = append(unsup, fmt.Sprintf("- `%s`, %s: %s", o.Name, label(k), strings.ReplaceAll(r.err, "|", "\\|")))
			}
		}
	}
	if len(unsup) > 0 {
		p("*Not supported* means the contender refused the object; what it said:\n\n%s\n\n", strings.Join(unsup, "\n"))
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func trimMS(v float64) string { return strings.TrimSuffix(fmtMS(v), " ms") }

func itersDoc(c *config) string {
	var parts []string
	for _, o := range c.objects {
		parts = append(parts, fmt.Sprintf("%d (`%s`)", o.Iters, o.Name))
	}
	return strings.Join(parts, ", ")
}

func (rep *report) loadTable(p printer, first bool) {
	p("| object |")
	for _, k := range loadKeys {
		p(" %s |", label(k))
	}
	p("\n|---|")
	for range loadKeys {
		p("---|")
	}
	p("\n")
	for _, o := range rep.cfg.objects {
		p("| `%s` |", o.Name)
		for _, k := range loadKeys {
			p(" %s |", rep.cell(o.Name, k, first))
		}
		p("\n")
	}
}

func (rep *report) genSection(p printer) {
	c := rep.cfg
	p("## Generation time\n\n")
	p("Whole process, median (min – max) of %d runs after one warm-up, interleaved: each round runs every generator once, in an order rotated every round. "+
		"In parentheses after the median, the ratio to `bpftool gen skeleton -L` on the same object. "+
		"`bpfgen loader` writes the loader file, `bpfgen skeleton` the Go light skeleton "+
		"(it generates the loader too), `bpftool gen skeleton -L` libbpf's light-skeleton header.\n\n", c.genRuns)
	p("| object |")
	for _, t := range genTools {
		p(" %s |", t.label)
	}
	p("\n|---|---|---|---|\n")
	for _, o := range genObjects(c) {
		p("| `%s` |", o.Name)
		for _, t := range genTools {
			r := rep.gen[o.Name][t.key]
			if r == nil || r.err != "" {
				p(" not supported |")
				continue
			}
			ratio := ""
			if b := rep.gen[o.Name]["bpftool-L"]; t.key != "bpftool-L" && b != nil && b.err == "" && b.median > 0 {
				ratio = fmt.Sprintf(", %.2f×", r.median/b.median)
			}
			p(" %s (%s – %s%s) |", fmtMS(r.median), trimMS(r.min), trimMS(r.max), ratio)
		}
		p("\n")
	}
	p("\n### Growth with the number of programs (`large_N`, N/5 maps)\n\n| programs | maps | bpfgen loader | per program | bpfgen skeleton | bpftool gen skeleton -L |\n|---|---|---|---|---|---|\n")
	for _, n := range c.growth {
		name := fmt.Sprintf("large_%d", n)
		g, s := rep.gen[name], rep.sizes[name]
		if g == nil || s == nil {
			continue
		}
		per := "–"
		if r := g["bpfgen-loader"]; r != nil && r.err == "" {
			per = fmt.Sprintf("%.2f ms", r.median/float64(n))
		}
		p("| %d | %d | %s | %s | %s | %s |\n", n, s.maps, genCell(g["bpfgen-loader"]), per, genCell(g["bpfgen-skeleton"]), genCell(g["bpftool-L"]))
	}
	var unsup []string
	for _, o := range genObjects(c) {
		if r := rep.gen[o.Name]["bpftool-L"]; r != nil && r.err != "" {
			unsup = append(unsup, fmt.Sprintf("- `%s`: %s", o.Name, r.err))
		}
	}
	if len(unsup) > 0 {
		p("\n`bpftool gen skeleton -L` refuses:\n\n%s\n", strings.Join(unsup, "\n"))
	}
	p("\n")
}

func (rep *report) sizeSection(p printer) {
	p("## Size\n\n### Binaries\n\nA minimal program that loads `minimal` once, built with `go build -trimpath -ldflags='-s -w'` (`bench/cmd/bench/tmpl/`).\n\n")
	p("| program | size | more than hello world |\n|---|---|---|\n")
	var hello int64
	for _, b := range rep.bins {
		if b.key == "hello" {
			hello = b.bytes
		}
	}
	for _, b := range rep.bins {
		if b.err != "" {
			p("| %s | failed: %s | |\n", b.label, b.err)
			continue
		}
		more := ""
		if hello > 0 && b.key != "hello" && !strings.HasPrefix(b.key, "c-") {
			more = "+" + fmtBytes(b.bytes-hello)
		}
		p("| %s | %s (%d bytes) | %s |\n", b.label, fmtBytes(b.bytes), b.bytes, more)
	}
	if rep.libbpfSO > 0 {
		p("\n(`libbpf.so.1`, which the regular C skeleton loads at run time, is %s.)\n", fmtBytes(rep.libbpfSO))
	}
	p("\n### Loader program and blob\n\nbpfgen's loader (`gen.Generate`) against libbpf's (`opts.insns_sz`, `opts.data_sz` in bpftool's `-L` header) for the same object.\n\n")
	p("| object | bpfgen insns | libbpf insns | ratio | bpfgen blob | libbpf blob | ratio |\n|---|---|---|---|---|---|---|\n")
	for _, o := range genObjects(rep.cfg) {
		s := rep.sizes[o.Name]
		if s == nil {
			continue
		}
		if s.libbpfErr != "" {
			p("| `%s` | %d | not supported | | %s | not supported | |\n", o.Name, s.insns, fmtBytes(int64(s.data)))
			continue
		}
		p("| `%s` | %d | %d | %.2f | %s | %s | %.2f |\n", o.Name, s.insns, s.libbpfInsns, float64(s.insns)/float64(s.libbpfInsns),
			fmtBytes(int64(s.data)), fmtBytes(int64(s.libbpfData)), float64(s.data)/float64(s.libbpfData))
	}
	p("\n")
}

func (rep *report) memSection(p printer) {
	p("## Whole process\n\nA process that loads `core` once and exits (`bench/cmd/bench/tmpl/single_*.go.tmpl`, the C programs with no extra loads), "+
		"against a Go hello world that loads nothing: %d rounds, each running every process once in an order rotated every round. "+
		"*Wall* is from start to exit as the parent sees it (median); *− Go hello* the median of each round's difference to the hello world of the same round (pairwise, so that a busy machine's changes between rounds cancel). "+
		"*Peak RSS* is `VmHWM` of `/proc/self/status` at exit (median); `ru_maxrss` from `wait4` would count the Go parent's pages, as Go starts children with vfork semantics.\n\n", rep.cfg.memRuns)
	p("| process | wall | − Go hello | peak RSS | − Go hello |\n|---|---|---|---|---|\n")
	var helloKB int64
	for _, m := range rep.mem {
		if m.key == "hello" && m.err == "" {
			helloKB = m.kb
		}
	}
	for _, m := range rep.mem {
		if m.err != "" {
			p("| %s | %s | | | |\n", m.label, memCell(m))
			continue
		}
		dWall, dRSS := "", ""
		if m.key != "hello" && len(m.minusHello) > 0 {
			dWall = fmtSignedMS(medianFloat(m.minusHello))
		}
		if m.key != "hello" && helloKB > 0 {
			dRSS = fmt.Sprintf("%+.2f MiB", float64(m.kb-helloKB)/1024)
		}
		p("| %s | %s | %s | %s | %s |\n", m.label, fmtMS(medianFloat(m.wall)), dWall, memCell(m), dRSS)
	}
	p("\n")
}

// fmtSignedMS is fmtMS with the sign always written.
func fmtSignedMS(v float64) string {
	if v < 0 {
		return "−" + fmtMS(-v)
	}
	return "+" + fmtMS(v)
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// gap is one place where bpfgen is behind a contender.
type gap struct {
	what  string
	ratio float64
}

// gapSection lists, from this run's figures, where bpfgen is slower or
// larger than a contender, and explains each kind of gap.
func (rep *report) gapSection(p printer) {
	c := rep.cfg
	p("## Where bpfgen is behind, by how much, and why\n\n")
	var gaps []gap
	for _, o := range c.objects {
		for _, ours := range []string{"skel", "direct"} {
			r := rep.result(o.Name, ours)
			if !r.ok() {
				continue
			}
			for _, theirs := range []string{"libbpf-lskel", "libbpf-skel", "cilium"} {
				t := rep.result(o.Name, theirs)
				if !t.ok() || r.median() <= t.median()*1.05 {
					continue
				}
				gaps = append(gaps, gap{fmt.Sprintf("`%s`: %s %s vs %s %s: **%.2f× slower** (+%s)",
					o.Name, label(ours), fmtMS(r.median()), label(theirs), fmtMS(t.median()), r.median()/t.median(), fmtMS(r.median()-t.median())), r.median() / t.median()})
			}
		}
	}
	for _, o := range genObjects(c) {
		g := rep.gen[o.Name]
		if g == nil {
			continue
		}
		b := g["bpftool-L"]
		for _, ours := range []string{"bpfgen-loader", "bpfgen-skeleton"} {
			r := g[ours]
			if r == nil || r.err != "" || b == nil || b.err != "" || r.median <= b.median*1.05 {
				continue
			}
			gaps = append(gaps, gap{fmt.Sprintf("`%s`: generation, %s %s vs bpftool -L %s: **%.2f× slower**", o.Name, ours, fmtMS(r.median), fmtMS(b.median), r.median/b.median), r.median / b.median})
		}
		if s := rep.sizes[o.Name]; s != nil && s.libbpfErr == "" {
			if s.insns > s.libbpfInsns {
				gaps = append(gaps, gap{fmt.Sprintf("`%s`: loader program %d vs %d instructions: **%.2f× larger**", o.Name, s.insns, s.libbpfInsns, float64(s.insns)/float64(s.libbpfInsns)), 0})
			}
			if s.data > s.libbpfData {
				gaps = append(gaps, gap{fmt.Sprintf("`%s`: loader blob %s vs %s: **%.2f× larger**", o.Name, fmtBytes(int64(s.data)), fmtBytes(int64(s.libbpfData)), float64(s.data)/float64(s.libbpfData)), 0})
			}
		}
	}
	var skelMem, lskelMem int64
	for _, m := range rep.mem {
		switch m.key {
		case "skel":
			skelMem = m.kb
		case "libbpf-lskel":
			lskelMem = m.kb
		}
	}
	if skelMem > 0 && lskelMem > 0 && skelMem > lskelMem {
		gaps = append(gaps, gap{fmt.Sprintf("memory: the Go light skeleton's process peaks at %.1f MiB, the C light skeleton's at %.1f MiB (**%.1f×**)", float64(skelMem)/1024, float64(lskelMem)/1024, float64(skelMem)/float64(lskelMem)), 0})
	}
	if len(gaps) == 0 {
		p("In this run bpfgen is not behind any contender by more than 5%%.\n\n")
	} else {
		p("Measured in this run (more than 5%% behind):\n\n")
		for _, g := range gaps {
			p("- %s\n", g.what)
		}
		p("\n")
	}
	p("%s\n", explanations(rep))
}

// chartFiles writes the SVG chart and converts it to the PNG.
func (rep *report) chartFiles() error {
	svg := rep.chartSVG()
	svgPath := filepath.Join(rep.cfg.out, "load_ratios.svg")
	if err := os.WriteFile(svgPath, []byte(svg), 0o644); err != nil {
		return err
	}
	if _, err := exec.LookPath("rsvg-convert"); err != nil {
		return fmt.Errorf("rsvg-convert is not installed (bench/deps.sh installs librsvg2-bin); the SVG is %s", svgPath)
	}
	_, err := runCmd(rep.cfg.root, "rsvg-convert", "-b", "white", "-o", rep.cfg.chart, svgPath)
	return err
}

var chartColors = map[string]string{
	"skel": "#1f77b4", "skel-table": "#9467bd", "direct": "#6baed6", "libbpf-lskel": "#d62728", "libbpf-skel": "#ff9896", "cilium": "#2ca02c",
}

// chartSVG draws, per object, one horizontal bar per loader: its median
// load time as a multiple of the kernel floor, on a log scale.
func (rep *report) chartSVG() string {
	const (
		left, right, top = 300.0, 140.0, 60.0
		width            = 1000.0
		barH, gapH       = 16.0, 26.0
	)
	var keys []string
	for _, c := range contenders {
		if c.chart {
			keys = append(keys, c.key)
		}
	}
	maxR := 2.0
	for _, o := range rep.cfg.objects {
		f := rep.result(o.Name, "floor")
		for _, k := range keys {
			if r := rep.result(o.Name, k); r.ok() && f.ok() {
				maxR = math.Max(maxR, r.median()/f.median())
			}
		}
	}
	ticks := []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}
	hi := 1.0
	for _, t := range ticks {
		hi = t
		if t >= maxR {
			break
		}
	}
	plotW := width - left - right
	x := func(v float64) float64 { return left + plotW*math.Log(math.Max(v, 1))/math.Log(hi) }
	groupH := float64(len(keys))*barH + gapH
	height := top + float64(len(rep.cfg.objects))*groupH + 50
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="DejaVu Sans, sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="16" font-weight="bold">Load + close time as a multiple of the kernel floor (median, log scale; lower is better)</text>`+"\n", 20.0)
	fmt.Fprintf(&b, `<text x="%.0f" y="44" fill="#555">%s, %s; %s</text>`+"\n", 20.0, xmlEscape(rep.env.CPU), xmlEscape(rep.env.Kernel), rep.env.Date)
	for _, t := range ticks {
		if t > hi {
			break
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/>`+"\n", x(t), top, x(t), height-40)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%g×</text>`+"\n", x(t), height-24, t)
	}
	y := top
	for _, o := range rep.cfg.objects {
		f := rep.result(o.Name, "floor")
		floor := "floor n/a"
		if f.ok() {
			floor = "floor " + fmtMS(f.median())
		}
		fmt.Fprintf(&b, `<text x="10" y="%.0f" font-weight="bold">%s (%s)</text>`+"\n", y+12, o.Name, floor)
		y += 18
		for _, k := range keys {
			r := rep.result(o.Name, k)
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+barH-4, xmlEscape(label(k)))
			if !r.ok() || !f.ok() {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" fill="#999">not supported</text>`+"\n", left+4, y+barH-4)
			} else {
				ratio := r.median() / f.median()
				fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", left, y+1, math.Max(x(ratio)-left, 1), barH-2, chartColors[k])
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%.1f× (%s)</text>`+"\n", x(ratio)+4, y+barH-4, ratio, fmtMS(r.median()))
			}
			y += barH
		}
		y += gapH - 18
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
