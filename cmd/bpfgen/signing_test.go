package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/sign"
)

const (
	minimalObj = "../../testdata/minimal.bpf.o"
	keys       = "../../sign/testdata"
)

// TestSignFlags: --sign-key/--sign-cert sign both schemes; --payload-out
// writes what a scheme's signature covers; --signature attaches one made
// by openssl (checked against --sign-cert when given); dump shows them.
func TestSignFlags(t *testing.T) {
	dir := t.TempDir()
	signed := filepath.Join(dir, "signed.loader")
	if _, errs, code := runCmd(t, "loader", minimalObj, "-o", signed, "--sign-key", filepath.Join(keys, "ecdsa.key"), "--sign-cert", filepath.Join(keys, "ecdsa.crt")); code != 0 {
		t.Fatalf("loader --sign-key: exit %d: %s", code, errs)
	}
	l := readLoaderFile(t, signed)
	cert := certificate(t, "ecdsa.crt")
	for s := 0; s < abi.NumSchemes; s++ {
		if err := sign.Verify(l.Signatures[s], l.Payload(s), cert); err != nil {
			t.Errorf("scheme %s: %v", abi.SchemeName(s), err)
		}
	}
	out, errs, code := runCmd(t, "dump", signed)
	if code != 0 {
		t.Fatalf("dump: %s", errs)
	}
	for _, want := range []string{"signature v1 (instructions): ", "signature v2 (instructions and blob): ", "ECDSA with SHA-256, signer key id "} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q", want)
		}
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl, which this test signs with, is not installed: %v", err)
	}
	for _, tc := range []struct {
		scheme string
		index  int
	}{{"v1", abi.SchemeV1}, {"v2", abi.SchemeV2}} {
		t.Run("openssl "+tc.scheme, func(t *testing.T) {
			payload := filepath.Join(dir, tc.scheme+".payload")
			out := filepath.Join(dir, tc.scheme+".loader")
			if _, errs, code := runCmd(t, "loader", minimalObj, "-o", out, "--payload-out", payload, "--scheme", tc.scheme); code != 0 {
				t.Fatalf("--payload-out: exit %d: %s", code, errs)
			}
			unsigned := readLoaderFile(t, out)
			got, err := os.ReadFile(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, unsigned.Payload(tc.index)) || !unsigned.Signed {
				t.Fatalf("payload of %d bytes is not the %s payload of the signed loader", len(got), tc.scheme)
			}
			sig := filepath.Join(dir, tc.scheme+".sig")
			if b, err := exec.Command(openssl, "cms", "-sign", "-binary", "-noattr", "-nocerts", "-keyid", "-md", "sha256", "-outform", "DER",
				"-in", payload, "-signer", filepath.Join(keys, "rsa.crt"), "-inkey", filepath.Join(keys, "rsa.key"), "-out", sig).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, b)
			}
			if _, errs, code := runCmd(t, "loader", minimalObj, "-o", out, "--signature", tc.scheme+"="+sig, "--sign-cert", filepath.Join(keys, "rsa.crt")); code != 0 {
				t.Fatalf("--signature: exit %d: %s", code, errs)
			}
			l := readLoaderFile(t, out)
			if !bytes.Equal(l.Signatures[tc.index], mustRead(t, sig)) || len(l.Signatures[1-tc.index]) != 0 {
				t.Errorf("signature not attached for %s alone", tc.scheme)
			}
			// The other scheme's payload does not verify.
			other := "v1"
			if tc.scheme == "v1" {
				other = "v2"
			}
			if _, errs, code := runCmd(t, "loader", minimalObj, "-o", out, "--signature", other+"="+sig, "--sign-cert", filepath.Join(keys, "rsa.crt")); code == 0 || !strings.Contains(errs, "verification") {
				t.Errorf("a %s signature attached as %s: exit %d, %s", tc.scheme, other, code, errs)
			}
		})
	}
	// The signatures openssl made load: verified where the kernel checks
	// signatures, refused closed where it cannot.
	t.Run("openssl signatures load", func(t *testing.T) {
		testutil.RequireLoaders(t)
		behave.ExclusiveMaps.Require(t)
		both := filepath.Join(dir, "both.loader")
		if _, errs, code := runCmd(t, "loader", minimalObj, "-o", both, "--signature", "v1="+filepath.Join(dir, "v1.sig"),
			"--signature", "v2="+filepath.Join(dir, "v2.sig"), "--sign-cert", filepath.Join(keys, "rsa.crt")); code != 0 {
			t.Fatalf("--signature v1=… --signature v2=…: exit %d: %s", code, errs)
		}
		_, errs, code := runCmd(t, "run", both, "--cert", filepath.Join(keys, "rsa.crt"))
		switch {
		case behave.VerifiesSignatures() && code != 0:
			t.Errorf("run --cert of openssl's signatures: exit %d: %s", code, errs)
		case !behave.VerifiesSignatures() && (code == 0 || !strings.Contains(errs, "cannot verify") && !strings.Contains(errs, "asymmetric")):
			t.Errorf("run --cert on a kernel that cannot verify: exit %d: %s", code, errs)
		}
	})
}

