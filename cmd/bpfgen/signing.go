package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"github.com/bpfgen/bpfgen/btf"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
	"github.com/bpfgen/bpfgen/sign"
)

// signFlags are the signing flags of `bpfgen loader` and `bpfgen
// skeleton`.
type signFlags struct {
	key, cert  string
	payloadOut string
	scheme     string
	sigs       sigList
	// table makes a table loader (--table), which is no signing flag
	// but goes to the same generation.
	table bool
}

// sigList is the repeatable --signature [v1=|v2=]FILE flag.
type sigList []string

func (s *sigList) String() string     { return strings.Join(*s, ",") }
func (s *sigList) Set(v string) error { *s = append(*s, v); return nil }

// addSignFlags adds the signing flags to fs.
func addSignFlags(fs *flag.FlagSet) *signFlags {
	f := &signFlags{}
	fs.StringVar(&f.key, "sign-key", "", "sign the loader with the private key in `KEY` (PEM or DER, RSA or ECDSA), for both schemes")
	fs.StringVar(&f.cert, "sign-cert", "", "the signing key's X.509 certificate `CERT` (PEM or DER; names the signer)")
	fs.StringVar(&f.payloadOut, "payload-out", "", "write the bytes a signature of --scheme covers to `FILE`, to sign elsewhere")
	fs.StringVar(&f.scheme, "scheme", "v2", "signature scheme of --payload-out and of an unprefixed --signature: v1 (instructions) or v2 (instructions and blob)")
	fs.Var(&f.sigs, "signature", "attach the detached CMS signature in `[v1=|v2=]FILE` (repeatable)")
	fs.BoolVar(&f.table, "table", false, "make a table loader: one constant program replays the calls recorded in the blob (Linux 5.17)")
	return f
}

// signed reports whether any signing flag asks for a signed loader.
func (f *signFlags) signed() bool {
	return f.key != "" || f.cert != "" || f.payloadOut != "" || len(f.sigs) > 0
}

// parseScheme turns "v1" or "v2" into an abi scheme.
func parseScheme(s string) (int, error) {
	for i := 0; i < abi.NumSchemes; i++ {
		if s == abi.SchemeName(i) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown signature scheme %q (v1 or v2)", s)
}

// generateWith opens an object and generates its loader, signed as the
// flags say, laid out for the kernel BTF at btfPath if it is set.
func generateWith(path string, f *signFlags, btfPath string) (*gen.Loader, *object.Object, error) {
	obj, err := object.Open(path)
	if err != nil {
		return nil, nil, err
	}
	o := gen.Options{Signed: f.signed(), Table: f.table}
	if btfPath != "" {
		raw, err := object.ReadFile(btfPath)
		if err != nil {
			return nil, nil, err
		}
		if o.KernelBTF, err = btf.Parse(raw); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", btfPath, err)
		}
	}
	l, err := gen.GenerateWith(obj, nil, o)
	if err != nil {
		return nil, nil, err
	}
	if err := f.apply(l); err != nil {
		return nil, nil, err
	}
	return l, obj, nil
}

// apply signs l, attaches signatures and writes the payload, as the flags
// say.
func (f *signFlags) apply(l *gen.Loader) error {
	if !f.signed() {
		return nil
	}
	scheme, err := parseScheme(f.scheme)
	if err != nil {
		return err
	}
	if !l.HasScheme(scheme) && (f.payloadOut != "" || len(f.sigs) > 0) {
		return fmt.Errorf("--scheme %s: %s", f.scheme, errTableScheme)
	}
	if f.key != "" && f.cert == "" {
		return errors.New("--sign-key needs --sign-cert")
	}
	if f.cert != "" && f.key == "" && len(f.sigs) == 0 {
		return errors.New("--sign-cert needs --sign-key, or --signature to check")
	}
	var cert *sign.Certificate
	if f.key != "" {
		s, err := sign.LoadFiles(f.key, f.cert)
		if err != nil {
			return err
		}
		cert = s.Certificate()
		for sc := 0; sc < abi.NumSchemes; sc++ {
			if !l.HasScheme(sc) {
				continue
			}
			if l.Signatures[sc], err = s.Sign(l.Payload(sc)); err != nil {
				return fmt.Errorf("signing the %s payload: %w", abi.SchemeName(sc), err)
			}
		}
	} else if f.cert != "" {
		raw, err := os.ReadFile(f.cert)
		if err != nil {
			return fmt.Errorf("reading the certificate: %w", err)
		}
		if cert, err = sign.ParseCertificate(raw); err != nil {
			return err
		}
	}
	for _, v := range f.sigs {
		s, file := scheme, v
		if name, rest, ok := strings.Cut(v, "="); ok {
			if sc, err := parseScheme(name); err == nil {
				s, file = sc, rest
			}
		}
		if !l.HasScheme(s) {
			return fmt.Errorf("--signature %s: scheme %s: %s", v, abi.SchemeName(s), errTableScheme)
		}
		sig, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("reading the signature: %w", err)
		}
		if _, err := sign.Parse(sig); err != nil {
			return fmt.Errorf("signature %s: %w", file, err)
		}
		if cert != nil {
			if err := sign.Verify(sig, l.Payload(s), cert); err != nil {
				return fmt.Errorf("signature %s (scheme %s): %w", file, abi.SchemeName(s), err)
			}
		}
		l.Signatures[s] = sig
	}
	if f.payloadOut != "" {
		if err := os.WriteFile(f.payloadOut, l.Payload(scheme), 0o644); err != nil {
			return fmt.Errorf("writing the payload: %w", err)
		}
	}
	return nil
}

