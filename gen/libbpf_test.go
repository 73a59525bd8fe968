package gen_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// libbpfCannot lists the test objects libbpf's loader generator refuses,
// and why; for them bpfgen's loader is the only one (TestEquivalence
// covers it).
var libbpfCannot = map[string]string{
	"many":     "more than 32 programs and 64 maps",
	"mapinmap": "statically initialised map-in-map and program-array slots",
	"maps":     "a LIBBPF_PIN_BY_NAME map (bpftool pins it while generating)",
	"legacy":   "a map defined in SEC(\"maps\"), which libbpf 1.0 stopped accepting",
	// gen_loader.md §7.4; bpftool 7.1 skips .struct_ops.link and crashes.
	"structops": "struct_ops maps",
}

// libbpfWrong lists objects whose libbpf (1.1, Debian's) light skeleton
// loads but differs from the direct load, where bpfgen's loader agrees
// with the direct load (TestEquivalence) and the behaviour tests prove the
// values right.
var libbpfWrong = map[string]string{
	"ksyms":   "libbpf 1.1 writes address 0 for a typeless ksym and keeps a weak missing ksym's check in the program",
	"flavour": "libbpf looks weak ___flavour kfuncs up by their full name, finds nothing and drops the calls",
}

// TestLibbpfParity builds libbpf's light skeleton of every test object
// with `bpftool gen skeleton -L`, loads it with a small C harness and
// compares the kernel objects with those our loader creates.
func TestLibbpfParity(t *testing.T) {
	testutil.RequireLoaders(t)
	for _, tool := range []string{"bpftool", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (make deps installs it): %v", tool, err)
		}
	}
	harness, err := filepath.Abs("testdata/lskel_harness.c")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range behave.Objects {
		t.Run(name, func(t *testing.T) {
			behave.Require(t, name)
			dir := t.TempDir()
			header := filepath.Join(dir, name+".lskel.h")
			out, err := exec.Command("bpftool", "gen", "skeleton", "-L", testutil.Object(name), "name", name).Output()
			if reason, ok := libbpfCannot[name]; ok {
				if err == nil {
					t.Fatalf("bpftool now generates a light skeleton for %s (was refused: %s): compare it", name, reason)
				}
				t.Logf("libbpf's loader cannot handle %s (%s); bpftool: %v", name, reason, err)
				return
			}
			if err != nil {
				t.Fatalf("bpftool gen skeleton -L: %v", err)
			}
			if err := os.WriteFile(header, out, 0o644); err != nil {
				t.Fatal(err)
			}
			obj, err := object.Open(testutil.Object(name))
			if err != nil {
				t.Fatal(err)
			}
			bin := buildHarness(t, dir, harness, header, name, obj)
			libbpfMaps, libbpfProgs := runHarness(t, bin, obj)
			defer closeFDs(libbpfMaps)
			defer closeFDs(libbpfProgs)

			l, err := gen.Generate(obj, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := lskel.Run(&l.Loader, &lskel.RunOptions{Kconfig: kconfig.Resolve})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			mapFDs, progFDs := fdsOf(res)
			if reason, ok := libbpfWrong[name]; ok {
				diffs := diffObjects(t, obj, libbpfMaps, mapFDs, libbpfProgs, progFDs, ignoreMmapable)
				if len(diffs) == 0 {
					t.Fatalf("libbpf's loader now agrees on %s (was: %s): drop it from libbpfWrong", name, reason)
				}
				t.Logf("libbpf's loader differs on %s as expected (%s):\n%s", name, reason, strings.Join(diffs, "\n"))
				return
			}
			for _, d := range diffObjects(t, obj, libbpfMaps, mapFDs, libbpfProgs, progFDs, ignoreMmapable) {
				t.Error(d)
			}
		})
	}
}

// buildHarness compiles the C harness around a light skeleton. When the
// skeleton's global-data structs use the object's own types, which a C user
// would include from their headers, they are taken from the object's BTF.
func buildHarness(t *testing.T, dir, harness, header, name string, obj *object.Object) string {
	t.Helper()
	bin := filepath.Join(dir, "harness")
	args := []string{"-O1", "-o", bin, harness, "-include", "errno.h",
		"-DSKEL=" + name, fmt.Sprintf("-DNMAPS=%d", len(obj.Maps)), fmt.Sprintf("-DNPROGS=%d", len(obj.Programs()))}
	out, err := exec.Command("gcc", append(args, "-include", header)...).CombinedOutput()
	if err == nil {
		return bin
	}
	types, terr := exec.Command("bpftool", "btf", "dump", "file", testutil.Object(name), "format", "c").Output()
	if terr != nil {
		t.Fatalf("bpftool btf dump: %v", terr)
	}
	typesH := filepath.Join(dir, "types.h")
	if err := os.WriteFile(typesH, types, 0o644); err != nil {
		t.Fatal(err)
	}
	out2, err := exec.Command("gcc", append(args, "-include", typesH, "-include", header)...).CombinedOutput()
	if err != nil {
		t.Fatalf("building the harness: %v\n%s\nwith the object's types:\n%s", err, out, out2)
	}
	return bin
}

