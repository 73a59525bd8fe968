package lskel

import (
	"strconv"
	"syscall"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Signed enables signed loads: pass it as RunOptions.Signed. Only code
// that names it links what signed loaders need, so binaries without a
// signed skeleton carry none of it. (A function that fills a package
// variable rather than a value of a type that names abi.Loader: such a
// field would make RunOptions' type descriptor pull in the loader
// ABI's, 5 KiB.)
func Signed() { signedHooks.check, signedHooks.load = checkSigned, loadSigned }

// signedHooks are the signed load's steps once Signed has run.
var signedHooks struct {
	check func(l *abi.Loader, opts sigOpts) error
	load  func(l *abi.Loader, blob int, opts sigOpts) (prog int, scheme SigScheme, err error)
}

// sigOpts are the RunOptions a signed load reads, passed by value: a
// *RunOptions given to a function value would escape, and a RunOptions
// on the heap needs its type descriptor and every type it names.
type sigOpts struct {
	MaxEntries, InitialValues bool // set in RunOptions
	KeyringID                 int32
	Scheme                    SigScheme
	Unsigned                  bool
	LogLevel                  uint32
	LogSize                   int
}

// stepHashBlob is the runtime's step of a signed load that has the kernel
// hash the frozen blob.
const stepHashBlob = "hash blob map"

// Keyrings for RunOptions.KeyringID.
const (
	KeyringBuiltin = 0  // the kernel's builtin trusted keys
	KeyringSession = -3 // KEY_SPEC_SESSION_KEYRING: the caller's session keyring
)

// SigScheme is a signature scheme of signed loaders
// (docs/loader-format.md, "Signed loaders").
type SigScheme uint8

// Signature schemes.
const (
	SchemeAuto SigScheme = iota // try v2, then v1
	SchemeV1                    // Linux 6.18: the signature covers the instructions
	SchemeV2                    // load-time: instructions and blob
)

// String names s ("v1", "v2", "auto").
func (s SigScheme) String() string {
	if s == SchemeAuto {
		return "auto"
	}
	return abi.SchemeName(int(s) - 1)
}

// SignatureError is a signed loader whose signature the kernel did not
// verify: Errno says why (EOPNOTSUPP: the kernel cannot verify
// signatures; EKEYREJECTED: the signature does not match the loader
// or the key; ENOKEY: no key of the keyring made it; EBADMSG: malformed;
// EINVAL: unknown keyring).
type SignatureError struct {
	Errno   syscall.Errno
	Scheme  SigScheme
	Keyring int32
}

// Error says why the signature was not verified and, where the kernel
// cannot verify signatures, how to load the loader unsigned.
func (e *SignatureError) Error() string {
	msg := "signature (scheme " + e.Scheme.String() + ", keyring " + strconv.Itoa(int(e.Keyring)) + ") "
	switch e.Errno {
	case errnoOpNotSupp, errnoE2BIG:
		// E2BIG: a kernel before 6.18 has no signature fields.
		return msg + "not verified: this kernel cannot verify BPF program signatures (" + e.Errno.Error() + "); not loaded unverified without RunOptions.Unsigned"
	}
	return msg + "refused: " + e.Errno.Error()
}

// Unwrap returns the errno, for errors.Is.
func (e *SignatureError) Unwrap() error { return e.Errno }

// checkSigned refuses, before anything is created, a signed loader that
// could not be loaded verified as it was signed: options that change
// what it loads (the loader ignores them), and a loader without the
// signature a load asks for.
func checkSigned(l *abi.Loader, opts sigOpts) error {
	if opts.MaxEntries {
		return fail(l, "signed loader: RunOptions.MaxEntries would change what the signature covers; a signed loader creates its maps as the object says")
	}
	if opts.InitialValues {
		return fail(l, "signed loader: RunOptions.InitialValues would change what the signature covers; a signed loader's global data is the object's")
	}
	if len(l.InsnsHash) != 32 {
		return fail(l, "signed loader without the 32-byte SHA-256 of its instructions")
	}
	if opts.Unsigned {
		return nil
	}
	if opts.Scheme > SchemeV2 {
		return fail(l, "RunOptions.Scheme: unknown scheme "+strconv.Itoa(int(opts.Scheme)))
	}
	if opts.Scheme != SchemeAuto && !l.HasScheme(int(opts.Scheme)-1) {
		return fail(l, "signed table loader: scheme "+opts.Scheme.String()+" cannot cover its blob; a table loader is verified under scheme v2 only")
	}
	if len(schemes(l, opts)) == 0 {
		return fail(l, "signed loader has no signature for scheme "+opts.Scheme.String()+": sign it, or pass RunOptions.Unsigned to load it without verification")
	}
	return nil
}

// schemes lists the schemes to try, in order, for a signed load.
func schemes(l *abi.Loader, opts sigOpts) []SigScheme {
	var out []SigScheme
	for _, s := range []SigScheme{SchemeV2, SchemeV1} {
		if (opts.Scheme == SchemeAuto || opts.Scheme == s) && l.HasScheme(int(s)-1) && len(l.Signatures[s-1]) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// loadSigned has the kernel hash the frozen blob (the loader's first step
// compares that hash with its own), then loads the loader with its
// signature, scheme by scheme (v2 binds the blob with fd_array_cnt 1), and
// returns the scheme the kernel verified.
func loadSigned(l *abi.Loader, blob int, opts sigOpts) (int, SigScheme, error) {
	if _, err := kernel.MapHash(blob); err != nil {
		return -1, SchemeAuto, stepErr(l, stepHashBlob, err)
	}
	if l.Table && !tableOn {
		return -1, SchemeAuto, fail(l, "table loader: pass RunOptions.Table")
	}
	if opts.Unsigned {
		fd, err := loaderHooks.load(l, blob, -1, opts.LogLevel, opts.LogSize)
		return fd, SchemeAuto, err
	}
	btf := -1
	if l.Table {
		// Its BTF and func_info are no part of what a signature covers:
		// they describe the functions of the instructions, which it
		// does cover, and a wrong one only fails the load.
		var err error
		if btf, err = loadLoaderBTF(l); err != nil {
			return -1, SchemeAuto, err
		}
		defer closeFD(btf)
	}
	var err error
	for _, s := range schemes(l, opts) {
		var fd int
		fd, err = loadSignedLoader(l, blob, btf, l.Signatures[s-1], s, opts.KeyringID)
		if err == nil {
			return fd, s, nil
		}
		errno := kernel.ErrnoOf(err)
		err = &LoadError{Object: l.Name, Step: stepLoadLoader, Err: &SignatureError{Errno: errno, Scheme: s, Keyring: opts.KeyringID}}
		if errno != errnoKeyRejected && errno != errnoEACCES {
			break
		}
		// Signed for the other scheme's kernel, or not signed right:
		// the next scheme, if any, decides.
	}
	return -1, SchemeAuto, err
}

// loadSignedLoader loads the loader program with signature sig of scheme
// s, checked against keyring; btf, when not -1, is a table loader's BTF.
// A signature the kernel refuses is no verifier matter: there is no log.
func loadSignedLoader(l *abi.Loader, blob, btf int, sig []byte, s SigScheme, keyring int32) (int, error) {
	p := loaderAttr(l, blob)
	p.Signature, p.KeyringID = sig, keyring
	if btf >= 0 {
		p.BTFFD, p.FuncInfoRecSize, p.FuncInfo = uint32(btf), 8, l.LoaderFuncInfo
	}
	if s == SchemeV2 {
		// v2 verifies the maps bound through fd_array with the
		// instructions. (v1 kernels check excl_prog_hash of maps bound
		// this way before the program's hash is known: Linux 6.18
		// refuses the load with EACCES.)
		p.FDArrayCnt = 1
	}
	fd, _, err := kernel.ProgLoad(p)
	return fd, err
}
