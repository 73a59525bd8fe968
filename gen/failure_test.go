package gen_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// generateLoaderIn opens testdata/<name>.bpf.o and generates its loader
// as opts says.
func generateLoaderIn(t *testing.T, name string, opts gen.Options) *gen.Loader {
	t.Helper()
	obj, err := object.Open(testutil.Object(name))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return generateIn(t, obj, opts)
}

// forEachMode runs f as a subtest per loader kind.
func forEachMode(t *testing.T, f func(t *testing.T, opts gen.Options)) {
	for _, mode := range loaderModes {
		t.Run(mode.name, func(t *testing.T) { f(t, mode.opts) })
	}
}

// leakWaitTimeout is how long a leak check waits for the kernel to free what a
// failed run released. Programs are freed after an RCU grace period (for
// sleepable ones, an RCU tasks trace one) and only then drop their maps;
// objects of other test processes running at the same time linger the same
// way, so the wait is longer than leakcheck.Timeout. A real leak never
// goes away, so this only slows down a failing test.
const leakWaitTimeout = 10 * time.Second

// leakSettle is how long a leak check lets the kernel finish tearing down
// before leakcheck looks. leakcheck names every new object by opening it
// by id (BPF_MAP_GET_FD_BY_ID), which takes a user reference. On Linux 6.18
// a prog-array map whose last user reference is dropped queues a work item
// that clears it and holds a reference until it runs; if a GET_FD_BY_ID +
// close comes in before that work has run, the second release finds the
// work already queued, and the reference taken for it is never dropped:
// the map stays in the kernel for good, with no holder (reproduced here by
// closing a prog array while another thread opens it by id). Looking only
// after the work has run avoids creating the leak the check is looking for.
const leakSettle = 200 * time.Millisecond

// noLeaksSince fails the test when an fd or a kernel object created since
// before is still there.
func noLeaksSince(t *testing.T, before *leakcheck.Snapshot, when string) {
	t.Helper()
	time.Sleep(leakSettle)
	if err := before.Wait(leakWaitTimeout); err != nil {
		t.Errorf("%s: %v", when, err)
	}
}

// runExpectingFailure runs l, which must fail, and checks that the run
// left no fd and no kernel object behind.
func runExpectingFailure(t *testing.T, l *gen.Loader, opts *lskel.RunOptions) *lskel.LoadError {
	t.Helper()
	before := leakcheck.Take(true)
	res, err := lskel.Run(&l.Loader, opts)
	if err == nil {
		res.Close()
		t.Fatalf("loader of %s ran successfully, want a failure", l.Name)
	}
	if res != nil {
		t.Errorf("failed run returned a result: %+v", res)
	}
	noLeaksSince(t, before, "after the failed run")
	var le *lskel.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T is not a *lskel.LoadError: %v", err, err)
	}
	if le.Object != l.Name {
		t.Errorf("error names object %q, want %q", le.Object, l.Name)
	}
	if !slices.Contains(l.Steps, le.Step) {
		t.Errorf("error names step %q, which is not one of the loader's %q", le.Step, l.Steps)
	}
	return le
}

// TestLoaderFailures runs the loaders of the objects that are meant to fail
// (testdata/README.md): the error names the failing step and carries the
// errno and, for a verifier rejection, the log; nothing is left behind.
func TestLoaderFailures(t *testing.T) {
	testutil.RequireLoaders(t)
	tests := []struct {
		object string
		step   string
		errno  unix.Errno
		log    string // in the verifier log and the message
		// unless is what the running kernel would need for the load to
		// work: there the object loads, and TestBehaviour runs it.
		unless *behave.Feature
	}{
		{object: "verifier_reject", step: "load program out_of_bounds", errno: unix.EACCES,
			log: "invalid access to map value, value_size=8 off=16 size=8"},
		{object: "bad_map", step: "create map no_entries", errno: unix.EINVAL},
		// Strong externs that are missing fail at their lookup, with what
		// the kernel helpers return for a missing name:
		// bpf_kallsyms_lookup_name and bpf_btf_find_by_name_kind both give
		// -ENOENT.
		{object: "missing_ksym", step: "find address of ksym bpfgen_missing_symbol for read_missing", errno: unix.ENOENT},
		{object: "missing_kfunc", step: "find BTF id of kfunc bpfgen_missing_kfunc for call_missing", errno: unix.ENOENT},
		// this_kernel.md: ENOENT for typed ksyms of data variables; the
		// BTF id is found, BPF_PROG_LOAD refuses it.
		{object: "ksym_data", step: "load program read_data_ksym", errno: unix.ENOENT, unless: &behave.DataKsyms,
			log: "ldimm64 failed to find the address for kernel symbol 'bpf_prog_active'"},
		// this_kernel.md: no trampolines, EPERM. The attach target is
		// found first.
		{object: "trampoline", step: "load program fentry_prog", errno: unix.EPERM, unless: &behave.Trampolines},
	}
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		for _, tt := range tests {
			if tt.unless != nil && tt.unless.Have() {
				continue
			}
			t.Run(tt.object, func(t *testing.T) {
				l := generateLoaderIn(t, tt.object, opts)
				le := runExpectingFailure(t, l, runOptsFor(l, lskel.RunOptions{}))
				t.Logf("error: %v", le)
				if le.Step != tt.step {
					t.Errorf("failed at step %q, want %q", le.Step, tt.step)
				}
				if !errors.Is(le, tt.errno) {
					t.Errorf("error %v, want %s", le.Err, unix.ErrnoName(tt.errno))
				}
				if !strings.Contains(le.Error(), tt.step) {
					t.Errorf("message does not name the step: %v", le)
				}
				if tt.log != "" {
					if log := verifierLog(le); !strings.Contains(log, tt.log) {
						t.Errorf("log does not contain %q:\n%s", tt.log, log)
					}
					if !strings.Contains(le.Error(), tt.log) {
						t.Errorf("message does not contain %q:\n%v", tt.log, le)
					}
				}
			})
		}
	})
}

