package gen_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// loaderModes are the kinds of loader the kernel tests run, each over
// every object: the unrolled emitter and the table loader.
var loaderModes = []struct {
	name string
	opts gen.Options
}{
	{"unrolled", gen.Options{}},
	{"table", gen.Options{Table: true}},
}

// generateIn generates obj's loader as opts says, failing the test on an
// error.
func generateIn(t testing.TB, obj *object.Object, opts gen.Options) *gen.Loader {
	t.Helper()
	l, err := gen.GenerateWith(obj, nil, opts)
	if err != nil {
		t.Fatalf("generate %s (table %v): %v", obj.Name, opts.Table, err)
	}
	return l
}

// tableRefuses reports whether opts asks for a table loader of an object
// that table loaders do not support yet (struct_ops maps), after checking
// that generating it fails with an error naming the map.
func tableRefuses(t *testing.T, obj *object.Object, opts gen.Options) bool {
	t.Helper()
	if !opts.Table {
		return false
	}
	for _, m := range obj.Maps {
		if m.StructOps == nil {
			continue
		}
		_, err := gen.GenerateWith(obj, nil, opts)
		if want := "map " + m.Name + ": table loaders do not support struct_ops"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("table loader of %s: %v, want an error with %q", obj.Name, err, want)
		}
		return true
	}
	return false
}

// newIn starts a generator for obj as opts says.
func newIn(t *testing.T, obj *object.Object, opts gen.Options) *gen.Generator {
	t.Helper()
	g, err := gen.NewWith(obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runOptsFor adds what running a loader of l's kind needs to o.
func runOptsFor(l *gen.Loader, o lskel.RunOptions) *lskel.RunOptions {
	if l.Table {
		o.Table = lskel.Table
	}
	return &o
}

// largeObject builds the object of bench/gen_large.sh n (n programs, n/5
// maps) with testdata's compiler flags, once per test binary.
func largeObject(t testing.TB, n int) *object.Object {
	t.Helper()
	name := fmt.Sprintf("large_%d", n)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("bpfgen-gen-test-%d-%s.bpf.o", os.Getpid(), name))
	if _, err := os.Stat(path); err != nil {
		root := testutil.Root()
		src, err := exec.Command(filepath.Join(root, "bench", "gen_large.sh"), fmt.Sprint(n)).Output()
		if err != nil {
			t.Fatalf("bench/gen_large.sh %d: %v", n, err)
		}
		cfile := strings.TrimSuffix(path, ".o") + ".c"
		if err := os.WriteFile(cfile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		arch := map[string]string{"amd64": "x86", "arm64": "arm64"}[runtime.GOARCH]
		cmd := exec.Command("clang-19", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_"+arch, "-mcpu=v3",
			"-I", filepath.Join(root, "testdata"), "-c", cfile, "-o", path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clang-19 (make deps installs it): %v\n%s", err, out)
		}
		os.Remove(cfile)
	}
	obj, err := object.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	obj.Name = name
	return obj
}

// constantObjects are objects of very different sizes for the checks that
// a table loader's program does not depend on the object.
func constantObjects(t testing.TB) []*object.Object {
	var objs []*object.Object
	for _, name := range []string{"minimal", "many", "ksyms", "globals"} {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, obj)
	}
	return append(objs, largeObject(t, 500))
}

// TestTableLoaderIsConstant checks that the table loader's instructions,
// BTF and func_info are the same bytes for a minimal object, testdata's
// many and a 500-program object: only the blob grows, so what the
// verifier checks (and what a signature over the instructions covers) is
// one program.
func TestTableLoaderIsConstant(t *testing.T) {
	var first *gen.Loader
	for _, obj := range constantObjects(t) {
		l := generateIn(t, obj, gen.Options{Table: true})
		u := generateIn(t, obj, gen.Options{})
		t.Logf("%-10s table: %d instructions, %d records, blob %d bytes; unrolled: %d instructions, blob %d bytes",
			obj.Name, len(l.Insns)/asm.InsnSize, len(l.Steps), len(l.Data), len(u.Insns)/asm.InsnSize, len(u.Data))
		if first == nil {
			first = l
			continue
		}
		if len(l.Insns) != len(first.Insns) {
			t.Errorf("%s: %d instructions, %s: %d", obj.Name, len(l.Insns)/asm.InsnSize, first.Name, len(first.Insns)/asm.InsnSize)
		}
		if !bytes.Equal(l.Insns, first.Insns) || !bytes.Equal(l.LoaderBTF, first.LoaderBTF) || !bytes.Equal(l.LoaderFuncInfo, first.LoaderFuncInfo) {
			t.Errorf("%s: the table loader's program differs from %s's", obj.Name, first.Name)
		}
		if len(l.Data)%abi.TableElemSize != 0 {
			t.Errorf("%s: blob of %d bytes is not whole %d-byte elements", obj.Name, len(l.Data), abi.TableElemSize)
		}
	}
}

// sharedKsymsSource has two programs that use the same kfuncs and
// ksyms, strong and weak, present and missing.
const sharedKsymsSource = `#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern int bpfgen_no_such_kfunc(void) __ksym __weak;
extern const void bpf_prog_put __ksym;

__u64 out[6];

static __always_inline void use(int i)
{
	struct task_struct *t = bpf_task_from_pid(bpf_get_current_pid_tgid() >> 32);

	if (t) {
		out[i] = 1;
		bpf_task_release(t);
	}
	out[i + 1] = ksym_present(bpfgen_no_such_kfunc) ? 7 : 1;
	if (out[i + 1] == 7)
		bpfgen_no_such_kfunc();
	out[i + 2] = (__u64)&bpf_prog_put;
}

SEC("syscall")
int first(void *ctx)
{
	use(0);
	return 0;
}

SEC("syscall")
int second(void *ctx)
{
	use(3);
	return 0;
}
`

// compileC builds C source with testdata's flags into an object.
func compileC(t testing.TB, name, src string) *object.Object {
	t.Helper()
	dir := t.TempDir()
	cfile, ofile := filepath.Join(dir, name+".bpf.c"), filepath.Join(dir, name+".bpf.o")
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	arch := map[string]string{"amd64": "x86", "arm64": "arm64"}[runtime.GOARCH]
	cmd := exec.Command("clang-19", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_"+arch, "-mcpu=v3",
		"-I", filepath.Join(testutil.Root(), "testdata"), "-c", cfile, "-o", ofile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clang-19 (make deps installs it): %v\n%s", err, out)
	}
	obj, err := object.Open(ofile)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestTableKsymsOncePerRun checks that a table loader looks each kernel
// symbol up once per run, however many programs use it, and that every
// program is completed from that one lookup: both programs find the task,
// see the weak kfunc missing and read the same address.
func TestTableKsymsOncePerRun(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.Require(t, "ksyms") // the same kfuncs as ksyms (Linux 6.2)
	obj := compileC(t, "shared_ksyms", sharedKsymsSource)
	l := generateIn(t, obj, gen.Options{Table: true})
	seen := make(map[string]int)
	for _, s := range l.Steps {
		if strings.HasPrefix(s, "find ") {
			seen[strings.Split(s, " for ")[0]]++
		}
	}
	if len(seen) != 4 {
		t.Errorf("lookups %v, want 4 symbols", seen)
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("%q %d times, want once", s, n)
		}
	}
	res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	for j := range res.NumPrograms() {
		if _, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: res.Program(j).FD()}); err != nil {
			t.Fatalf("run %s: %v", l.Progs[j].Name, err)
		}
	}
	bss := -1
	for i, m := range l.Maps {
		if m.Section == ".bss" {
			bss = i
		}
	}
	if bss < 0 {
		t.Fatal("no .bss map")
	}
	val := make([]byte, 48)
	if err := res.Map(bss).Lookup(make([]byte, 4), val); err != nil {
		t.Fatal(err)
	}
	var out [6]uint64
	for i := range out {
		out[i] = binary.NativeEndian.Uint64(val[8*i:])
	}
	if out[0] != 1 || out[3] != 1 || out[1] != 1 || out[4] != 1 || out[2] == 0 || out[2] != out[5] {
		t.Errorf("out = %v, want the task found (1), the weak kfunc missing (1) and one address, in both programs", out)
	}
}

