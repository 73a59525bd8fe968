package skeleton

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// sizeLimit is what the runtime may add to a stripped hello world
// (DESIGN.md: less than 100 KB more than one using only fmt).
const sizeLimit = 100 * 1024

const helloFmt = `package main

import "fmt"

func main() { fmt.Println("hello") }
`

// helloLskel is the same job as helloCilium on the generated skeleton of
// the minimal example, printing with fmt.Println like helloFmt.
const helloLskel = `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	objs, err := LoadMinimal(nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer objs.Close()
	if err := objs.Attach(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	syscall.Getpid()
	n, _ := objs.Counts.Lookup(uint32(os.Getpid()))
	fmt.Println("hello", objs.BSS.Calls, n)
}
`

const helloCilium = `package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

//go:embed minimal.bpf.o
var object []byte

func main() {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer coll.Close()
	l, err := link.Tracepoint("syscalls", "sys_enter_getpid", coll.Programs["handle_getpid"], nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer l.Close()
	var v uint64
	_ = coll.Maps["counts"].Lookup(uint32(os.Getpid()), &v)
	fmt.Println("hello", v)
}
`

// loaderBytes is the size of the minimal object's loader (blob and
// instructions) that its skeleton embeds: the object's own bytes, which
// grow with the object, not the runtime's. The budget leaves them out.
func loaderBytes(tb testing.TB) int64 {
	tb.Helper()
	_, l := openObject(tb, "minimal")
	return int64(len(l.Data) + len(l.Insns))
}

// TestSkeletonBinarySize builds a stripped fmt-only hello world and one
// that loads, attaches and reads the minimal object through the
// example's generated skeleton, and checks what the skeleton adds,
// less the bytes of the object's own loader, against sizeLimit.
func TestSkeletonBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	sizes := buildHellos(t, "fmtonly", "lskel")
	loader := loaderBytes(t)
	cost := sizes["lskel"] - sizes["fmtonly"]
	t.Logf("stripped sizes: fmt only %d, skeleton %d (+%d, of which the loader %d): the runtime adds %d bytes (limit %d)",
		sizes["fmtonly"], sizes["lskel"], cost, loader, cost-loader, sizeLimit)
	if cost-loader > sizeLimit {
		t.Errorf("the runtime adds %d bytes (%d less the loader's %d) to a stripped hello world, more than %d",
			cost-loader, cost, loader, sizeLimit)
	}
}

// BenchmarkBinarySize reports the sizes of three stripped
// (-ldflags='-s -w') programs — a fmt-only hello world, a hello world
// that loads, attaches and reads the minimal object through the example's
// generated skeleton, and the same job with github.com/cilium/ebpf — and
// the runtime's cost over fmt (TestSkeletonBinarySize checks it).
func BenchmarkBinarySize(b *testing.B) {
	var sizes map[string]int64
	for b.Loop() {
		sizes = buildHellos(b, "fmtonly", "lskel", "cilium")
	}
	loader := loaderBytes(b)
	b.ReportMetric(float64(sizes["fmtonly"]), "fmt-bytes")
	b.ReportMetric(float64(sizes["lskel"]), "lskel-bytes")
	b.ReportMetric(float64(sizes["cilium"]), "cilium-bytes")
	b.ReportMetric(float64(sizes["lskel"]-sizes["fmtonly"]), "lskel-cost-bytes")
	b.ReportMetric(float64(loader), "loader-bytes")
	b.ReportMetric(float64(sizes["cilium"]-sizes["fmtonly"]), "cilium-cost-bytes")
	b.Logf("stripped sizes: fmt only %d, skeleton %d (+%d, of which the loader %d), cilium/ebpf %d (+%d)", sizes["fmtonly"],
		sizes["lskel"], sizes["lskel"]-sizes["fmtonly"], loader, sizes["cilium"], sizes["cilium"]-sizes["fmtonly"])
}

// buildHellos builds the named hello worlds (fmtonly, lskel, cilium)
// stripped, in a module of their own, and returns their sizes.
func buildHellos(tb testing.TB, names ...string) map[string]int64 {
	tb.Helper()
	goBin := testutil.GoTool()
	if _, err := os.Stat(goBin); err != nil {
		tb.Skipf("no go command: %v", err)
	}
	root := repoRoot(tb)
	mod := tb.TempDir()
	write := func(path, content string) {
		tb.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	read := func(path string) string {
		tb.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		return string(data)
	}
	require := "\tgithub.com/bpfgen/bpfgen v0.0.0\n"
	if slices.Contains(names, "cilium") {
		require += "\tgithub.com/cilium/ebpf v0.22.0\n"
	}
	write(filepath.Join(mod, "go.mod"), "module size\n\ngo 1.26\n\nrequire (\n"+require+")\n\nreplace github.com/bpfgen/bpfgen => "+root+"\n")
	write(filepath.Join(mod, "go.sum"), read(filepath.Join(root, "go.sum")))
	write(filepath.Join(mod, "fmtonly", "main.go"), helloFmt)
	write(filepath.Join(mod, "lskel", "main.go"), helloLskel)
	write(filepath.Join(mod, "lskel", "minimal_lskel.go"), read(filepath.Join(root, "examples", "minimal", "minimal_lskel.go")))
	write(filepath.Join(mod, "cilium", "main.go"), helloCilium)
	write(filepath.Join(mod, "cilium", "minimal.bpf.o"), read(filepath.Join(root, "testdata", "minimal.bpf.o")))

	sizes := map[string]int64{}
	for _, name := range names {
		out := filepath.Join(mod, "bin", name)
		cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("build %s: %v\n%s", name, err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			tb.Fatal(err)
		}
		sizes[name] = fi.Size()
	}
	return sizes
}
