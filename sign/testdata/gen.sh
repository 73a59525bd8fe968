#!/bin/sh
# Generates the test keys and self-signed certificates the signing tests
# use. The outputs are committed, so tests need no openssl (except the
# cross-check with `openssl cms -verify`); rerun only to replace them.
#   rsa.key/rsa.crt     RSA 2048, PEM (rsa.key.der/rsa.crt.der: the same in DER)
#   ecdsa.key/ecdsa.crt ECDSA P-256, PEM
#   other.key/other.crt RSA 2048: a key no test loads into a keyring
#   noski.key/noski.crt RSA 2048 without a subject key identifier
set -eu
cd "$(dirname "$0")"
ext="-addext keyUsage=critical,digitalSignature -addext basicConstraints=critical,CA:FALSE"
mk() { # name keyopts subject extra...
	name=$1 subj=$2; shift 2
	openssl req -x509 -new -nodes -days 36500 -subj "/CN=$subj" -keyout "$name.key" -out "$name.crt" "$@"
}
mk rsa "bpfgen test RSA" -newkey rsa:2048 $ext -addext subjectKeyIdentifier=hash
mk ecdsa "bpfgen test ECDSA" -newkey ec -pkeyopt ec_paramgen_curve:P-256 $ext -addext subjectKeyIdentifier=hash
mk other "bpfgen test other" -newkey rsa:2048 $ext -addext subjectKeyIdentifier=hash
mk noski "bpfgen test no SKI" -newkey rsa:2048 -addext subjectKeyIdentifier=none -addext authorityKeyIdentifier=none $ext
openssl pkey -in rsa.key -outform DER -out rsa.key.der
openssl x509 -in rsa.crt -outform DER -out rsa.crt.der
