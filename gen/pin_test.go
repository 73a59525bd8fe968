package gen_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// pinnedOpts are the run options of l, a loader of pinned.bpf.o (or
// minimal.bpf.o): .rodata's filter_pid set to this process.
func pinnedOpts(l *gen.Loader) *lskel.RunOptions {
	ro := make([]byte, 4)
	binary.NativeEndian.PutUint32(ro, uint32(unix.Getpid()))
	return runOptsFor(l, lskel.RunOptions{InitialValues: map[string][]byte{".rodata": ro}})
}

// mapByName returns the map of res that l names name.
func mapByName(t *testing.T, l *gen.Loader, res *lskel.Result, name string) *lskel.Map {
	t.Helper()
	for i, m := range l.Maps {
		if m.Name == name {
			return res.Map(i)
		}
	}
	t.Fatalf("loader of %s has no map %s", l.Name, name)
	return nil
}

// progByName returns the program of res that l names name.
func progByName(t *testing.T, l *gen.Loader, res *lskel.Result, name string) *lskel.Program {
	t.Helper()
	for j, p := range l.Progs {
		if p.Name == name {
			return res.Program(j)
		}
	}
	t.Fatalf("loader of %s has no program %s", l.Name, name)
	return nil
}

func mapID(t *testing.T, fd int) uint32 {
	t.Helper()
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		t.Fatalf("map info of fd %d: %v", fd, err)
	}
	return info.ID
}

// pinnedMapID returns the id of the map pinned at path.
func pinnedMapID(t *testing.T, path string) uint32 {
	t.Helper()
	fd, err := kernel.ObjGet(path, 0)
	if err != nil {
		t.Fatalf("open pin %s: %v", path, err)
	}
	defer unix.Close(fd)
	return mapID(t, fd)
}

func lookupU64(t *testing.T, m *lskel.Map, key uint32) uint64 {
	t.Helper()
	k, v := make([]byte, 4), make([]byte, 8)
	binary.NativeEndian.PutUint32(k, key)
	if err := m.Lookup(k, v); err != nil {
		t.Fatalf("lookup %d: %v", key, err)
	}
	return binary.NativeEndian.Uint64(v)
}

func updateU64(t *testing.T, m *lskel.Map, key uint32, val uint64) {
	t.Helper()
	k, v := make([]byte, 4), make([]byte, 8)
	binary.NativeEndian.PutUint32(k, key)
	binary.NativeEndian.PutUint64(v, val)
	if err := m.Update(k, v, lskel.UpdateAny); err != nil {
		t.Fatalf("update %d: %v", key, err)
	}
}

// getpids calls getpid n times, firing the objects' tracepoint.
func getpids(n int) {
	for range n {
		unix.Getpid()
	}
}

// TestLoaderPinnedMapReused runs pinned.bpf.o's loader twice with the
// same pin root: the first run creates pin_hits and pins it, the second
// takes the pinned map; what one writes the other reads, and the program
// of one counts into the map of the other. The unpinned map is not shared.
func TestLoaderPinnedMapReused(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		l := generateLoaderIn(t, "pinned", opts)
		dir := testutil.PinDir(t)
		path := filepath.Join(dir, "pin_hits")
		share := &lskel.MapSharing{PinPath: dir}

		r1, err := share.Run(&l.Loader, pinnedOpts(l))
		if err != nil {
			t.Fatalf("first run: %v", err)
		}
		defer r1.Close()
		hits1 := mapByName(t, l, r1, "pin_hits")
		if got, want := pinnedMapID(t, path), mapID(t, hits1.FD()); got != want {
			t.Fatalf("pin %s is map %d, the run created map %d", path, got, want)
		}
		updateU64(t, hits1, 0, 41)

		r2, err := share.Run(&l.Loader, pinnedOpts(l))
		if err != nil {
			t.Fatalf("second run: %v", err)
		}
		defer r2.Close()
		hits2 := mapByName(t, l, r2, "pin_hits")
		if id1, id2 := mapID(t, hits1.FD()), mapID(t, hits2.FD()); id1 != id2 {
			t.Fatalf("second run created map %d, want the pinned map %d", id2, id1)
		}
		if got := lookupU64(t, hits2, 0); got != 41 {
			t.Errorf("pin_hits[0] read through the second run: %d, want 41 (written through the first)", got)
		}
		if c1, c2 := mapID(t, mapByName(t, l, r1, "counts").FD()), mapID(t, mapByName(t, l, r2, "counts").FD()); c1 == c2 {
			t.Errorf("unpinned map counts is shared (id %d)", c1)
		}

		link, err := progByName(t, l, r2, "count_pinned").Attach()
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		getpids(5)
		link.Close()
		if got := lookupU64(t, hits1, 0); got != 46 {
			t.Errorf("pin_hits[0] read through the first run after 5 getpid() counted by the second: %d, want 46", got)
		}
	})
}

