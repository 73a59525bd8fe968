package load_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// openTestdata opens testdata/<name>.bpf.o.
func openTestdata(t *testing.T, name string) *object.Object {
	t.Helper()
	obj, err := object.Open(testutil.Object(name))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return obj
}

// leakWaitTimeout is how long a leak check waits for the kernel to free what a
// failed load released. Programs are freed after an RCU grace period and
// only then drop their maps; objects of other test processes running at
// the same time linger the same way, so the wait is longer than
// leakcheck.Timeout. A real leak never goes away, so this only slows down
// a failing test.
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
func noLeaksSince(t *testing.T, before *leakcheck.Snapshot) {
	t.Helper()
	time.Sleep(leakSettle)
	if err := before.Wait(leakWaitTimeout); err != nil {
		t.Errorf("after the failed load: %v", err)
	}
}

// TestLoadFailures loads the objects that are meant to fail (see
// testdata/README.md) directly and checks the error — step, name, errno,
// message — and that the failed load left nothing behind.
func TestLoadFailures(t *testing.T) {
	testutil.RequireKernel(t)
	tests := []struct {
		object   string
		step     string // LoadError.Step, without the name
		name     string // the map or program in LoadError.Step
		errno    unix.Errno
		notIn    bool     // wraps load.ErrNotInKernel (resolved before the kernel is asked)
		verifier bool     // a *kernel.VerifierError
		contains []string // in the error message
		log      string   // in VerifierError.Log
		emptyLog bool     // VerifierError.Log must be empty
		// unless is what the running kernel would need for the load to
		// work: there the object loads, and TestBehaviour runs it. needs
		// is what the failure needs to be this one.
		unless *behave.Feature
		needs  []behave.Feature
	}{
		{
			object: "verifier_reject", step: "load program", name: "out_of_bounds",
			errno: unix.EACCES, verifier: true, needs: []behave.Feature{behave.SyscallProgs},
			contains: []string{"out_of_bounds", "invalid access to map value, value_size=8 off=16 size=8"},
			log:      "invalid access to map value, value_size=8 off=16 size=8",
		},
		{
			object: "bad_map", step: "create map", name: "no_entries",
			errno: unix.EINVAL, contains: []string{"no_entries", "BPF_MAP_CREATE"},
		},
		{
			object: "missing_ksym", step: "load program", name: "read_missing",
			notIn: true, contains: []string{"bpfgen_missing_symbol"},
		},
		{
			object: "missing_kfunc", step: "load program", name: "call_missing",
			notIn: true, contains: []string{"kfunc bpfgen_missing_kfunc"},
		},
		{
			// this_kernel.md: typed ksyms of data variables get ENOENT
			// (CONFIG_KALLSYMS_ALL is off). testdata/README.md says the log
			// is empty; on 6.18.44 the kernel does explain itself in one
			// line, which is better, and asserted here.
			object: "ksym_data", step: "load program", name: "read_data_ksym",
			errno: unix.ENOENT, verifier: true, unless: &behave.DataKsyms, needs: []behave.Feature{behave.SyscallProgs},
			contains: []string{"read_data_ksym", "bpf_prog_active"},
			log:      "ldimm64 failed to find the address for kernel symbol 'bpf_prog_active'",
		},
		{
			// this_kernel.md: no trampolines here, BPF_PROG_LOAD gives EPERM
			// with an empty log. The first program of the object fails.
			object: "trampoline", step: "load program", name: "fentry_prog",
			errno: unix.EPERM, verifier: true, emptyLog: true, unless: &behave.Trampolines,
			contains: []string{"fentry_prog", "the kernel wrote no log"},
		},
	}
	for _, tt := range tests {
		if tt.unless != nil && tt.unless.Have() {
			continue
		}
		t.Run(tt.object, func(t *testing.T) {
			for _, f := range tt.needs {
				f.Require(t)
			}
			obj := openTestdata(t, tt.object)
			pins := testutil.PinDir(t)
			before := leakcheck.Take(true)
			res, err := load.Load(obj, &load.Direct{PinRoot: pins}, nil)
			if err == nil {
				closeLoaded(res.Handles())
				t.Fatalf("load %s succeeded, want a failure", tt.object)
			}
			if res != nil {
				t.Errorf("failed load returned a result: %+v", res)
			}
			noLeaksSince(t, before)
			t.Logf("error: %v", err)

			var se *kernel.LoadError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *kernel.LoadError: %v", err, err)
			}
			if want := tt.step + " " + tt.name; se.Step != want || se.Object != tt.object {
				t.Errorf("failed at %q of %q, want %q of %q", se.Step, se.Object, want, tt.object)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) {
				t.Errorf("error does not wrap %v (%s): %v", tt.errno, unix.ErrnoName(tt.errno), err)
			}
			if tt.notIn {
				if !errors.Is(err, load.ErrNotInKernel) {
					t.Errorf("error does not wrap load.ErrNotInKernel: %v", err)
				}
				// Resolution fails before anything is asked of the
				// kernel's verifier.
				var ve *kernel.VerifierError
				if errors.As(err, &ve) {
					t.Errorf("missing symbol reached the verifier: %v", err)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error message does not contain %q:\n%v", s, err)
				}
			}
			var ve *kernel.VerifierError
			if tt.verifier != errors.As(err, &ve) {
				t.Fatalf("verifier error: got %v, want %v (%T)", !tt.verifier, tt.verifier, err)
			}
			if ve != nil {
				if tt.log != "" && !strings.Contains(ve.Log, tt.log) {
					t.Errorf("verifier log does not contain %q:\n%s", tt.log, ve.Log)
				}
				if tt.emptyLog && ve.Log != "" {
					t.Errorf("verifier log is not empty:\n%s", ve.Log)
				}
			}
		})
	}
}