// BenchmarkLoaderVerify measures what the kernel spends verifying and
// JIT-compiling the loader program (its BPF_PROG_LOAD), unrolled and
// table-driven, for objects from minimal to 500 programs; it reports the
// kernel's verified_insns too.
func BenchmarkLoaderVerify(b *testing.B) {
	testutil.RequireLoaders(b)
	objs := constantObjects(b)
	for _, mode := range loaderModes {
		for _, obj := range objs {
			if obj.Name == "ksyms" || obj.Name == "globals" {
				continue
			}
			b.Run(mode.name+"/"+obj.Name, func(b *testing.B) {
				l := generateIn(b, obj, mode.opts)
				var verified uint32
				var total time.Duration
				for b.Loop() {
					d, v := loadLoaderOnce(b, l)
					total += d
					verified = v
				}
				b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "load-ns/op")
				b.ReportMetric(float64(verified), "verified_insns")
				b.ReportMetric(float64(len(l.Insns)/asm.InsnSize), "insns")
			})
		}
	}
}

// loadLoaderOnce makes l's blob map (and BTF) and times BPF_PROG_LOAD of
// its program alone.
func loadLoaderOnce(b *testing.B, l *gen.Loader) (time.Duration, uint32) {
	size, n := len(l.Data), 1
	if l.Table {
		size, n = abi.TableElemSize, len(l.Data)/abi.TableElemSize
	}
	blob, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: kernel.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: uint32(size), MaxEntries: uint32(n)})
	if err != nil {
		b.Fatal(err)
	}
	defer kernel.Close(blob)
	p := &kernel.ProgLoadAttr{Type: kernel.BPF_PROG_TYPE_SYSCALL, Flags: kernel.BPF_F_SLEEPABLE, Insns: l.Insns, License: "Dual BSD/GPL", FDArray: []int32{int32(blob)}}
	if l.Table {
		btf, err := kernel.BTFLoad(l.LoaderBTF, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer kernel.Close(btf)
		p.BTFFD, p.FuncInfoRecSize, p.FuncInfo = uint32(btf), 8, l.LoaderFuncInfo
	}
	start := time.Now()
	fd, _, err := kernel.ProgLoad(p)
	d := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	defer kernel.Close(fd)
	info, err := kernel.GetProgInfo(fd)
	if err != nil {
		b.Fatal(err)
	}
	return d, info.VerifiedInsns
}

