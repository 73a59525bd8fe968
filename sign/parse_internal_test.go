package sign

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseRefusesWellFormed checks the refusals that need a signature
// which decodes: each case takes a real signature, changes one thing the
// kernel's verifier would not accept, and encodes it again.
func TestParseRefusesWellFormed(t *testing.T) {
	s, err := LoadFiles(filepath.Join("testdata", "rsa.key"), filepath.Join("testdata", "rsa.crt"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := s.Sign([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	oidSHA1 := asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidDSA := asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	for _, tc := range []struct {
		name   string
		change func(ci *contentInfo)
		extra  []byte // appended after the encoding
		want   string
	}{
		{"two signers", func(ci *contentInfo) {
			ci.Content.SignerInfos = append(ci.Content.SignerInfos, ci.Content.SignerInfos[0])
		}, nil, "2 signers"},
		{"no signer", func(ci *contentInfo) { ci.Content.SignerInfos = nil }, nil, "0 signers"},
		{"SHA-1 digest", func(ci *contentInfo) {
			ci.Content.SignerInfos[0].DigestAlgorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA1}
		}, nil, "not SHA-256"},
		{"DSA algorithm", func(ci *contentInfo) {
			ci.Content.SignerInfos[0].SignatureAlgorithm = pkix.AlgorithmIdentifier{Algorithm: oidDSA}
		}, nil, "neither RSA nor ECDSA"},
		{"not SignedData", func(ci *contentInfo) { ci.ContentType = oidData }, nil, "not SignedData"},
		{"trailing bytes", func(*contentInfo) {}, []byte{0, 0}, "2 bytes after it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ci contentInfo
			if _, err := asn1.Unmarshal(good, &ci); err != nil {
				t.Fatal(err)
			}
			tc.change(&ci)
			der, err := asn1.Marshal(ci)
			if err != nil {
				t.Fatal(err)
			}
			der = append(der, tc.extra...)
			if _, err := Parse(der); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want an error with %q", err, tc.want)
			}
			if err := Verify(der, []byte("payload"), s.Certificate()); err == nil {
				t.Error("Verify accepted it")
			}
		})
	}
}
