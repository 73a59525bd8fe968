package bench_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/bench"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// objects are the test objects the in-process contenders load; cilium
// says whether cilium/ebpf v0.22.0 can load it.
var objects = []struct {
	name   string
	cilium bool
}{
	{"minimal", true},
	{"core", true},
	{"ksyms", false}, // typeless ksym: "expected bpf_prog_put to be *Void"
	{"mapinmap", true},
	{"many", true},
}

func readObject(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(testutil.Object(name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestContenders runs each in-process contender once on each object and
// checks what it reports: the harness's figures are only as good as these.
func TestContenders(t *testing.T) {
	testutil.RequireLoaders(t)
	floor, err := bench.NewFloor()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		t.Run(o.name, func(t *testing.T) {
			behave.Require(t, o.name)
			raw := readObject(t, o.name)
			if err := bench.Direct(o.name, raw); err != nil {
				t.Fatalf("direct: %v", err)
			}
			obj, err := object.OpenBytes(o.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			// The floor times every kernel call: at least one per map and
			// program to create it and one to close it.
			var timed bench.Timed
			timed.D = &load.Direct{}
			res, err := load.Load(obj, &timed, nil)
			if err != nil {
				t.Fatalf("timed load: %v", err)
			}
			for _, h := range res.Handles() {
				timed.Close(h)
			}
			if min := 2 * (len(obj.Maps) + len(res.Programs)); timed.Calls < min || timed.Total <= 0 {
				t.Errorf("timed backend: %d calls, %v; want at least %d calls and a positive time", timed.Calls, timed.Total, min)
			}
			obj, err = object.OpenBytes(o.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			if d, err := floor.Once(obj); err != nil || d <= 0 {
				t.Errorf("floor: %v, %v", d, err)
			}

			l, err := gen.Generate(obj, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bench.Loader(&l.Loader, nil); err != nil {
				t.Errorf("loader: %v", err)
			}
			checkLoaderSetup(t, "loader", l)

			// The table loader's setup: its blob of elements, its BTF.
			obj, err = object.OpenBytes(o.name, raw)
			if err != nil {
				t.Fatal(err)
			}
			tl, err := gen.GenerateWith(obj, nil, gen.Options{Table: true})
			switch {
			case err != nil && !strings.Contains(err.Error(), "table loaders do not support struct_ops"):
				t.Errorf("table loader: %v", err)
			case err == nil:
				checkLoaderSetup(t, "table loader", tl)
			}

			err = bench.Cilium(raw)
			// cilium/ebpf memory-maps global-data maps and unmaps them
			// only when the mapping is garbage collected: until then the
			// kernel keeps the map (and its BTF) alive.
			runtime.GC()
			runtime.GC()
			if o.cilium && err != nil {
				t.Errorf("cilium: %v", err)
			}
			if !o.cilium && err == nil {
				t.Errorf("cilium/ebpf now loads %s: mark it supported (and update bench/REPORT.md)", o.name)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	calls := 0
	s, err := bench.Measure(3, func() (time.Duration, error) {
		calls++
		return time.Duration(calls) * time.Millisecond, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstNS != 1e6 || len(s.NS) != 3 || s.NS[2] != 4e6 {
		t.Errorf("Measure = %+v; want first 1ms then 2, 3, 4 ms", s)
	}
	if s.MaxRSSKB <= 0 {
		t.Errorf("peak RSS %d KiB; want > 0", s.MaxRSSKB)
	}
	boom := errors.New("boom")
	if _, err := bench.Measure(2, func() (time.Duration, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("Measure with a failing load: %v; want boom", err)
	}
}

// checkLoaderSetup checks the overhead and verification figures of l.
func checkLoaderSetup(t *testing.T, what string, l *gen.Loader) {
	t.Helper()
	if d, err := bench.LoaderOverhead(&l.Loader); err != nil || d <= 0 {
		t.Errorf("%s overhead: %v, %v", what, d, err)
	}
	d, v, err := bench.LoaderVerification(&l.Loader)
	if err != nil || d <= 0 {
		t.Errorf("%s verification: %v, %v", what, d, err)
	}
	// verified_insns is in bpf_prog_info since Linux 5.16 (0 before).
	t.Logf("%s verification: %v, %d verified insns", what, d, v)
}

// TestQuickRound runs `bench/run.sh --quick`'s harness (without the
// package installs): it checks that every part of the benchmark builds
// and that one round produces figures for every contender that supports
// the quick objects.
func TestQuickRound(t *testing.T) {
	testutil.RequireLoaders(t)
	for _, tool := range []string{"bpftool", "gcc", "clang-19", "llvm-strip-19"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (make deps installs it): %v", tool, err)
		}
	}
	root := testutil.Root()
	goBin := testutil.GoTool()
	cmd := exec.Command(goBin, "run", "./bench/cmd/bench", "--quick")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(goBin)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick round: %v\n%s", err, out)
	}
	outDir := filepath.Join(root, "bench", "out", "quick")
	raw, err := os.ReadFile(filepath.Join(outDir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Quick bool `json:"quick"`
		Load  map[string]map[string]struct {
			MedianMS float64 `json:"median_ms"`
			Loads    int     `json:"loads"`
			Error    string  `json:"error"`
		} `json:"load"`
		Generate map[string]map[string]struct {
			MedianMS float64 `json:"median_ms"`
			Error    string  `json:"error"`
		} `json:"generate"`
		BinaryBytes map[string]int64 `json:"binary_bytes"`
		PeakRSSKB   map[string]int64 `json:"peak_rss_kb"`
		Whole       map[string]struct {
			MedianMS float64 `json:"median_ms"`
			Runs     int     `json:"runs"`
			Error    string  `json:"error"`
		} `json:"whole_process"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Quick {
		t.Error("results.json does not say quick")
	}
	for _, obj := range []string{"minimal", "core"} {
		for _, k := range []string{"floor", "skel", "skel-table", "direct", "libbpf-lskel", "libbpf-skel", "cilium", "overhead", "verify", "verify-table"} {
			f := res.Load[obj][k]
			if f.Error != "" || f.MedianMS <= 0 || f.Loads == 0 {
				t.Errorf("load %s with %s: %+v; want a positive median", obj, k, f)
			}
		}
		for _, k := range []string{"bpfgen-loader", "bpfgen-skeleton", "bpftool-L"} {
			if f := res.Generate[obj][k]; f.Error != "" || f.MedianMS <= 0 {
				t.Errorf("generate %s with %s: %+v", obj, k, f)
			}
		}
	}
	for _, k := range []string{"hello", "skel", "direct", "cilium"} {
		if res.BinaryBytes[k] <= 0 {
			t.Errorf("binary size of %s missing", k)
		}
	}
	for _, k := range []string{"skel", "direct", "cilium", "libbpf-lskel", "libbpf-skel"} {
		if res.PeakRSSKB[k] <= 0 {
			t.Errorf("peak RSS of %s missing", k)
		}
	}
	for _, k := range []string{"hello", "skel", "direct", "cilium", "libbpf-lskel", "libbpf-skel"} {
		if w := res.Whole[k]; w.Error != "" || w.MedianMS <= 0 || w.Runs == 0 {
			t.Errorf("whole process of %s: %+v", k, w)
		}
	}
	report, err := os.ReadFile(filepath.Join(outDir, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Load time", "## Generation time", "## Size", "## Whole process", "## Where bpfgen is behind"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPORT.md has no %q", want)
		}
	}
}

// BenchmarkLoad times the in-process contenders on each test object:
// Direct (object.OpenBytes + load.Load), Loader (lskel.Run of the
// generated loader, what a light skeleton does), Cilium (cilium/ebpf from
// the ELF bytes) and Floor (a direct load whose system-call time is
// reported as kernel-ns/op).
func BenchmarkLoad(b *testing.B) {
	testutil.RequireLoaders(b)
	for _, o := range objects {
		raw := readObject(b, o.name)
		obj, err := object.OpenBytes(o.name, raw)
		if err != nil {
			b.Fatal(err)
		}
		l, err := gen.Generate(obj, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(o.name+"/Direct", func(b *testing.B) {
			for b.Loop() {
				if err := bench.Direct(o.name, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(o.name+"/Loader", func(b *testing.B) {
			for b.Loop() {
				if err := bench.Loader(&l.Loader, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		if o.cilium {
			b.Run(o.name+"/Cilium", func(b *testing.B) {
				for b.Loop() {
					if err := bench.Cilium(raw); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC() // see TestContenders
				runtime.GC()
			})
		}
		b.Run(o.name+"/Floor", func(b *testing.B) {
			floor, err := bench.NewFloor()
			if err != nil {
				b.Fatal(err)
			}
			var kernel time.Duration
			for b.Loop() {
				obj, err := object.OpenBytes(o.name, raw)
				if err != nil {
					b.Fatal(err)
				}
				d, err := floor.Once(obj)
				if err != nil {
					b.Fatal(err)
				}
				kernel += d
			}
			b.ReportMetric(float64(kernel.Nanoseconds())/float64(b.N), "kernel-ns/op")
		})
	}
}
