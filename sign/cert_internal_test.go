package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// derOf reads a testdata file, PEM or DER, as DER.
func derOf(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		return blk.Bytes
	}
	return b
}

// TestCertificateAsX509 checks that the certificate reader gives what
// crypto/x509 gives for what signing uses.
func TestCertificateAsX509(t *testing.T) {
	for _, name := range []string{"rsa.crt", "rsa.crt.der", "ecdsa.crt", "other.crt", "noski.crt"} {
		t.Run(name, func(t *testing.T) {
			der := derOf(t, name)
			want, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseCertificateDER(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Raw, want.Raw) || !bytes.Equal(got.SubjectKeyId, want.SubjectKeyId) || got.Subject != want.Subject.String() {
				t.Errorf("got raw %d bytes, SKI %x, subject %q; want %d, %x, %q", len(got.Raw), got.SubjectKeyId, got.Subject,
					len(want.Raw), want.SubjectKeyId, want.Subject.String())
			}
			if pub, ok := got.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(want.PublicKey) {
				t.Errorf("public key %T differs from crypto/x509's %T", got.PublicKey, want.PublicKey)
			}
		})
	}
}

// TestPrivateKeyEncodings reads each key in every encoding signing
// accepts (PKCS#8, PKCS#1 for RSA, SEC 1 for EC, written by crypto/x509)
// and checks that it is the key crypto/x509 reads.
func TestPrivateKeyEncodings(t *testing.T) {
	var keys []crypto.Signer
	for _, name := range []string{"rsa.key", "ecdsa.key", "rsa.key.der"} {
		der := derOf(t, name)
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			if k, err = x509.ParsePKCS1PrivateKey(der); err != nil {
				t.Fatal(err)
			}
		}
		keys = append(keys, k.(crypto.Signer))
	}
	for _, c := range []elliptic.Curve{elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		p8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		encodings := map[string][]byte{"PKCS#8": p8}
		switch k := k.(type) {
		case *ecdsa.PrivateKey:
			if encodings["SEC 1"], err = x509.MarshalECPrivateKey(k); err != nil {
				t.Fatal(err)
			}
		case *rsa.PrivateKey:
			encodings["PKCS#1"] = x509.MarshalPKCS1PrivateKey(k)
		}
		for enc, der := range encodings {
			got, err := parsePrivateKeyDER(der)
			if err != nil {
				t.Errorf("%T, %s: %v", k, enc, err)
				continue
			}
			if !got.(interface{ Equal(crypto.PrivateKey) bool }).Equal(k) {
				t.Errorf("%T, %s: a different key", k, enc)
			}
		}
	}
}

// TestReadersRefuse checks that truncated, padded and foreign encodings
// are errors.
func TestReadersRefuse(t *testing.T) {
	cert, key := derOf(t, "rsa.crt"), derOf(t, "ecdsa.key")
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated", cert[:len(cert)/2]},
		{"trailing", append(append([]byte(nil), cert...), 0)},
		{"a key", key},
	} {
		if _, err := parseCertificateDER(tc.der); err == nil {
			t.Errorf("certificate %s: read", tc.name)
		}
	}
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated", key[:len(key)-3]},
		{"trailing", append(append([]byte(nil), key...), 0)},
		{"a certificate", cert},
	} {
		if _, err := parsePrivateKeyDER(tc.der); err == nil {
			t.Errorf("key %s: read", tc.name)
		}
	}
}

// FuzzParseCertificate: any bytes give a certificate or an error, never a
// panic; what crypto/x509 also reads has the same key and identifier.
func FuzzParseCertificate(f *testing.F) {
	for _, name := range []string{"rsa.crt", "ecdsa.crt", "noski.crt"} {
		f.Add(derOf(f, name))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		got, err := parseCertificateDER(der)
		if err != nil {
			return
		}
		want, err := x509.ParseCertificate(der)
		if err != nil {
			return // crypto/x509 checks more (validity, extensions) than signing needs
		}
		if !bytes.Equal(got.SubjectKeyId, want.SubjectKeyId) {
			t.Errorf("SKI %x, crypto/x509's %x", got.SubjectKeyId, want.SubjectKeyId)
		}
		if pub, ok := got.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(want.PublicKey) {
			t.Errorf("public key differs from crypto/x509's")
		}
	})
}

// FuzzParsePrivateKey: any bytes give a key or an error, never a panic.
func FuzzParsePrivateKey(f *testing.F) {
	for _, name := range []string{"rsa.key", "ecdsa.key"} {
		f.Add(derOf(f, name))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := parsePrivateKeyDER(der)
		if err == nil && k.Public() == nil {
			t.Error("a key without a public half")
		}
	})
}