// TestDirectAndLoaderSharePin loads pinned.bpf.o directly, then runs its
// loader, with one pin root: both backends pin at the same path and take
// each other's map.
func TestDirectAndLoaderSharePin(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		l := generateLoaderIn(t, "pinned", opts)
		obj := open(t, "pinned")
		dir := testutil.PinDir(t)
		res, err := load.Load(obj, &load.Direct{PinRoot: dir}, nil)
		if err != nil {
			t.Fatalf("direct load: %v", err)
		}
		defer func() {
			for _, h := range res.Handles() {
				unix.Close(int(h))
			}
		}()
		idx := -1
		for i, m := range obj.Maps {
			if m.Name == "pin_hits" {
				idx = i
			}
		}
		direct := int(res.Maps[idx])
		k, v := make([]byte, 4), make([]byte, 8)
		binary.NativeEndian.PutUint64(v, 7)
		if err := kernel.MapUpdateElem(direct, k, v, 0); err != nil {
			t.Fatal(err)
		}

		r, err := (&lskel.MapSharing{PinPath: dir}).Run(&l.Loader, pinnedOpts(l))
		if err != nil {
			t.Fatalf("loader run: %v", err)
		}
		defer r.Close()
		hits := mapByName(t, l, r, "pin_hits")
		if got, want := mapID(t, hits.FD()), mapID(t, direct); got != want {
			t.Fatalf("loader created map %d, want the directly loaded, pinned map %d", got, want)
		}
		if got := lookupU64(t, hits, 0); got != 7 {
			t.Errorf("pin_hits[0] through the loader's result: %d, want 7 (written through the direct load)", got)
		}
	})
}

