// Package sign makes and reads the signatures of signed loaders: detached
// PKCS#7/CMS SignedData (RFC 5652), DER encoded, as bpftool makes them —
// one signer identified by its subject key identifier, digest SHA-256, no
// signed attributes, no certificates — so that the kernel's PKCS#7
// verifier checks them against a key in a keyring.
//
// Only the generator and the command line use it: the runtime that
// generated skeletons link carries signatures as bytes and links no
// cryptography (internal/layers/rules.go).
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// MaxSize is the largest signature bpftool writes (MAX_SIG_SIZE); a
// larger one is refused.
const MaxSize = 4096

// Object identifiers of the encoding.
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA2 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// contentInfo is ContentInfo with SignedData as its content.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     signedData `asn1:"explicit,tag:0"`
}

// signedData is SignedData without certificates or CRLs.
type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	SignerInfos      []signerInfo `asn1:"set"`
}

// encapContentInfo names the content type; the content is detached.
type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
}

// signerInfo is SignerInfo with sid = [0] subjectKeyIdentifier and no
// signed or unsigned attributes.
type signerInfo struct {
	Version            int
	SubjectKeyID       []byte `asn1:"tag:0"`
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

// Signer signs payloads with one private key, as the holder of one
// certificate.
type Signer struct {
	key  crypto.Signer
	cert *Certificate
}

// LoadFiles reads a private key and its certificate, each PEM or DER, and
// returns their signer.
func LoadFiles(keyPath, certPath string) (*Signer, error) {
	k, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	c, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("reading the signing certificate: %w", err)
	}
	return New(k, c)
}

// New returns the signer of a private key (PKCS#8, PKCS#1 or SEC 1; PEM or
// DER; RSA or ECDSA) and its X.509 certificate (PEM or DER), which must
// carry a subject key identifier and the key's public half.
func New(key, cert []byte) (*Signer, error) {
	c, err := ParseCertificate(cert)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(key)
	if err != nil {
		return nil, err
	}
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(c.PublicKey) {
		return nil, errors.New("signing key: not the key of the certificate " + c.Subject)
	}
	if len(c.SubjectKeyId) == 0 {
		return nil, errors.New("signing certificate " + c.Subject + " has no subject key identifier, which names the signer")
	}
	return &Signer{key: k, cert: c}, nil
}

// Certificate is the signer's certificate.
func (s *Signer) Certificate() *Certificate { return s.cert }

// Sign returns the detached CMS signature of payload.
func (s *Signer) Sign(payload []byte) ([]byte, error) {
	digest := sha256.Sum256(payload)
	var sigAlg pkix.AlgorithmIdentifier
	switch s.key.(type) {
	case *rsa.PrivateKey:
		// As OpenSSL writes it: rsaEncryption, NULL parameters.
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue}
	case *ecdsa.PrivateKey:
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA2}
	default:
		return nil, fmt.Errorf("signing: unsupported key type %T (RSA or ECDSA)", s.key)
	}
	raw, err := s.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing the payload: %w", err)
	}
	sha := pkix.AlgorithmIdentifier{Algorithm: oidSHA256}
	ci := contentInfo{
		ContentType: oidSignedData,
		Content: signedData{
			Version:          3, // sid is a subject key identifier
			DigestAlgorithms: []pkix.AlgorithmIdentifier{sha},
			EncapContentInfo: encapContentInfo{EContentType: oidData},
			SignerInfos: []signerInfo{{
				Version:            3,
				SubjectKeyID:       s.cert.SubjectKeyId,
				DigestAlgorithm:    sha,
				SignatureAlgorithm: sigAlg,
				Signature:          raw,
			}},
		},
	}
	der, err := asn1.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("encoding the signature: %w", err)
	}
	if len(der) > MaxSize {
		return nil, fmt.Errorf("signature of %d bytes, more than %d", len(der), MaxSize)
	}
	return der, nil
}

// Info is what a signature says about itself.
type Info struct {
	// SubjectKeyID names the signer's key.
	SubjectKeyID []byte
	// Digest and Algorithm name the digest and signature algorithms.
	Digest, Algorithm string
	// Raw is the signature value proper.
	Raw []byte
}

// Parse decodes a detached CMS signature of the form Sign writes.
func Parse(der []byte) (*Info, error) {
	if len(der) > MaxSize {
		return nil, fmt.Errorf("signature of %d bytes, more than %d", len(der), MaxSize)
	}
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("decoding the signature: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("decoding the signature: %d bytes after it", len(rest))
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("signature: content type %v, not SignedData", ci.ContentType)
	}
	if n := len(ci.Content.SignerInfos); n != 1 {
		return nil, fmt.Errorf("signature: %d signers, want 1", n)
	}
	si := ci.Content.SignerInfos[0]
	if !si.DigestAlgorithm.Algorithm.Equal(oidSHA256) {
		return nil, fmt.Errorf("signature: digest %v, not SHA-256", si.DigestAlgorithm.Algorithm)
	}
	info := &Info{SubjectKeyID: si.SubjectKeyID, Digest: "SHA-256", Raw: si.Signature}
	switch alg := si.SignatureAlgorithm.Algorithm; {
	case alg.Equal(oidRSAEncryption), alg.Equal(oidSHA256WithRSA):
		info.Algorithm = "RSA PKCS#1 v1.5"
	case alg.Equal(oidECDSAWithSHA2):
		info.Algorithm = "ECDSA"
	default:
		return nil, fmt.Errorf("signature: algorithm %v, neither RSA nor ECDSA", alg)
	}
	return info, nil
}

// Verify checks the detached signature der of payload against cert.
func Verify(der, payload []byte, cert *Certificate) error {
	info, err := Parse(der)
	if err != nil {
		return err
	}
	if !bytes.Equal(info.SubjectKeyID, cert.SubjectKeyId) {
		return fmt.Errorf("signature by key %x, not by %s (key %x)", info.SubjectKeyID, cert.Subject, cert.SubjectKeyId)
	}
	digest := sha256.Sum256(payload)
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], info.Raw); err != nil {
			return fmt.Errorf("verifying the RSA signature: %w", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], info.Raw) {
			return errors.New("verifying the ECDSA signature: does not match the payload")
		}
	default:
		return fmt.Errorf("verifying: unsupported public key %T", pub)
	}
	return nil
}

// ParseCertificate reads an X.509 certificate, PEM or DER.
func ParseCertificate(b []byte) (*Certificate, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("certificate: PEM block %q, want CERTIFICATE", blk.Type)
		}
		b = blk.Bytes
	}
	c, err := parseCertificateDER(b)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	return c, nil
}

// CertificateDER returns a certificate given PEM or DER as DER, the form
// the kernel's asymmetric keys take.
func CertificateDER(b []byte) ([]byte, error) {
	c, err := ParseCertificate(b)
	if err != nil {
		return nil, err
	}
	return c.Raw, nil
}

// parseKey reads a private key in any of the usual encodings.
func parseKey(b []byte) (crypto.Signer, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	s, err := parsePrivateKeyDER(b)
	if err != nil {
		return nil, fmt.Errorf("parsing the signing key: neither PKCS#8, PKCS#1 nor SEC 1 of RSA or ECDSA (%w)", err)
	}
	return s, nil
}
