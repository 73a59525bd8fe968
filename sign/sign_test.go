package sign_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/sign"
)

// signer loads a test key pair from testdata.
func signer(t *testing.T, key, cert string) *sign.Signer {
	t.Helper()
	s, err := sign.LoadFiles(filepath.Join("testdata", key), filepath.Join("testdata", cert))
	if err != nil {
		t.Fatalf("loading %s/%s: %v", key, cert, err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	payload := bytes.Repeat([]byte("loader instructions and blob "), 100)
	for _, tc := range []struct {
		name, key, cert, alg string
	}{
		{"rsa-pem", "rsa.key", "rsa.crt", "RSA PKCS#1 v1.5"},
		{"rsa-der", "rsa.key.der", "rsa.crt.der", "RSA PKCS#1 v1.5"},
		{"ecdsa", "ecdsa.key", "ecdsa.crt", "ECDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := signer(t, tc.key, tc.cert)
			sig, err := s.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			info, err := sign.Parse(sig)
			if err != nil {
				t.Fatal(err)
			}
			if info.Algorithm != tc.alg || info.Digest != "SHA-256" || !bytes.Equal(info.SubjectKeyID, s.Certificate().SubjectKeyId) {
				t.Errorf("parsed %+v, want %s by SKI %x", info, tc.alg, s.Certificate().SubjectKeyId)
			}
			if err := sign.Verify(sig, payload, s.Certificate()); err != nil {
				t.Errorf("verify: %v", err)
			}
			bad := append([]byte(nil), payload...)
			bad[7] ^= 1
			if err := sign.Verify(sig, bad, s.Certificate()); err == nil {
				t.Error("a tampered payload verified")
			}
			other := signer(t, "other.key", "other.crt")
			if err := sign.Verify(sig, payload, other.Certificate()); err == nil {
				t.Error("verified against another certificate")
			}
		})
	}
}

// TestOpenSSL checks the signatures with OpenSSL's CMS verifier, the
// implementation bpftool uses to make them.
func TestOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl, which this cross-check needs, is not installed: %v", err)
	}
	dir := t.TempDir()
	payload := []byte("the bytes to sign\x00\x01\x02\n\r\n")
	pf := filepath.Join(dir, "payload")
	if err := os.WriteFile(pf, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, cert string }{{"rsa.key", "rsa.crt"}, {"ecdsa.key", "ecdsa.crt"}} {
		t.Run(tc.key, func(t *testing.T) {
			sig, err := signer(t, tc.key, tc.cert).Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			sf := filepath.Join(dir, tc.key+".sig")
			if err := os.WriteFile(sf, sig, 0o600); err != nil {
				t.Fatal(err)
			}
			cert := filepath.Join("testdata", tc.cert)
			verify := func(content string) ([]byte, error) {
				return exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sf,
					"-content", content, "-certfile", cert, "-CAfile", cert, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
			}
			if out, err := verify(pf); err != nil {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			bad := filepath.Join(dir, "bad")
			if err := os.WriteFile(bad, append(payload, 0), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := verify(bad); err == nil {
				t.Errorf("openssl verified a tampered payload:\n%s", out)
			}
			// What bpftool's flags make: no certificates, no signed attributes.
			out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sf).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -print: %v\n%s", err, out)
			}
			printed := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range []string{"signedAttrs: <ABSENT>", "certificates: <ABSENT>", "eContent: <ABSENT>", "d.subjectKeyIdentifier", "digestAlgorithm: algorithm: sha256"} {
				if !strings.Contains(printed, want) {
					t.Errorf("openssl's print of the signature lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct{ name, key, cert, want string }{
		{"no SKI", "noski.key", "noski.crt", "no subject key identifier"},
		{"key of another cert", "rsa.key", "other.crt", "not the key of the certificate"},
		{"cert as key", "rsa.crt", "rsa.crt", "parsing the signing key"},
		{"key as cert", "rsa.key", "rsa.key", "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.LoadFiles(filepath.Join("testdata", tc.key), filepath.Join("testdata", tc.cert))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  []byte
	}{
		{"empty", nil},
		{"garbage", []byte{0x30, 0x03, 1, 2, 3}},
		{"oversize", make([]byte, sign.MaxSize+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sign.Parse(tc.sig); err == nil {
				t.Error("parsed")
			}
		})
	}
}
