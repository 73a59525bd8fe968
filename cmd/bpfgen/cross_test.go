package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// TestSameOutputOtherArch builds bpfgen for linux/386 (32-bit int and
// pointers) and linux/s390x (big-endian), runs them under qemu-user, and
// checks that, for every test object, inspect, loader, dump, skeleton and
// vmlinux (of the object's BTF, and of the running kernel's) write byte
// for byte what the linux/amd64 build writes: the generator's output must
// not depend on the machine it runs on. scripts/deps.sh
// installs qemu-user; without it the test fails where kernel tests must
// not skip (CI=true, BPFGEN_REQUIRE_KERNEL=1) and skips elsewhere.
func TestSameOutputOtherArch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bpfgen twice")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("runs a linux/386 build, which needs a linux/amd64 host (this is %s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Objects that cover global data, CO-RE, kconfig externs, ksyms and
	// size (100 programs); every command runs under qemu, so not all.
	objects := []string{"minimal", "globals", "core", "kconfig", "ksyms", "many"}
	tmp := t.TempDir()
	// Each build and how to run it on this host.
	archs := []struct{ arch, qemu string }{{"amd64", ""}, {"386", "qemu-i386"}, {"s390x", "qemu-s390x"}}
	runner := map[string]string{}
	for _, a := range archs {
		if a.qemu == "" {
			continue
		}
		p, err := exec.LookPath(a.qemu)
		if err != nil {
			testutil.SkipOrFail(t, "%s not found (apt-get install qemu-user; scripts/deps.sh does)", a.qemu)
		}
		runner[a.arch] = p
	}
	bins := map[string]string{}
	for _, a := range archs {
		arch := a.arch
		dir := filepath.Join(tmp, arch)
		bins[arch] = filepath.Join(dir, "bpfgen")
		cmd := exec.Command(testutil.GoTool(), "build", "-o", bins[arch], ".")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build for linux/%s: %v\n%s", arch, err, out)
		}
	}
	// run runs one build in its own directory; outputs named by relative
	// paths land there, so the two runs print the same paths.
	run := func(t *testing.T, arch, dir string, args ...string) (out string, files map[string][]byte) {
		var stdout, stderr bytes.Buffer
		var err error
		for try := 0; ; try++ {
			cmd := exec.Command(bins[arch], args...)
			if q := runner[arch]; q != "" {
				cmd = exec.Command(q, append([]string{bins[arch]}, args...)...)
				// Go's runtime crashes under qemu-user now and then ("bad
				// g in signal handler", "wirep: already in go"): fewer
				// threads and no preemption signals make it rare.
				cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1")
			}
			cmd.Dir = dir
			stdout.Reset()
			stderr.Reset()
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			// A Go runtime crash of the emulated binary is the
			// emulator's, not bpfgen's: run it again.
			if runner[arch] == "" || try == 4 || !strings.Contains(stderr.String(), "\nruntime stack:\n") {
				break
			}
			t.Logf("linux/%s bpfgen %s: the Go runtime crashed under %s, again (%d)", arch, strings.Join(args, " "), runner[arch], try+1)
		}
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("linux/%s bpfgen %s: %v", arch, strings.Join(args, " "), err)
		}
		files = map[string][]byte{}
		for _, a := range args {
			if strings.HasPrefix(a, "out.") {
				files[a], _ = os.ReadFile(filepath.Join(dir, a))
				os.Remove(filepath.Join(dir, a))
			}
		}
		return "stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String() + "\nerr: " + errString(err), files
	}
	// same runs bpfgen with args on every build, each in its own
	// directory under tmp/name, and compares with the amd64 build.
	same := func(t *testing.T, name string, args ...string) {
		dirs := map[string]string{}
		for _, a := range archs {
			dirs[a.arch] = filepath.Join(tmp, name, a.arch)
			if err := os.MkdirAll(dirs[a.arch], 0o755); err != nil {
				t.Fatal(err)
			}
		}
		want, wantFiles := run(t, "amd64", dirs["amd64"], args...)
		what := strings.Join(append([]string{args[0], name}, args[2:]...), " ")
		for _, a := range archs[1:] {
			got, gotFiles := run(t, a.arch, dirs[a.arch], args...)
			if got != want {
				t.Errorf("bpfgen %s: linux/%s and linux/amd64 differ\n%s:\n%.2000s\namd64:\n%.2000s", what, a.arch, a.arch, got, want)
			}
			for f, w := range wantFiles {
				if !bytes.Equal(gotFiles[f], w) {
					t.Errorf("bpfgen %s: %s differs between linux/%s (%d bytes) and linux/amd64 (%d bytes)", what, f, a.arch, len(gotFiles[f]), len(w))
				}
			}
		}
	}
	for _, name := range objects {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			obj := filepath.Join(root, "testdata", name+".bpf.o")
			for _, args := range [][]string{
				{"inspect", obj, "--json"},
				{"loader", obj, "-o", "out.loader"},
				{"dump", obj},
				{"skeleton", obj, "-package", "p", "-o", "out.go"},
				{"vmlinux", "--btf", obj, "-o", "out.h"},
			} {
				same(t, name, args...)
			}
		})
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err == nil {
		t.Run("kernel", func(t *testing.T) {
			t.Parallel()
			same(t, "kernel", "vmlinux", "-o", "out.h")
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