// TestSignFlagErrors: what the signing flags refuse.
func TestSignFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"key without cert", []string{"--sign-key", filepath.Join(keys, "rsa.key")}, "--sign-key needs --sign-cert"},
		{"cert alone", []string{"--sign-cert", filepath.Join(keys, "rsa.crt")}, "--sign-cert needs --sign-key"},
		{"mismatched pair", []string{"--sign-key", filepath.Join(keys, "rsa.key"), "--sign-cert", filepath.Join(keys, "other.crt")}, "not the key of the certificate"},
		{"unknown scheme", []string{"--payload-out", filepath.Join(dir, "p"), "--scheme", "v3"}, "unknown signature scheme"},
		{"not a signature", []string{"--signature", filepath.Join(keys, "rsa.crt")}, "decoding the signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runCmd(t, append([]string{"loader", minimalObj, "-o", filepath.Join(dir, "x.loader")}, tc.args...)...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, errs, tc.want)
			}
		})
	}
}

// TestRunSigned: `run` refuses a signed loader the kernel cannot verify,
// loads it with --unsigned, and with --cert where the kernel verifies; so
// for a signed table loader, which a kernel verifies under scheme v2 only.
func TestRunSigned(t *testing.T) {
	testutil.RequireLoaders(t)
	behave.ExclusiveMaps.Require(t)
	for _, kind := range [][]string{nil, {"--table"}} {
		t.Run(strings.Join(append([]string{"loader"}, kind...), " "), func(t *testing.T) {
			signed := filepath.Join(t.TempDir(), "signed.loader")
			args := append([]string{"loader", minimalObj, "-o", signed, "--sign-key", filepath.Join(keys, "rsa.key"), "--sign-cert", filepath.Join(keys, "rsa.crt")}, kind...)
			if _, errs, code := runCmd(t, args...); code != 0 {
				t.Fatalf("loader: %s", errs)
			}
			if _, errs, code := runCmd(t, "run", signed, "--unsigned"); code != 0 {
				t.Errorf("run --unsigned: exit %d: %s", code, errs)
			}
			_, errs, code := runCmd(t, "run", signed, "--cert", filepath.Join(keys, "rsa.crt"))
			switch {
			case behave.VerifiesSignatures() && code != 0 && (kind == nil || !strings.Contains(errs, "rejected")):
				// A v1 kernel (6.19) rejects a table loader's v2 signature.
				t.Errorf("run --cert: exit %d: %s", code, errs)
			case !behave.VerifiesSignatures() && (code == 0 || !strings.Contains(errs, "cannot verify") && !strings.Contains(errs, "asymmetric")):
				t.Errorf("run --cert on a kernel that cannot verify: exit %d: %s", code, errs)
			}
			if _, errs, code := runCmd(t, "run", signed); code == 0 {
				t.Error("run with the builtin keyring loaded a loader signed by a test key")
			} else if !behave.VerifiesSignatures() && !strings.Contains(errs, "cannot verify BPF program signatures") {
				t.Errorf("run: %s", errs)
			}
		})
	}
}

// TestSignTable: `--table` with the signing flags makes a signed table
// loader signed for scheme v2 alone; scheme v1 is refused by name.
func TestSignTable(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "table.loader")
	if _, errs, code := runCmd(t, "loader", minimalObj, "--table", "-o", out, "--sign-key", filepath.Join(keys, "rsa.key"), "--sign-cert", filepath.Join(keys, "rsa.crt")); code != 0 {
		t.Fatalf("loader --table --sign-key: exit %d: %s", code, errs)
	}
	l := readLoaderFile(t, out)
	if !l.Table || !l.Signed || len(l.Signatures[abi.SchemeV1]) != 0 {
		t.Fatalf("table %v, signed %v, v1 signature of %d bytes; want a signed table loader without a v1 signature", l.Table, l.Signed, len(l.Signatures[abi.SchemeV1]))
	}
	if err := sign.Verify(l.Signatures[abi.SchemeV2], l.Payload(abi.SchemeV2), certificate(t, "rsa.crt")); err != nil {
		t.Errorf("v2 signature: %v", err)
	}
	dump, errs, code := runCmd(t, "dump", out)
	if code != 0 {
		t.Fatalf("dump: %s", errs)
	}
	for _, want := range []string{"signed table loader: scheme v2 only", "signature v2 (instructions and blob): "} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q", want)
		}
	}
	if strings.Contains(dump, "signature v1") {
		t.Error("dump shows a v1 signature slot for a table loader")
	}
	sig := filepath.Join(dir, "v2.sig")
	if err := os.WriteFile(sig, l.Signatures[abi.SchemeV2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"payload v1", []string{"--payload-out", filepath.Join(dir, "p"), "--scheme", "v1"}},
		{"signature v1", []string{"--signature", "v1=" + sig}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runCmd(t, append([]string{"loader", minimalObj, "--table", "-o", filepath.Join(dir, "x.loader")}, tc.args...)...)
			if code == 0 || !strings.Contains(errs, "signed for scheme v2 only") {
				t.Errorf("exit %d, stderr %q, want a refusal of scheme v1", code, errs)
			}
		})
	}
	// The v2 signature attaches to the table loader it was made for.
	if _, errs, code := runCmd(t, "loader", minimalObj, "--table", "-o", filepath.Join(dir, "y.loader"), "--signature", "v2="+sig, "--sign-cert", filepath.Join(keys, "rsa.crt")); code != 0 {
		t.Errorf("--signature v2=: exit %d: %s", code, errs)
	}
}

func readLoaderFile(t *testing.T, path string) *gen.Loader {
	t.Helper()
	l, _, err := gen.ReadFile(mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func certificate(t *testing.T, name string) *sign.Certificate {
	t.Helper()
	c, err := sign.ParseCertificate(mustRead(t, filepath.Join(keys, name)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