// TestLoaderErrorLogBelongsToTheStep checks that the verifier log of a LoadError is the log of
// the failing step, not what an earlier step left in the shared buffer.
// The loader passes the same log buffer to BPF_BTF_LOAD and to every
// BPF_PROG_LOAD; with log level 1 a successful BTF load writes its whole
// type dump there, so a map that fails to be created, a missing ksym or a
// program refused with no log of its own must not be reported with that
// dump as its "verifier log" (this_kernel.md: the trampoline EPERM comes
// with an empty log).
func TestLoaderErrorLogBelongsToTheStep(t *testing.T) {
	testutil.RequireLoaders(t)
	names := []string{"bad_map", "missing_ksym", "missing_kfunc"}
	if !behave.Trampolines.Have() {
		names = append(names, "trampoline")
	}
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				l := generateLoaderIn(t, name, opts)
				le := runExpectingFailure(t, l, runOptsFor(l, lskel.RunOptions{}))
				if log := verifierLog(le); strings.Contains(log, "magic: 0xeb9f") {
					t.Errorf("step %q failed but its log is the BTF load's dump:\n%.300s...", le.Step, log)
				}
			})
		}
	})
}

// TestLoaderImpossibleMaxEntries asks, through the context, for a hash map
// the kernel cannot create: the map's create step fails with the kernel's
// errno and nothing is left behind, including the maps and BTF created
// before it.
func TestLoaderImpossibleMaxEntries(t *testing.T) {
	testutil.RequireLoaders(t)
	tests := []struct {
		object, mapName string
		maxEntries      uint32
		errno           unix.Errno
	}{
		// minimal's counts is the object's first map (BTF only before it).
		{"minimal", "counts", 0xffffffff, unix.E2BIG},
		// maps' lru comes after six maps that must be closed again.
		{"maps", "lru", 0xffffffff, unix.E2BIG},
		// An array of 2^32-1 u64 values passes the size checks (the
		// area fits in 64 bits) and fails to be allocated.
		{"maps", "array", 0xffffffff, unix.ENOMEM},
	}
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		for _, tt := range tests {
			t.Run(tt.object+"/"+tt.mapName, func(t *testing.T) {
				l := generateLoaderIn(t, tt.object, opts)
				le := runExpectingFailure(t, l, runOptsFor(l, lskel.RunOptions{MaxEntries: map[string]uint32{tt.mapName: tt.maxEntries}}))
				t.Logf("error: %v", le)
				if want := "create map " + tt.mapName; le.Step != want {
					t.Errorf("failed at step %q, want %q", le.Step, want)
				}
				if !errors.Is(le, tt.errno) {
					t.Errorf("error %v, want %s", le.Err, unix.ErrnoName(tt.errno))
				}
			})
		}
	})
}

// verifierLog is the kernel's log carried by err, empty when it has none.
func verifierLog(err error) string {
	var ve *kernel.VerifierError
	if errors.As(err, &ve) {
		return ve.Log
	}
	return ""
}

// fdsOf lists the fds of a loader run's maps and programs, in the loader's
// order (-1 for a program not loaded), for the checks that compare by fd.
// The result keeps owning them.
func fdsOf(res *lskel.Result) (maps, progs []int) {
	for i := range res.NumMaps() {
		maps = append(maps, res.Map(i).FD())
	}
	for j := range res.NumPrograms() {
		progs = append(progs, res.Program(j).FD())
	}
	return maps, progs
}
