package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// env describes the machine and the tools of the run.
type env struct {
	Date    string
	CPUs    int
	CPU     string
	Kernel  string
	Go      string
	Clang   string
	Bpftool string
	Libbpf  string
	Cilium  string
	GCC     string
}

func environment(c *config) *env {
	e := &env{Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), CPUs: runtime.NumCPU()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	e.Kernel = firstLine("uname", "-sr")
	e.Go = firstLine("go", "version")
	e.Clang = firstLine("clang-19", "--version")
	e.Bpftool = strings.Join(strings.Fields(strings.ReplaceAll(output("bpftool", "version"), "\n", "; ")), " ")
	e.Libbpf = "libbpf-dev " + firstLine("dpkg-query", "-W", "-f", "${Version}", "libbpf-dev")
	e.GCC = firstLine("gcc", "--version")
	e.Cilium = ciliumVersion(c)
	return e
}

// ciliumVersion reads the cilium/ebpf requirement from go.mod (this
// program links it, so the build info has it too).
func ciliumVersion(c *config) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/cilium/ebpf" {
				return d.Version
			}
		}
	}
	raw, err := os.ReadFile(c.root + "/go.mod")
	if err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "github.com/cilium/ebpf" {
				return f[1]
			}
		}
	}
	return "?"
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unavailable"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(name string, args ...string) string {
	s := output(name, args...)
	l, _, _ := strings.Cut(s, "\n")
	return l
}
