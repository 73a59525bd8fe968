package gen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
	"golang.org/x/sys/unix"
)

// freplaceLoad loads freplace.bpf.o against target through one backend
// and returns the fds of its maps and of new_replaceable.
type freplaceLoad func(t *testing.T, obj *object.Object, targets map[string]load.ProgTarget) (maps []int, prog int, err error)

var freplaceBackends = []struct {
	name string
	load freplaceLoad
}{
	{"direct", func(t *testing.T, obj *object.Object, targets map[string]load.ProgTarget) ([]int, int, error) {
		res, err := load.Load(obj, &load.Direct{}, &load.Options{AttachTargets: targets})
		if err != nil {
			return nil, -1, err
		}
		t.Cleanup(func() { closeAll(res.Handles()) })
		return handlesToFDs(res.Maps), int(res.Programs[0]), nil
	}},
	{"loader", freplaceLoader(gen.Options{})},
	{"table loader", freplaceLoader(gen.Options{Table: true})},
}

// freplaceLoader loads through a loader made as opts says.
func freplaceLoader(opts gen.Options) freplaceLoad {
	return func(t *testing.T, obj *object.Object, targets map[string]load.ProgTarget) ([]int, int, error) {
		l := generateIn(t, obj, opts)
		rt := make(map[string]lskel.ProgTarget)
		for name, tg := range targets {
			rt[name] = lskel.ProgTarget{FD: tg.FD, Func: tg.Func}
		}
		res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{AttachTargets: rt, FuncBTFID: lskel.FuncBTFID}))
		if err != nil {
			return nil, -1, err
		}
		t.Cleanup(func() { res.Close() })
		mapFDs, progFDs := fdsOf(res)
		return mapFDs, progFDs[0], nil
	}
}

// TestFreplace replaces a global function of a loaded program, through
// both backends: where the kernel has trampolines the program loads (the
// two loads giving the same kernel program), attaches and changes what
// the target computes until it is detached; elsewhere the load fails with
// EPERM. On every kernel a missing or wrong target is a clear error that
// leaves nothing behind.
func TestFreplace(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.SyscallProgs.Require(t)
	target, err := object.Open(testutil.Object("freplace_target"))
	if err != nil {
		t.Fatal(err)
	}
	tres, err := load.LoadDirect(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(tres.Handles())
	targetProg := int(tres.Programs[0])
	targetData := int(tres.Maps[indexOfMap(t, target, ".bss")])
	runTarget := func(t *testing.T) uint32 {
		t.Helper()
		if _, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: targetProg, DataIn: make([]byte, 64), DataOut: make([]byte, 600), Repeat: 1}); err != nil {
			t.Fatal(err)
		}
		v := make([]byte, 8)
		if err := kernel.MapLookupElem(targetData, make([]byte, 4), v); err != nil {
			t.Fatal(err)
		}
		return uint32(v[0]) | uint32(v[1])<<8 | uint32(v[2])<<16 | uint32(v[3])<<24
	}
	obj, err := object.Open(testutil.Object("freplace"))
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]load.ProgTarget{"new_replaceable": {FD: targetProg}}
	var progs, bssFDs []int
	top := t // the good loads stay open for the comparison after the subtests
	for _, b := range freplaceBackends {
		t.Run(b.name, func(t *testing.T) {
			for _, bad := range []struct {
				targets map[string]load.ProgTarget
				want    string
			}{
				{nil, `AttachTargets["new_replaceable"]`},
				{map[string]load.ProgTarget{"new_replaceable": {FD: targetProg, Func: "nope"}}, `has no function "nope"`},
				{map[string]load.ProgTarget{"other": {FD: targetProg}}, "other"},
			} {
				before := leakcheck.Take(true)
				if _, _, err := b.load(t, obj, bad.targets); err == nil || !strings.Contains(err.Error(), bad.want) {
					t.Errorf("targets %v: %v, want an error containing %q", bad.targets, err, bad.want)
				}
				noLeaksSince(t, before, "bad target")
			}
			maps, prog, err := b.load(top, obj, good)
			if !behave.Trampolines.Have() {
				if !errors.Is(err, unix.EPERM) {
					t.Fatalf("load without trampolines: %v, want EPERM", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			progs = append(progs, prog)
			bssFDs = append(bssFDs, maps[indexOfMap(t, obj, ".bss")])
			if got := runTarget(t); got != 42 {
				t.Fatalf("result = %d before attaching, want 42", got)
			}
			// The runtime owns what it attaches: give it a duplicate.
			dup, err := unix.FcntlInt(uintptr(prog), unix.F_DUPFD_CLOEXEC, 3)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := lskel.NewProgram(dup, "freplace/replaceable")
			if err != nil {
				unix.Close(dup)
				t.Fatal(err)
			}
			defer lp.Close()
			l, err := lp.Attach()
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			if got := runTarget(t); got != 4100 {
				t.Errorf("result = %d with new_replaceable attached, want 4100", got)
			}
			bss := make([]byte, 8)
			if err := kernel.MapLookupElem(maps[indexOfMap(t, obj, ".bss")], make([]byte, 4), bss); err != nil || bss[0] != 1 {
				t.Errorf("replaced_runs = %v (%v), want 1", bss, err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := runTarget(t); got != 42 {
				t.Errorf("result = %d after detaching, want 42 again", got)
			}
		})
	}
	for i := 1; i < len(progs); i++ {
		describe := func(prog, bss int) kstate.Prog {
			idx, err := kstate.MapIndex([]int{bss})
			if err != nil {
				t.Fatal(err)
			}
			p, err := kstate.DescribeProg(prog, idx)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		a, b := describe(progs[0], bssFDs[0]), describe(progs[i], bssFDs[i])
		if d := kstate.DiffProg(a, b); d != "" {
			t.Errorf("new_replaceable differs between the direct load and the %s:\n%s", freplaceBackends[i].name, d)
		}
	}
}

func indexOfMap(t *testing.T, obj *object.Object, section string) int {
	t.Helper()
	for i, m := range obj.Maps {
		if m.Section == section {
			return i
		}
	}
	t.Fatalf("%s has no %s map", obj.Name, section)
	return -1
}