// TestLoaderPinnedMapIncompatible pins, under pin_hits' name, maps that
// differ from the declaration in one field each: the run fails naming
// the map, the pin path and the field, leaves nothing behind, and the
// pin stays as it was.
func TestLoaderPinnedMapIncompatible(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		l := generateLoaderIn(t, "pinned", opts)
		var want abi.MapDesc
		for _, m := range l.Maps {
			if m.Name == "pin_hits" {
				want = m
			}
		}
		base := kernel.MapCreateAttr{Type: want.Type, KeySize: want.KeySize, ValueSize: want.ValueSize, MaxEntries: want.MaxEntries, Flags: want.Flags, Name: "other_pin"}
		tests := []struct {
			field  string
			change func(a *kernel.MapCreateAttr)
		}{
			{"type", func(a *kernel.MapCreateAttr) { a.Type = kernel.BPF_MAP_TYPE_HASH }},
			{"value_size", func(a *kernel.MapCreateAttr) { a.ValueSize = 16 }},
			{"max_entries", func(a *kernel.MapCreateAttr) { a.MaxEntries = 2 }},
			{"map_flags", func(a *kernel.MapCreateAttr) { a.Flags = kernel.BPF_F_MMAPABLE }},
		}
		for _, tt := range tests {
			t.Run(tt.field, func(t *testing.T) {
				dir := testutil.PinDir(t)
				path := filepath.Join(dir, "pin_hits")
				a := base
				tt.change(&a)
				fd, err := kernel.MapCreate(&a)
				if err != nil {
					t.Fatal(err)
				}
				id := mapID(t, fd)
				if err := kernel.ObjPin(fd, path); err != nil {
					t.Fatal(err)
				}
				unix.Close(fd)

				before := leakcheck.Take(true)
				res, err := (&lskel.MapSharing{PinPath: dir}).Run(&l.Loader, pinnedOpts(l))
				if err == nil {
					res.Close()
					t.Fatal("run took an incompatible pinned map")
				}
				noLeaksSince(t, before, "after the refused run")
				t.Logf("error: %v", err)
				for _, s := range []string{"pin_hits", path, "incompatible: " + tt.field} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error does not contain %q: %v", s, err)
					}
				}
				var mm *kernel.MapMismatchError
				if !errors.As(err, &mm) || mm.Field != tt.field {
					t.Errorf("error is not a *kernel.MapMismatchError for %s: %#v", tt.field, err)
				}
				if got := pinnedMapID(t, path); got != id {
					t.Errorf("pin is map %d after the refused run, want %d", got, id)
				}
			})
		}
	})
}

// TestLoaderReplaceMaps runs minimal.bpf.o's loader, then pinned.bpf.o's
// with minimal's counts in place of its own: both programs count into one
// map, read through either result.
func TestLoaderReplaceMaps(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		lm := generateLoaderIn(t, "minimal", opts)
		lp := generateLoaderIn(t, "pinned", opts)
		rm, err := lskel.Run(&lm.Loader, pinnedOpts(lm))
		if err != nil {
			t.Fatalf("minimal: %v", err)
		}
		defer rm.Close()
		counts := mapByName(t, lm, rm, "counts")
		share := &lskel.MapSharing{PinPath: testutil.PinDir(t), ReplaceMaps: map[string]*lskel.Map{"counts": counts}}
		rp, err := share.Run(&lp.Loader, pinnedOpts(lp))
		if err != nil {
			t.Fatalf("pinned with minimal's counts: %v", err)
		}
		defer rp.Close()
		shared := mapByName(t, lp, rp, "counts")
		if shared.FD() == counts.FD() {
			t.Errorf("the result holds the caller's fd %d, want a duplicate", counts.FD())
		}
		if a, b := mapID(t, shared.FD()), mapID(t, counts.FD()); a != b {
			t.Fatalf("pinned's counts is map %d, want minimal's %d", a, b)
		}
		for _, r := range []struct {
			l    *gen.Loader
			res  *lskel.Result
			prog string
		}{{lm, rm, "handle_getpid"}, {lp, rp, "count_pinned"}} {
			link, err := progByName(t, r.l, r.res, r.prog).Attach()
			if err != nil {
				t.Fatalf("attach %s: %v", r.prog, err)
			}
			defer link.Close()
		}
		pid := uint32(unix.Getpid())
		start := lookupU64(t, shared, pid) // the getpid() above, and any attaching made
		getpids(3)
		if got := lookupU64(t, shared, pid) - start; got != 6 {
			t.Errorf("counts[pid] grew by %d after 3 getpid() counted by two programs, want 6", got)
		}
		// The caller's map outlives the run's duplicate.
		rp.Close()
		if got := lookupU64(t, counts, pid); got < 6 {
			t.Errorf("counts[pid] through minimal after closing pinned's result: %d, want at least 6", got)
		}

		t.Run("errors", func(t *testing.T) {
			hash := lookupMapShape(t, "pin_hits", lp)
			tests := []struct {
				name    string
				replace map[string]*lskel.Map
				loader  abi.Loader
				want    []string
			}{
				{"no such map", map[string]*lskel.Map{"nope": counts}, lp.Loader, []string{`ReplaceMaps: no map "nope"`}},
				{"incompatible", map[string]*lskel.Map{"pin_hits": counts}, lp.Loader, []string{`ReplaceMaps["pin_hits"]`, "incompatible: type is 1, the object declares " + fmt.Sprint(hash.Type)}},
				{"closed map", map[string]*lskel.Map{"counts": nil}, lp.Loader, []string{`ReplaceMaps["counts"]`, "nil or closed"}},
				{"old loader", map[string]*lskel.Map{"counts": counts}, oldLoader(lp.Loader), []string{"older bpfgen"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := leakcheck.Take(true)
					res, err := (&lskel.MapSharing{PinPath: testutil.PinDir(t), ReplaceMaps: tt.replace}).Run(&tt.loader, pinnedOpts(lp))
					if err == nil {
						res.Close()
						t.Fatal("run succeeded")
					}
					noLeaksSince(t, before, "after the refused run")
					for _, s := range tt.want {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error does not contain %q: %v", s, err)
						}
					}
				})
			}
		})
	})
}