// pinnedMapDef returns the definition of maps.bpf.o's pinned_map, the
// object's map declared with LIBBPF_PIN_BY_NAME.
func pinnedMapDef(t *testing.T, obj *object.Object) (int, *object.Map) {
	t.Helper()
	for i, m := range obj.Maps {
		if m.Name == "pinned_map" {
			if m.Pinning != 1 {
				t.Fatalf("pinned_map has pinning %d, want 1 (by name)", m.Pinning)
			}
			return i, m
		}
	}
	t.Fatal("maps.bpf.o has no map pinned_map")
	return -1, nil
}

// pinMap creates a map shaped like m but with maxEntries and pins it at
// path; it returns the map's id. The test's fd is closed again: the pin
// keeps the map alive.
func pinMap(t *testing.T, m *object.Map, maxEntries uint32, path string) uint32 {
	t.Helper()
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{
		Type: uint32(m.Type), KeySize: m.KeySize, ValueSize: m.ValueSize,
		MaxEntries: maxEntries, Flags: m.Flags, Name: "pre_pinned",
	})
	if err != nil {
		t.Fatalf("create a map to pin: %v", err)
	}
	defer unix.Close(fd)
	if err := kernel.ObjPin(fd, path); err != nil {
		t.Fatalf("pin at %s: %v", path, err)
	}
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

// pinnedID returns the id of the map pinned at path.
func pinnedID(t *testing.T, path string) uint32 {
	t.Helper()
	fd, err := kernel.ObjGet(path, 0)
	if err != nil {
		t.Fatalf("the pin %s is gone: %v", path, err)
	}
	defer unix.Close(fd)
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

// TestLoadBadPinRoot loads maps.bpf.o, which pins pinned_map by name, with
// pin roots it cannot use: the error names the path, and the maps created
// before it are gone.
func TestLoadBadPinRoot(t *testing.T) {
	testutil.RequireKernel(t)
	notBPFFS := t.TempDir() // not on bpffs: BPF_OBJ_PIN refuses it
	var st unix.Statfs_t
	if err := unix.Statfs(notBPFFS, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.BPF_FS_MAGIC {
		t.Fatalf("%s is on bpffs", notBPFFS)
	}
	// A regular file where the pinned map should be: BPF_OBJ_GET
	// refuses it, and the load must not replace it.
	occupied := t.TempDir()
	if err := os.WriteFile(filepath.Join(occupied, "pinned_map"), []byte("not a map"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		root  string
		errno unix.Errno
	}{
		{"missing directory", filepath.Join(testutil.PinDir(t), "does", "not", "exist"), unix.ENOENT},
		{"not bpffs", notBPFFS, unix.EPERM},
		{"regular file in the way", occupied, unix.EACCES},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := openTestdata(t, "maps")
			before := leakcheck.Take(true)
			res, err := load.Load(obj, &load.Direct{PinRoot: tt.root}, nil)
			if err == nil {
				closeLoaded(res.Handles())
				t.Fatalf("load with pin root %s succeeded", tt.root)
			}
			noLeaksSince(t, before)
			t.Logf("error: %v", err)
			path := filepath.Join(tt.root, "pinned_map")
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the pin path %s: %v", path, err)
			}
			var se *kernel.LoadError
			if !errors.As(err, &se) || se.Step != "create map pinned_map" {
				t.Errorf("error is not step \"create map\" of pinned_map: %#v", err)
			}
			if !errors.Is(err, tt.errno) {
				t.Errorf("error does not wrap %s: %v", unix.ErrnoName(tt.errno), err)
			}
		})
	}
	// The file that was in the way is untouched.
	if b, err := os.ReadFile(filepath.Join(occupied, "pinned_map")); err != nil || string(b) != "not a map" {
		t.Errorf("the file in the way was changed: %q, %v", b, err)
	}
}

