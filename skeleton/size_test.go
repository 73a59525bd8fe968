package skeleton

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sizeLimit is what the runtime may add to a stripped hello world.
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

// BenchmarkBinarySize builds three stripped (-ldflags='-s -w') programs —
// a fmt-only hello world, a hello world that loads, attaches and reads the
// minimal object through the example's generated skeleton, and the same
// job with github.com/cilium/ebpf — and reports their sizes
// and the runtime's cost over fmt, which must stay under 100 KB.
func BenchmarkBinarySize(b *testing.B) {
	root := repoRoot(b)
	mod := b.TempDir()
	gomod := "module size\n\ngo 1.26\n\nrequire (\n\tgithub.com/bpfgen/bpfgen v0.0.0\n\tgithub.com/cilium/ebpf v0.22.0\n)\n\nreplace github.com/bpfgen/bpfgen => " + root + "\n"
	write := func(path, content string) {
		b.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	read := func(path string) string {
		b.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return string(data)
	}
	write(filepath.Join(mod, "go.mod"), gomod)
	write(filepath.Join(mod, "fmtonly", "main.go"), helloFmt)
	write(filepath.Join(mod, "lskel", "main.go"), helloLskel)
	write(filepath.Join(mod, "lskel", "minimal_lskel.go"), read(filepath.Join(root, "examples", "minimal", "minimal_lskel.go")))
	write(filepath.Join(mod, "cilium", "main.go"), helloCilium)
	write(filepath.Join(mod, "cilium", "minimal.bpf.o"), read(filepath.Join(root, "testdata", "minimal.bpf.o")))

	sizes := map[string]int64{}
	for b.Loop() {
		for _, name := range []string{"fmtonly", "lskel", "cilium"} {
			out := filepath.Join(mod, "bin", name)
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("build %s: %v\n%s", name, err, msg)
			}
			fi, err := os.Stat(out)
			if err != nil {
				b.Fatal(err)
			}
			sizes[name] = fi.Size()
		}
	}
	b.ReportMetric(float64(sizes["fmtonly"]), "fmt-bytes")
	b.ReportMetric(float64(sizes["lskel"]), "lskel-bytes")
	b.ReportMetric(float64(sizes["cilium"]), "cilium-bytes")
	b.ReportMetric(float64(sizes["lskel"]-sizes["fmtonly"]), "lskel-cost-bytes")
	b.ReportMetric(float64(sizes["cilium"]-sizes["fmtonly"]), "cilium-cost-bytes")
	b.Logf("stripped sizes: fmt only %d, skeleton %d (+%d), cilium/ebpf %d (+%d)", sizes["fmtonly"],
		sizes["lskel"], sizes["lskel"]-sizes["fmtonly"], sizes["cilium"], sizes["cilium"]-sizes["fmtonly"])
	if cost := sizes["lskel"] - sizes["fmtonly"]; cost > sizeLimit {
		b.Errorf("the runtime adds %d bytes to a stripped hello world, more than %d", cost, sizeLimit)
	}
}