// errTableScheme is why a table loader is not signed for scheme v1.
var errTableScheme = errors.New("a table loader is signed for scheme v2 only (a v1 signature covers the instructions alone, which cannot vouch for a table loader's blob)")

// runFlags are the signature flags of `bpfgen run`.
type runFlags struct {
	cert     string
	keyring  int
	unsigned bool
	scheme   string
}

// addRunFlags adds the signature flags of `bpfgen run` to fs.
func addRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	fs.StringVar(&f.cert, "cert", "", "add the certificate in `CERT` (PEM or DER) to the session keyring and verify the loader's signature with it")
	fs.IntVar(&f.keyring, "keyring", 0, "verify the signature with keyring `ID` (0 builtin, 1 secondary, 2 platform, -3 session, or a serial)")
	fs.BoolVar(&f.unsigned, "unsigned", false, "load a signed loader without its signature")
	fs.StringVar(&f.scheme, "sig-scheme", "auto", "signature scheme: auto, v1 or v2")
	return f
}

// options fills the signature options of a run; the returned function
// removes the key --cert added.
func (f *runFlags) options(ro *lskel.RunOptions) (func(), error) {
	ro.Signed, ro.KeyringID, ro.Unsigned = lskel.Signed, int32(f.keyring), f.unsigned
	if f.scheme != "auto" {
		sc, err := parseScheme(f.scheme)
		if err != nil {
			return nil, fmt.Errorf("unknown signature scheme %q (auto, v1 or v2)", f.scheme)
		}
		ro.Scheme = lskel.SigScheme(sc + 1) // lskel's schemes count from SchemeAuto
	}
	if f.cert == "" {
		return func() {}, nil
	}
	raw, err := os.ReadFile(f.cert)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate: %w", err)
	}
	der, err := sign.CertificateDER(raw)
	if err != nil {
		return nil, err
	}
	// A session keyring that add_key creates belongs to this thread's
	// credentials only: the load must run on the same thread.
	runtime.LockOSThread()
	id, err := addSessionKey(der)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	ro.KeyringID = lskel.KeyringSession
	return func() {
		unlinkSessionKey(id)
		runtime.UnlockOSThread()
	}, nil
}

// dumpSignatures prints what a signed loader carries: the scheme each
// signature is for, its algorithm and signer.
func dumpSignatures(w io.Writer, l *gen.Loader) {
	if !l.Signed {
		return
	}
	if l.Table {
		fmt.Fprintf(w, "signed table loader: scheme v2 only (the kernel verifies the blob with the instructions); blob map exclusive to instructions with SHA-256 %s\n",
			hex.EncodeToString(l.InsnsHash))
	} else {
		fmt.Fprintf(w, "signed loader: blob checked against its SHA-256 in the instructions (step %q); blob map exclusive to instructions with SHA-256 %s\n",
			gen.StepCheckBlobHash, hex.EncodeToString(l.InsnsHash))
	}
	for s := 0; s < abi.NumSchemes; s++ {
		if !l.HasScheme(s) {
			continue
		}
		sig := l.Signatures[s]
		what := map[int]string{abi.SchemeV1: "instructions", abi.SchemeV2: "instructions and blob"}[s]
		if len(sig) == 0 {
			fmt.Fprintf(w, "signature %s (%s): none\n", abi.SchemeName(s), what)
			continue
		}
		info, err := sign.Parse(sig)
		if err != nil {
			fmt.Fprintf(w, "signature %s (%s): %d bytes, unreadable: %v\n", abi.SchemeName(s), what, len(sig), err)
			continue
		}
		fmt.Fprintf(w, "signature %s (%s): %d bytes, %s with %s, signer key id %s\n",
			abi.SchemeName(s), what, len(sig), info.Algorithm, info.Digest, hex.EncodeToString(info.SubjectKeyID))
	}
	fmt.Fprintln(w)
}
