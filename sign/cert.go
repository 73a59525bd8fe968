package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// This file reads certificates and private keys with encoding/asn1 rather
// than crypto/x509: crypto/x509 imports net, and net makes every program
// that links it (bpfgen, whatever the command) a cgo program, linked
// dynamically: about 1 ms more at each start, which is most of what
// `bpfgen loader` takes on a small object. Signing needs little of a
// certificate: its DER, subject (for messages), subject key identifier
// (which names the signer) and public key (RSA or ECDSA).

// Certificate is what signing uses of an X.509 certificate.
type Certificate struct {
	// Raw is the whole certificate, DER: what a kernel keyring takes.
	Raw []byte
	// Subject is the subject's distinguished name, for messages.
	Subject string
	// SubjectKeyId is the subject key identifier extension's value.
	SubjectKeyId []byte
	// PublicKey is an *rsa.PublicKey or an *ecdsa.PublicKey.
	PublicKey crypto.PublicKey
}

// More object identifiers: of key types, curves and the extension.
var (
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidP256          = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384          = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521          = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	oidSubjectKeyID  = asn1.ObjectIdentifier{2, 5, 29, 14}
	errTrailingBytes = errors.New("bytes after the encoding")
)

// certASN1 is Certificate (RFC 5280, 4.1).
type certASN1 struct {
	TBS                tbsASN1
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

// tbsASN1 is TBSCertificate; what signing does not use stays raw.
type tbsASN1 struct {
	Version         int `asn1:"optional,explicit,default:0,tag:0"`
	SerialNumber    *big.Int
	Signature       pkix.AlgorithmIdentifier
	Issuer          asn1.RawValue
	Validity        asn1.RawValue
	Subject         asn1.RawValue
	PublicKey       spkiASN1
	IssuerUniqueID  asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUniqueID asn1.BitString   `asn1:"optional,tag:2"`
	Extensions      []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

// spkiASN1 is SubjectPublicKeyInfo.
type spkiASN1 struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// parseCertificateDER reads a DER certificate.
func parseCertificateDER(der []byte) (*Certificate, error) {
	var c certASN1
	rest, err := asn1.Unmarshal(der, &c)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, errTrailingBytes
	}
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(c.TBS.Subject.FullBytes, &rdn); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("subject: %v", cmpErr(err))
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdn)
	pub, err := parsePublicKey(&c.TBS.PublicKey)
	if err != nil {
		return nil, err
	}
	out := &Certificate{Raw: der[:len(der):len(der)], Subject: name.String(), PublicKey: pub}
	for _, e := range c.TBS.Extensions {
		if !e.Id.Equal(oidSubjectKeyID) {
			continue
		}
		var ski []byte
		if rest, err := asn1.Unmarshal(e.Value, &ski); err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("subject key identifier: %v", cmpErr(err))
		}
		out.SubjectKeyId = ski
	}
	return out, nil
}

// cmpErr is err, or errTrailingBytes where a decoding left bytes over.
func cmpErr(err error) error {
	if err == nil {
		return errTrailingBytes
	}
	return err
}

