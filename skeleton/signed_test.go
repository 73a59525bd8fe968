package skeleton

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/sign"
)

// signedDriver loads the signed minimal skeleton four ways and prints
// what each gave: as users would (builtin keyring), with the test
// certificate in the session keyring, without verification, and (for
// the record) the scheme of a verified load.
const signedDriver = `
	pid := os.Getpid()
	_, err := LoadMinimal(nil)
	fmt.Println("builtin:", h.Errno(err), err != nil)
	opts := NewMinimalOptions()
	opts.KeyringID = lskel.KeyringSession
	// The session keyring add_key may create is this thread's only.
	runtime.LockOSThread()
	if cert := os.Getenv("SIGNED_CERT"); cert != "" {
		der, err := os.ReadFile(cert)
		h.Must(err)
		id, err := unix.AddKey("asymmetric", "", der, unix.KEY_SPEC_SESSION_KEYRING)
		h.Must(err)
		defer unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_SESSION_KEYRING, 0, 0)
	}
	objs, err := LoadMinimal(opts)
	if err != nil {
		fmt.Println("session:", h.Errno(err))
	} else {
		s, ok := objs.Verified()
		fmt.Println("session: verified", ok, s != lskel.SchemeAuto)
		objs.Close()
	}
	opts = &MinimalOptions{Unsigned: true}
	objs, err = LoadMinimal(opts)
	h.Must(err)
	h.Must(objs.Attach())
	syscall.Getpid()
	_, ok := objs.Verified()
	fmt.Println("unsigned: loaded, verified", ok, "rodata", objs.Rodata.FilterPid == 0, pid > 0)
	h.Must(objs.Close())
`

// TestSignedSkeleton builds a signed skeleton of minimal, unrolled and
// table, and runs it: on a kernel that cannot verify, only the explicitly
// unsigned load works; on one that verifies, the load with the test
// certificate in the session keyring does too (a table loader's v2
// signature on a v2 kernel; a v1 kernel refuses it).
func TestSignedSkeleton(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with a generated skeleton")
	}
	kernelOrSkip(t)
	behave.ExclusiveMaps.Require(t)
	for _, table := range []bool{false, true} {
		t.Run(map[bool]string{false: "unrolled", true: "table"}[table], func(t *testing.T) { signedSkeleton(t, table) })
	}
}

// signedSkeleton is TestSignedSkeleton for one kind of loader.
func signedSkeleton(t *testing.T, table bool) {
	root := repoRoot(t)
	obj, err := object.Open(filepath.Join(root, "testdata", "minimal.bpf.o"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.GenerateWith(obj, nil, gen.Options{Signed: true, Table: table})
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(root, "sign", "testdata")
	s, err := sign.LoadFiles(filepath.Join(keys, "rsa.key"), filepath.Join(keys, "rsa.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for sc := 0; sc < abi.NumSchemes; sc++ {
		if !l.HasScheme(sc) {
			continue
		}
		if l.Signatures[sc], err = s.Sign(l.Payload(sc)); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Generate(obj, l, testOptions("minimal", "main"))
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"MaxEntries map", "instead of the\n\t// object's"} {
		if strings.Contains(string(src), absent) {
			t.Errorf("signed skeleton has the override %q", absent)
		}
	}
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module e2e\n\ngo 1.26\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n\nreplace github.com/bpfgen/bpfgen => "+root+"\n")
	writeFile(t, filepath.Join(mod, "h", "h.go"), e2eHelpers)
	writeFile(t, filepath.Join(mod, "signed", "minimal_lskel.go"), string(src))
	writeFile(t, filepath.Join(mod, "signed", "main.go"), driverSource(signedDriver))
	bin := filepath.Join(mod, "signed.bin")
	cmd := exec.Command("go", "build", "-o", bin, "./signed")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the signed skeleton: %v\n%s", err, out)
	}
	run := exec.Command(bin)
	wants := []string{"builtin: operation not supported true\nsession: operation not supported\n"}
	if behave.VerifiesSignatures() {
		run.Env = append(os.Environ(), "SIGNED_CERT="+filepath.Join(keys, "rsa.crt.der"))
		// The builtin keyring lacks the test key.
		wants = []string{
			"builtin: required key not available true\nsession: verified true true\n",
			"builtin: key was rejected by service true\nsession: verified true true\n",
		}
		if table {
			// A v1 kernel (6.19) refuses the table loader's v2 signature.
			wants = append(wants, "builtin: key was rejected by service true\nsession: key was rejected by service\n")
		}
	}
	out, _ := run.CombinedOutput()
	for _, w := range wants {
		if string(out) == w+"unsigned: loaded, verified false rodata true true\n" {
			return
		}
	}
	t.Errorf("output:\n%s\nwant one of:\n%s\nthen: unsigned: loaded, verified false rodata true true", out, strings.Join(wants, "or\n"))
}