// TestLoadPinnedMapReuse pins a map under pinned_map's name before the
// load: an incompatible one (other max_entries) is refused with an error
// naming the path and stays pinned; a compatible one is reused.
func TestLoadPinnedMapReuse(t *testing.T) {
	testutil.RequireKernel(t)
	behave.Require(t, "maps")

	t.Run("incompatible", func(t *testing.T) {
		obj := openTestdata(t, "maps")
		_, m := pinnedMapDef(t, obj)
		dir := testutil.PinDir(t)
		path := filepath.Join(dir, "pinned_map")
		id := pinMap(t, m, m.MaxEntries+1, path)

		before := leakcheck.Take(true)
		res, err := load.Load(obj, &load.Direct{PinRoot: dir}, nil)
		if err == nil {
			closeLoaded(res.Handles())
			t.Fatal("load reused an incompatible pinned map")
		}
		noLeaksSince(t, before)
		t.Logf("error: %v", err)
		for _, s := range []string{"incompatible", path, "max_entries"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error does not contain %q: %v", s, err)
			}
		}
		var se *kernel.LoadError
		if !errors.As(err, &se) || se.Step != "create map pinned_map" {
			t.Errorf("error is not step \"create map\" of pinned_map: %#v", err)
		}
		// The failed load must not unpin a map it did not pin.
		if got := pinnedID(t, path); got != id {
			t.Errorf("pinned map id %d after the failed load, want %d", got, id)
		}
	})

	t.Run("pin undone on failure", func(t *testing.T) {
		// The load creates and pins pinned_map, then fails on a later map
		// (.bss with max_entries 0): the pin it made must go with the map.
		obj := openTestdata(t, "maps")
		i, _ := pinnedMapDef(t, obj)
		if i+1 >= len(obj.Maps) {
			t.Fatal("pinned_map is the last map of maps.bpf.o")
		}
		later := obj.Maps[len(obj.Maps)-1].Name
		dir := testutil.PinDir(t)
		before := leakcheck.Take(true)
		res, err := load.Load(obj, &load.Direct{PinRoot: dir}, &load.Options{MaxEntries: map[string]uint32{later: 0}})
		if err == nil {
			closeLoaded(res.Handles())
			t.Fatalf("load with max_entries 0 for %s succeeded", later)
		}
		noLeaksSince(t, before)
		var se *kernel.LoadError
		if !errors.As(err, &se) || se.Step != "create map "+later || !errors.Is(err, unix.EINVAL) {
			t.Errorf("error is not EINVAL at step \"create map\" of %s: %v", later, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "pinned_map")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the failed load left its pin %s behind (stat: %v)", filepath.Join(dir, "pinned_map"), err)
		}
	})

	t.Run("compatible", func(t *testing.T) {
		obj := openTestdata(t, "maps")
		i, m := pinnedMapDef(t, obj)
		dir := testutil.PinDir(t)
		path := filepath.Join(dir, "pinned_map")
		id := pinMap(t, m, m.MaxEntries, path)

		before := leakcheck.Take(true)
		res, err := load.Load(obj, &load.Direct{PinRoot: dir}, nil)
		if err != nil {
			t.Fatalf("load with a compatible pinned map: %v", err)
		}
		info, err := kernel.GetMapInfo(int(res.Maps[i]))
		if err != nil {
			t.Fatal(err)
		}
		if info.ID != id {
			t.Errorf("pinned_map has id %d, want the pinned map's %d", info.ID, id)
		}
		closeLoaded(res.Handles())
		noLeaksSince(t, before)
		if got := pinnedID(t, path); got != id {
			t.Errorf("pinned map id %d after the load, want %d", got, id)
		}
	})
}

func closeLoaded(hs []load.Handle) {
	for _, h := range hs {
		unix.Close(int(h))
	}
}