// TestTableFileVersion: a table loader is a version-4 file, and a reader
// refuses a table loader under another version (which would run the
// interpreter as an unrolled loader) and version 4 without table.
func TestTableFileVersion(t *testing.T) {
	for _, opts := range []gen.Options{{Table: true}, {}} {
		var buf bytes.Buffer
		if err := generateIn(t, open(t, "minimal"), opts).WriteFile(&buf, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		raw := buf.Bytes()
		other := uint32(gen.FileVersionTable)
		if opts.Table {
			other = gen.FileVersion
		}
		binary.LittleEndian.PutUint32(raw[8:], other)
		if _, _, err := gen.ReadFile(raw); err == nil || !strings.Contains(err.Error(), "table") {
			t.Errorf("table %v as version %d: got %v, want an error naming table", opts.Table, other, err)
		}
	}
}

// FuzzRecords decodes the records of table loaders whose blob is the
// input: any blob gives lines or an error, never a panic.
func FuzzRecords(f *testing.F) {
	for _, name := range []string{"minimal", "ksyms"} {
		obj, err := object.Open(testutil.Object(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(generateIn(f, obj, gen.Options{Table: true}).Data)
	}
	obj, err := object.Open(testutil.Object("minimal"))
	if err != nil {
		f.Fatal(err)
	}
	l := generateIn(f, obj, gen.Options{Table: true})
	f.Fuzz(func(t *testing.T, blob []byte) {
		c := *l
		c.Data = blob
		lines, err := c.Records(binary.LittleEndian)
		if err == nil && len(blob) >= abi.TableElemSize && binary.LittleEndian.Uint32(blob) > 0 && len(lines) == 0 {
			t.Fatal("records decoded to nothing")
		}
	})
}

// BenchmarkLoaderRun measures a whole lskel.Run (blob map, loader load,
// the run, taking the fds) and closing what it made, for both kinds of
// loader.
func BenchmarkLoaderRun(b *testing.B) {
	testutil.RequireLoaders(b)
	var objs []*object.Object
	for _, name := range []string{"minimal", "core", "many"} {
		objs = append(objs, open(b, name))
	}
	// A sweep of sizes, for where one kind overtakes the other.
	for _, n := range []int{10, 25, 50, 100, 200, 500} {
		objs = append(objs, largeObject(b, n))
	}
	for _, obj := range objs {
		for _, mode := range loaderModes {
			b.Run(obj.Name+"/"+mode.name, func(b *testing.B) {
				l := generateIn(b, obj, mode.opts)
				for b.Loop() {
					res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{}))
					if err != nil {
						b.Fatal(err)
					}
					res.Close()
				}
				b.ReportMetric(float64(len(l.Steps)), "steps")
			})
		}
	}
}

// TestTableLargeObject runs the table loader of a 500-program object,
// whose fd table spans several blob elements: every map and program is
// there, under its name.
func TestTableLargeObject(t *testing.T) {
	testutil.RequireLoaders(t)
	obj := largeObject(t, 500)
	l := generateIn(t, obj, gen.Options{Table: true})
	res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if len(l.Maps)+len(l.Progs) <= abi.TableElemSize/4 {
		t.Fatalf("%d maps and %d programs fit one element: the test shows nothing", len(l.Maps), len(l.Progs))
	}
	for i, m := range l.Maps {
		info, err := kernel.GetMapInfo(res.Map(i).FD())
		if err != nil || info.Name != m.KernelName[:min(len(m.KernelName), 15)] {
			t.Errorf("map %d %s: %+v, %v", i, m.Name, info, err)
		}
	}
	for j, p := range l.Progs {
		info, err := kernel.GetProgInfo(res.Program(j).FD())
		if err != nil || info.Name != p.Name[:min(len(p.Name), 15)] {
			t.Errorf("program %d %s: %+v, %v", j, p.Name, info, err)
		}
	}
}