// oldLoader is l as a bpfgen before map fds in would have made it.
func oldLoader(l abi.Loader) abi.Loader {
	l.MapFDsIn = false
	return l
}

func lookupMapShape(t *testing.T, name string, l *gen.Loader) abi.MapDesc {
	t.Helper()
	for _, m := range l.Maps {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no map %s", name)
	return abi.MapDesc{}
}

// TestLoaderPinnedFaultInjection makes each step of pinned.bpf.o's loader
// fail, once with no pin (the run must not leave one) and once with the
// map pinned already (the run must leave it, and close its fd): nothing
// is left behind either way.
func TestLoaderPinnedFaultInjection(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		obj := open(t, "pinned")
		full := generateLoaderIn(t, "pinned", opts)
		for _, pinned := range []bool{false, true} {
			dir := testutil.PinDir(t)
			path := filepath.Join(dir, "pin_hits")
			var id uint32
			if pinned {
				r, err := (&lskel.MapSharing{PinPath: dir}).Run(&full.Loader, pinnedOpts(full))
				if err != nil {
					t.Fatal(err)
				}
				id = mapID(t, mapByName(t, full, r, "pin_hits").FD())
				r.Close()
			}
			for n := range full.Steps {
				t.Run(fmt.Sprintf("pinned=%v/step%02d", pinned, n), func(t *testing.T) {
					g, err := gen.NewWith(obj, opts)
					if err != nil {
						t.Fatal(err)
					}
					g.FailAtStep(n)
					l, err := g.Generate(nil)
					if err != nil {
						t.Fatal(err)
					}
					before := leakcheck.Take(true)
					res, err := (&lskel.MapSharing{PinPath: dir}).Run(&l.Loader, pinnedOpts(l))
					if err == nil {
						res.Close()
						t.Fatalf("loader failing at step %d (%s) succeeded", n, l.Steps[n])
					}
					var le *lskel.LoadError
					if !errors.As(err, &le) || le.Step != l.Steps[n] || !errors.Is(err, unix.ECANCELED) {
						t.Errorf("error %v, want ECANCELED at step %q", err, l.Steps[n])
					}
					noLeaksSince(t, before, fmt.Sprintf("failure at step %d (%s)", n, l.Steps[n]))
					if !pinned {
						if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
							t.Errorf("failed run left a pin at %s (stat: %v)", path, err)
						}
					} else if got := pinnedMapID(t, path); got != id {
						t.Errorf("pin is map %d after the failed run, want %d", got, id)
					}
				})
			}
		}
	})
}