// parsePublicKey reads an RSA or ECDSA (P-256, P-384, P-521) public key.
func parsePublicKey(spki *spkiASN1) (crypto.PublicKey, error) {
	bits := spki.PublicKey.RightAlign()
	switch alg := spki.Algorithm.Algorithm; {
	case alg.Equal(oidRSAEncryption):
		var k struct {
			N *big.Int
			E int
		}
		if rest, err := asn1.Unmarshal(bits, &k); err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("RSA public key: %v", cmpErr(err))
		}
		if k.N.Sign() <= 0 || k.N.BitLen() > maxRSABits || k.E < 3 || k.E&1 == 0 {
			return nil, errors.New("RSA public key: bad modulus or exponent")
		}
		return &rsa.PublicKey{N: k.N, E: k.E}, nil
	case alg.Equal(oidECPublicKey):
		curve, err := namedCurve(spki.Algorithm.Parameters.FullBytes)
		if err != nil {
			return nil, err
		}
		k, err := ecdsa.ParseUncompressedPublicKey(curve, bits)
		if err != nil {
			return nil, fmt.Errorf("ECDSA public key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("public key algorithm %v: neither RSA nor ECDSA", alg)
	}
}

// namedCurve reads the curve an EC key's parameters name.
func namedCurve(params []byte) (elliptic.Curve, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(params, &oid); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("EC key: named curve: %v", cmpErr(err))
	}
	switch {
	case oid.Equal(oidP256):
		return elliptic.P256(), nil
	case oid.Equal(oidP384):
		return elliptic.P384(), nil
	case oid.Equal(oidP521):
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("EC key: curve %v: not P-256, P-384 or P-521", oid)
}

// maxRSABits bounds RSA moduli (crypto/rsa refuses more than 16384 bits
// too).
const maxRSABits = 16384

// pkcs8ASN1 is PrivateKeyInfo (RFC 5208).
type pkcs8ASN1 struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// pkcs1ASN1 is RSAPrivateKey (RFC 8017, A.1.2), two primes.
type pkcs1ASN1 struct {
	Version          int
	N                *big.Int
	E                int
	D, P, Q          *big.Int
	Dp, Dq, Qinv     *big.Int
	AdditionalPrimes []asn1.RawValue `asn1:"optional"`
}

// sec1ASN1 is ECPrivateKey (RFC 5915).
type sec1ASN1 struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.RawValue  `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

// parsePrivateKeyDER reads a PKCS#8, PKCS#1 (RSA) or SEC 1 (EC) private
// key.
func parsePrivateKeyDER(der []byte) (crypto.Signer, error) {
	var p8 pkcs8ASN1
	if rest, err := asn1.Unmarshal(der, &p8); err == nil && len(rest) == 0 && p8.Algorithm.Algorithm != nil {
		switch alg := p8.Algorithm.Algorithm; {
		case alg.Equal(oidRSAEncryption):
			return parsePKCS1(p8.PrivateKey)
		case alg.Equal(oidECPublicKey):
			return parseSEC1(p8.PrivateKey, p8.Algorithm.Parameters.FullBytes)
		default:
			return nil, fmt.Errorf("PKCS#8 key of algorithm %v: neither RSA nor ECDSA", alg)
		}
	}
	if k, err := parsePKCS1(der); err == nil {
		return k, nil
	}
	return parseSEC1(der, nil)
}

// parsePKCS1 reads a two-prime RSA private key and checks it.
func parsePKCS1(der []byte) (*rsa.PrivateKey, error) {
	var k pkcs1ASN1
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("RSA private key: %v", cmpErr(err))
	}
	if k.Version != 0 || len(k.AdditionalPrimes) > 0 {
		return nil, errors.New("RSA private key: multi-prime keys are not supported")
	}
	// Bounded before the arithmetic: Validate's cost grows with the sizes.
	if k.N.Sign() <= 0 || k.N.BitLen() > maxRSABits || k.E < 3 || k.E&1 == 0 {
		return nil, errors.New("RSA private key: bad modulus or exponent")
	}
	for _, v := range []*big.Int{k.D, k.P, k.Q} {
		if v.Sign() <= 0 || v.Cmp(k.N) >= 0 {
			return nil, errors.New("RSA private key: a value is not between 0 and the modulus")
		}
	}
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: k.N, E: k.E}, D: k.D, Primes: []*big.Int{k.P, k.Q}}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("RSA private key: %w", err)
	}
	key.Precompute()
	return key, nil
}

// parseSEC1 reads an EC private key; params are the PKCS#8 algorithm's
// (the curve), nil when the key names its curve itself.
func parseSEC1(der, params []byte) (*ecdsa.PrivateKey, error) {
	var k sec1ASN1
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("EC private key: %v", cmpErr(err))
	}
	if k.Version != 1 {
		return nil, fmt.Errorf("EC private key: version %d, want 1", k.Version)
	}
	if len(k.Curve.Bytes) > 0 {
		params = k.Curve.Bytes // the OID inside the [0] tag
	}
	curve, err := namedCurve(params)
	if err != nil {
		return nil, err
	}
	// The scalar is written in the curve's size; some writers drop
	// leading zeros.
	size := (curve.Params().N.BitLen() + 7) / 8
	if len(k.PrivateKey) > size {
		return nil, errors.New("EC private key: scalar longer than the curve's order")
	}
	scalar := make([]byte, size)
	copy(scalar[size-len(k.PrivateKey):], k.PrivateKey)
	key, err := ecdsa.ParseRawPrivateKey(curve, scalar)
	if err != nil {
		return nil, fmt.Errorf("EC private key: %w", err)
	}
	return key, nil
}