// ignoreMmapable clears BPF_F_MMAPABLE: libbpf 1.1 sets it on every
// global-data map, current libbpf (and bpfgen) only where the section has
// a non-static variable, since user space cannot name the others.
func ignoreMmapable(m *kstate.Map) { m.Flags &^= 0x400 }

func closeFDs(fds []int) {
	for _, fd := range fds {
		if fd > 0 {
			unix.Close(fd)
		}
	}
}

// runHarness starts the C harness and takes copies of the fds it prints.
// libbpf's loader numbers programs in load order, skipping those not
// loaded by default, so its descriptors are mapped back to object order.
func runHarness(t *testing.T, bin string, obj *object.Object) (maps, progs []int) {
	t.Helper()
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	fields := make(map[string][]int)
	for i := 0; i < 3 && sc.Scan(); i++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		for _, s := range f[1:] {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("harness printed %q", sc.Text())
			}
			fields[f[0]] = append(fields[f[0]], n)
		}
	}
	if len(fields["pid"]) != 1 {
		t.Fatal("the harness failed to load the light skeleton")
	}
	pidfd, err := unix.PidfdOpen(fields["pid"][0], 0)
	if err != nil {
		t.Fatalf("pidfd_open: %v", err)
	}
	defer unix.Close(pidfd)
	dup := func(fd int) int {
		if fd <= 0 {
			return -1
		}
		n, err := unix.PidfdGetfd(pidfd, fd, 0)
		if err != nil {
			t.Fatalf("pidfd_getfd(%d): %v", fd, err)
		}
		return n
	}
	for _, fd := range fields["maps"] {
		maps = append(maps, dup(fd))
	}
	loaded := fields["progs"]
	for _, p := range obj.Programs() {
		fd := -1
		if p.Autoload && len(loaded) > 0 {
			fd, loaded = dup(loaded[0]), loaded[1:]
		}
		progs = append(progs, fd)
	}
	return maps, progs
}

// TestLibbpfStructOps registers the .struct_ops map of testdata/structops
// with libbpf (`bpftool struct_ops register`, libbpf 1.1, which knows no
// .struct_ops.link) and with our loader, and compares the values the
// kernel keeps for the two registrations: same programs in the same
// slots, same data.
func TestLibbpfStructOps(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.Require(t, "structops")
	if _, err := exec.LookPath("bpftool"); err != nil {
		t.Fatalf("bpftool is needed (make deps installs it): %v", err)
	}
	const name = "so_plain" // the map, and its congestion control bpfgen_so_plain
	obj, err := object.Open(testutil.Object("structops"))
	if err != nil {
		t.Fatal(err)
	}
	idx := slices.IndexFunc(obj.Maps, func(m *object.Map) bool { return m.Name == name })
	if idx < 0 {
		t.Fatalf("no map %s", name)
	}
	if out, err := exec.Command("bpftool", "struct_ops", "register", testutil.Object("structops")).CombinedOutput(); err != nil {
		t.Fatalf("bpftool struct_ops register: %v\n%s", err, out)
	}
	libbpf, err := registeredMap(name)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bpftool", "struct_ops", "unregister", "name", name).CombinedOutput(); err != nil {
		t.Fatalf("bpftool struct_ops unregister: %v\n%s", err, out)
	}
	if behave.HasCongestionControl("bpfgen_so_plain") {
		t.Fatal("bpftool left bpfgen_so_plain registered")
	}

	l, err := gen.Generate(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	var so lskel.StructOpsContext
	res, err := lskel.Run(&l.Loader, &lskel.RunOptions{StructOps: so.Prepare})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	ours, err := kstate.RegisteredStructOps(res.Map(idx).FD(), so.Values()[idx], false)
	if err != nil {
		t.Fatal(err)
	}
	// The first word is the kernel's refcount and state, which differ
	// between a registered map and one read after unregistering.
	if skipHeader(libbpf) != skipHeader(ours) {
		t.Errorf("libbpf's registration holds\n%s\nours\n%s", libbpf, ours)
	}
	t.Logf("both registrations hold:\n%s", ours)
}

// skipHeader drops the line of offset 0 (refcount and state) from a
// kstate.StructOpsValue.
func skipHeader(v string) string {
	if strings.HasPrefix(v, "0: ") {
		_, v, _ = strings.Cut(v, "\n")
	}
	return v
}

// registeredMap finds the struct_ops map the kernel knows by name and
// reads its value.
func registeredMap(name string) (string, error) {
	for id := uint32(0); ; {
		next, err := kernel.NextMapID(id)
		if err != nil {
			return "", fmt.Errorf("no struct_ops map %s in the kernel: %w", name, err)
		}
		id = next
		fd, err := kernel.MapFDByID(id, 0)
		if err != nil {
			continue
		}
		info, err := kernel.GetMapInfo(fd)
		if err == nil && info.Name == name && info.Type == uint32(object.MapTypeStructOps) {
			v, err := kstate.StructOpsValue(fd, int(info.ValueSize))
			kernel.Close(fd)
			return v, err
		}
		kernel.Close(fd)
	}
}