// TestLinkPin pins the link of pinned.bpf.o's program: the program keeps
// counting into the pinned map after the link and the whole result are
// closed, and stops once the pin is removed.
func TestLinkPin(t *testing.T) {
	testutil.RequireLoaders(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		l := generateLoaderIn(t, "pinned", opts)
		dir := testutil.PinDir(t)
		res, err := (&lskel.MapSharing{PinPath: dir}).Run(&l.Loader, pinnedOpts(l))
		if err != nil {
			t.Fatal(err)
		}
		link, err := progByName(t, l, res, "count_pinned").Attach()
		if err != nil {
			res.Close()
			t.Fatalf("attach: %v", err)
		}
		linkPath := filepath.Join(dir, "count_pinned_link")
		if err := link.Pin(linkPath); err != nil {
			t.Fatalf("pin link: %v", err)
		}
		link.Close()
		res.Close()

		fd, err := kernel.ObjGet(filepath.Join(dir, "pin_hits"), 0)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := lskel.NewMap(fd)
		if err != nil {
			unix.Close(fd)
			t.Fatal(err)
		}
		defer hits.Close()
		getpids(4)
		if got := lookupU64(t, hits, 0); got != 4 {
			t.Fatalf("pin_hits[0] after 4 getpid() with only the link's pin holding the program: %d, want 4", got)
		}
		if err := link.Unpin(); err != nil {
			t.Fatalf("unpin: %v", err)
		}
		if _, err := os.Stat(linkPath); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("link pin still there after Unpin (stat: %v)", err)
		}
		// The link goes with its last reference, after an RCU grace period.
		for try := 0; try < 50; try++ {
			before := lookupU64(t, hits, 0)
			getpids(3)
			if lookupU64(t, hits, 0) == before {
				return
			}
			unix.Nanosleep(&unix.Timespec{Nsec: 20e6}, nil)
		}
		t.Error("the program still counts after its link was unpinned and closed")
	})
}

// TestSignedLoaderPinnedMap: a signed loader takes the maps its object
// pins by name (the object asks for them, so the signature covers it) and
// no other map.
func TestSignedLoaderPinnedMap(t *testing.T) {
	behave.SyscallProgs.Require(t)
	behave.ExclusiveMaps.Require(t)
	forEachMode(t, func(t *testing.T, opts gen.Options) {
		l := signedLoaderIn(t, "pinned", "rsa", opts)
		for i, m := range l.Maps {
			if got, want := l.TakesMapFD(i), m.Pinning == abi.PinByName; got != want {
				t.Errorf("signed loader: map %s takes an fd %v, want %v", m.Name, got, want)
			}
		}
		dir := testutil.PinDir(t)
		share := &lskel.MapSharing{PinPath: dir}
		runOpts := func() *lskel.RunOptions { return runOptsFor(l, lskel.RunOptions{Signed: lskel.Signed, Unsigned: true}) }
		r1, err := share.Run(&l.Loader, runOpts())
		if err != nil {
			t.Fatalf("first run: %v", err)
		}
		defer r1.Close()
		updateU64(t, mapByName(t, l, r1, "pin_hits"), 0, 9)
		r2, err := share.Run(&l.Loader, runOpts())
		if err != nil {
			t.Fatalf("second run: %v", err)
		}
		defer r2.Close()
		if got := lookupU64(t, mapByName(t, l, r2, "pin_hits"), 0); got != 9 {
			t.Errorf("pin_hits[0] through the second signed run: %d, want 9", got)
		}

		before := leakcheck.Take(true)
		counts := mapByName(t, l, r1, "counts")
		res, err := (&lskel.MapSharing{PinPath: dir, ReplaceMaps: map[string]*lskel.Map{"counts": counts}}).Run(&l.Loader, runOpts())
		if err == nil {
			res.Close()
			t.Fatal("a signed loader took a map its object does not pin")
		}
		noLeaksSince(t, before, "after the refused run")
		if !strings.Contains(err.Error(), "a signed loader takes only the maps the object pins by name") {
			t.Errorf("error: %v", err)
		}
	})
}
