package gen_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/sign"
)

// signedLoader generates the signed loader of object name, signed for
// both schemes with the test key pair key (sign/testdata).
func signedLoader(t *testing.T, name, key string) *gen.Loader {
	t.Helper()
	return signedLoaderIn(t, name, key, gen.Options{})
}

// signedLoaderIn generates the signed loader of object name as opts
// says, signed with key for every scheme it can be signed for (a table
// loader: v2 only).
func signedLoaderIn(t *testing.T, name, key string, opts gen.Options) *gen.Loader {
	t.Helper()
	opts.Signed = true
	l, err := gen.GenerateWith(open(t, name), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadFiles(filepath.Join("../sign/testdata", key+".key"), filepath.Join("../sign/testdata", key+".crt"))
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
	return l
}

// runSigned runs l and checks the error against want ("" for success)
// and errno (0: any); it closes what a successful run made.
func runSigned(t *testing.T, l *gen.Loader, opts *lskel.RunOptions, want string, errno unix.Errno) *lskel.Result {
	t.Helper()
	switch {
	case opts.Signed == nil:
		opts.Signed = lskel.Signed
	case reflect.ValueOf(opts.Signed).Pointer() == reflect.ValueOf(noSigned).Pointer():
		opts.Signed = nil
	}
	if l.Table {
		opts.Table = lskel.Table
	}
	res, err := lskel.Run(&l.Loader, opts)
	switch {
	case want == "" && err != nil:
		t.Fatalf("run: %v", err)
	case want != "" && err == nil:
		res.Close()
		t.Fatalf("run succeeded, want an error with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("run: %v, want an error with %q", err, want)
	case want != "" && errno != 0 && !errors.Is(err, errno):
		t.Fatalf("run: %v, want errno %v", err, errno)
	}
	if res != nil {
		t.Cleanup(func() { res.Close() })
	}
	return res
}

// noSigned in a test's options stands for RunOptions.Signed left nil.
func noSigned() {}

// TestSignedLoaderChecks: a signed loader loaded without its signature
// keeps the exclusive blob map (and an unrolled one its blob check), on
// any kernel with map hashes (Linux 6.18); options that change what it
// loads are refused before anything is created; a table loader is
// refused scheme v1 by name.
func TestSignedLoaderChecks(t *testing.T) {
	behave.SyscallProgs.Require(t)
	type check struct {
		name   string
		change func(l *gen.Loader)
		opts   lskel.RunOptions
		want   string
		errno  unix.Errno
	}
	common := []check{
		{name: "unsigned load", opts: lskel.RunOptions{Unsigned: true}},
		{name: "tampered instructions", change: func(l *gen.Loader) { l.Insns[len(l.Insns)-12] ^= 1 },
			opts: lskel.RunOptions{Unsigned: true}, want: "excl_prog_hash", errno: unix.EACCES},
		{name: "max_entries override", opts: lskel.RunOptions{Unsigned: true, MaxEntries: map[string]uint32{"counts": 1}}, want: "MaxEntries would change what the signature covers"},
		{name: "initial value override", opts: lskel.RunOptions{InitialValues: map[string][]byte{".rodata": make([]byte, 4)}}, want: "InitialValues would change"},
		{name: "without RunOptions.Signed", opts: lskel.RunOptions{Unsigned: true, Signed: noSigned}, want: "pass RunOptions.Signed"},
		{name: "no hash of the instructions", change: func(l *gen.Loader) { l.InsnsHash = nil },
			opts: lskel.RunOptions{Unsigned: true}, want: "SHA-256 of its instructions"},
	}
	byMode := map[string][]check{
		"unrolled": {
			{name: "tampered blob", change: func(l *gen.Loader) { l.Data[len(l.Data)-1] ^= 1 },
				opts: lskel.RunOptions{Unsigned: true}, want: gen.StepCheckBlobHash, errno: unix.EINVAL},
			{name: "no signature of the scheme", change: func(l *gen.Loader) { l.Signatures[abi.SchemeV1] = nil },
				opts: lskel.RunOptions{Scheme: lskel.SchemeV1}, want: "no signature for scheme v1"},
		},
		"table": {
			{name: "scheme v1", opts: lskel.RunOptions{Scheme: lskel.SchemeV1}, want: "scheme v1 cannot cover its blob"},
			// A v1 signature that came with it is not tried either.
			{name: "v1 signature", change: func(l *gen.Loader) { l.Signatures[abi.SchemeV1] = l.Signatures[abi.SchemeV2] },
				opts: lskel.RunOptions{Scheme: lskel.SchemeV1}, want: "scheme v1 cannot cover its blob"},
			{name: "no v2 signature", change: func(l *gen.Loader) { l.Signatures[abi.SchemeV2] = nil },
				want: "no signature for scheme auto"},
		},
	}
	for _, mode := range loaderModes {
		for _, tc := range append(common, byMode[mode.name]...) {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				l := signedLoaderIn(t, "minimal", "rsa", mode.opts)
				if tc.change != nil {
					tc.change(l)
				}
				if tc.errno != 0 || tc.want == "" {
					behave.ExclusiveMaps.Require(t)
				}
				res := runSigned(t, l, &tc.opts, tc.want, tc.errno)
				if res != nil {
					if s, ok := res.Verified(); ok {
						t.Errorf("unsigned load reports a verified scheme %v", s)
					}
					if res.NumMaps() != len(l.Maps) || res.Map(0) == nil || res.Map(0).FD() < 0 {
						t.Errorf("unsigned load made %d maps, want %d", res.NumMaps(), len(l.Maps))
					}
				}
			})
		}
	}
}

// TestSignedTableLoader: a signed table loader is signed for scheme v2
// only, its blob is one value, and it survives its file format; its
// instructions are those of its blob's size class, not the unsigned
// table loader's.
func TestSignedTableLoader(t *testing.T) {
	l := signedLoaderIn(t, "minimal", "rsa", gen.Options{Table: true})
	many := signedLoaderIn(t, "many", "rsa", gen.Options{Table: true})
	if len(many.Data) == len(l.Data) && !bytes.Equal(many.Insns, l.Insns) {
		t.Error("signed table loaders of one size class have different instructions")
	}
	// Loaded without verification (the host's kernel cannot verify), its
	// program addresses every element of its one value: each map and
	// program is made.
	behave.SyscallProgs.Require(t)
	behave.ExclusiveMaps.Require(t)
	for _, tl := range []*gen.Loader{l, many} {
		res := runSigned(t, tl, &lskel.RunOptions{Unsigned: true}, "", 0)
		if res.NumMaps() != len(tl.Maps) || res.NumPrograms() != len(tl.Progs) {
			t.Errorf("%s: %d maps, %d programs, want %d and %d", tl.Name, res.NumMaps(), res.NumPrograms(), len(tl.Maps), len(tl.Progs))
		}
		for i := range res.NumPrograms() {
			if res.Program(i) == nil || res.Program(i).FD() < 0 {
				t.Errorf("%s: program %d not loaded", tl.Name, i)
			}
		}
		res.Close()
	}
	if !l.Signed || l.HasScheme(abi.SchemeV1) || !l.HasScheme(abi.SchemeV2) {
		t.Errorf("signed %v, v1 %v, v2 %v; want a signed loader for v2 only", l.Signed, l.HasScheme(abi.SchemeV1), l.HasScheme(abi.SchemeV2))
	}
	if l.Signatures[abi.SchemeV1] != nil || l.Signatures[abi.SchemeV2] == nil {
		t.Errorf("signatures v1 %d bytes, v2 %d bytes; want v2 only", len(l.Signatures[abi.SchemeV1]), len(l.Signatures[abi.SchemeV2]))
	}
	// One value (what a v2 kernel folds into the signature) of a power
	// of two elements, the size class the program's bounds name.
	if n := len(l.Data) / abi.TableElemSize; len(l.Data)%abi.TableElemSize != 0 || n&(n-1) != 0 {
		t.Errorf("signed table blob of %d bytes, want a power of two of %d-byte elements", len(l.Data), abi.TableElemSize)
	}
	var buf bytes.Buffer
	if err := l.WriteFile(&buf, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(buf.Bytes()[8:]); v != gen.FileVersionSignedTable {
		t.Errorf("file version %d, want %d", v, gen.FileVersionSignedTable)
	}
	back, _, err := gen.ReadFile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !back.Table || !back.Signed || !bytes.Equal(back.Signatures[abi.SchemeV2], l.Signatures[abi.SchemeV2]) || !bytes.Equal(back.Data, l.Data) {
		t.Error("signed table loader read back differs")
	}
}

// TestSchemeOnUnsignedLoader: signature options do not apply to an
// unsigned loader, which loads as before and reports no verification.
func TestSchemeOnUnsignedLoader(t *testing.T) {
	behave.SyscallProgs.Require(t)
	l := generate(t, "minimal")
	res := runSigned(t, l, &lskel.RunOptions{Scheme: lskel.SchemeV2, KeyringID: lskel.KeyringSession, Signed: noSigned}, "", 0)
	if s, ok := res.Verified(); ok {
		t.Errorf("unsigned loader reports verified scheme %v", s)
	}
}

// TestExclusiveBlobMap: the blob map of a signed loader can be used by
// the loader only; another program that names it is refused.
func TestExclusiveBlobMap(t *testing.T) {
	behave.SyscallProgs.Require(t)
	behave.ExclusiveMaps.Require(t)
	l := signedLoader(t, "minimal", "rsa")
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: uint32(len(l.Data)), MaxEntries: 1, ExclProgHash: l.InsnsHash})
	if err != nil {
		t.Fatalf("exclusive map (Linux 6.18): %v", err)
	}
	defer unix.Close(fd)
	// r1 = map value (fd_array[0]); r0 = *(u32 *)r1; exit
	other := []byte{
		0x18, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x61, 0x10, 0, 0, 0, 0, 0, 0,
		0x95, 0, 0, 0, 0, 0, 0, 0,
	}
	for _, tc := range []struct {
		name  string
		insns []byte
		errno unix.Errno
	}{
		{"another program", other, unix.EACCES},
		{"the loader", l.Insns, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pfd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{Type: unix.BPF_PROG_TYPE_SYSCALL, Flags: unix.BPF_F_SLEEPABLE, Insns: tc.insns, License: "GPL", FDArray: []int32{int32(fd)}})
			if err == nil {
				unix.Close(pfd)
			}
			if tc.errno == 0 && err != nil {
				t.Fatalf("load: %v", err)
			}
			if tc.errno != 0 && !errors.Is(err, tc.errno) {
				t.Fatalf("load: %v, want %v", err, tc.errno)
			}
		})
	}
}

// TestSignedLoadFailsClosed: a signed loader that the kernel does not
// verify is not loaded. Where the kernel cannot verify (the probe's
// EOPNOTSUPP or E2BIG) the error says so and how to load it unsigned;
// where it verifies, no keyring holds the test key here (ENOKEY; EINVAL
// for a session keyring that does not exist).
func TestSignedLoadFailsClosed(t *testing.T) {
	behave.SyscallProgs.Require(t)
	behave.ExclusiveMaps.Require(t)
	probe := behave.SignatureProbe()
	var errno unix.Errno
	if !errors.As(probe, &errno) {
		t.Fatalf("signature probe: %v, want an errno", probe)
	}
	verifies := behave.VerifiesSignatures()
	want := []unix.Errno{errno}
	if verifies {
		want = []unix.Errno{unix.ENOKEY, unix.EKEYREJECTED, unix.EINVAL}
	}
	for _, mode := range loaderModes {
		l := signedLoaderIn(t, "minimal", "rsa", mode.opts)
		all := []lskel.RunOptions{{}, {KeyringID: lskel.KeyringSession}, {Scheme: lskel.SchemeV1}}
		if l.Table {
			all = all[:2] // v2 only
		}
		for _, opts := range all {
			failsClosed(t, l, runOptsFor(l, opts), want, verifies, probe)
		}
	}
}

// failsClosed runs the signed loader l, which the kernel must not load,
// and checks the error: a SignatureError with one of the errnos want,
// which says how to load unsigned where the kernel cannot verify.
func failsClosed(t *testing.T, l *gen.Loader, opts *lskel.RunOptions, want []unix.Errno, verifies bool, probe error) {
	t.Helper()
	opts.Signed = lskel.Signed
	res, err := lskel.Run(&l.Loader, opts)
	if err == nil {
		res.Close()
		t.Fatalf("run %s (table %v) %+v: loaded", l.Name, l.Table, *opts)
	}
	var se *lskel.SignatureError
	if !errors.As(err, &se) || !slices.Contains(want, se.Errno) {
		t.Fatalf("run %s (table %v) %+v: %v, want a SignatureError with one of %v (probe: %v)", l.Name, l.Table, *opts, err, want, probe)
	}
	if !verifies && (!strings.Contains(err.Error(), "not verified") || !strings.Contains(err.Error(), "Unsigned")) {
		t.Errorf("message does not say that nothing was verified and how to load unsigned: %v", err)
	}
}

// TestSignedLoadVerified loads signed loaders on a kernel that verifies
// signatures, with the test certificate in the session keyring, and
// checks every way the kernel refuses one.
func TestSignedLoadVerified(t *testing.T) {
	behave.SyscallProgs.Require(t)
	behave.ExclusiveMaps.Require(t)
	behave.Signatures.Require(t)
	raw, err := os.ReadFile("../sign/testdata/rsa.crt")
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign.CertificateDER(raw)
	if err != nil {
		t.Fatal(err)
	}
	// A session keyring that add_key creates belongs to the calling
	// thread's credentials: the loads must run on the same thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := unix.AddKey("asymmetric", "", der, unix.KEY_SPEC_SESSION_KEYRING)
	if err != nil {
		t.Fatalf("add_key asymmetric: %v", err)
	}
	defer unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_SESSION_KEYRING, 0, 0)

	l := signedLoader(t, "minimal", "rsa")
	res := runSigned(t, l, &lskel.RunOptions{KeyringID: lskel.KeyringSession}, "", 0)
	if res == nil {
		return
	}
	scheme, ok := res.Verified()
	if !ok {
		t.Fatal("signed load not reported verified")
	}
	t.Logf("kernel verified scheme %v", scheme)
	res.Close()
	// The session keyring by its serial rather than KEY_SPEC_SESSION_KEYRING.
	serial, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Fatalf("serial of the session keyring: %v", err)
	}
	res = runSigned(t, l, &lskel.RunOptions{KeyringID: int32(serial)}, "", 0)
	res.Close()
	// Not a subtest: that would run on another goroutine, and so on an
	// OS thread without the session keyring that has the key.
	signedTableVerified(t, scheme)
	other := lskel.SchemeV1
	if scheme == lskel.SchemeV1 {
		other = lskel.SchemeV2
	}
	for _, tc := range []struct {
		name   string
		key    string
		change func(l *gen.Loader)
		opts   lskel.RunOptions
		errnos []unix.Errno
	}{
		{name: "other key", key: "other", errnos: []unix.Errno{unix.ENOKEY, unix.EKEYREJECTED}},
		{name: "malformed", change: func(l *gen.Loader) {
			l.Signatures[abi.SchemeV1] = []byte{0x30, 3, 2, 1, 0}
			l.Signatures[abi.SchemeV2] = []byte{0x30, 3, 2, 1, 0}
		}, errnos: []unix.Errno{unix.EBADMSG}},
		{name: "unknown keyring", opts: lskel.RunOptions{KeyringID: 0x7ffffff0}, errnos: []unix.Errno{unix.EINVAL}},
		{name: "builtin keyring", opts: lskel.RunOptions{KeyringID: lskel.KeyringBuiltin}, errnos: []unix.Errno{unix.ENOKEY, unix.EKEYREJECTED}},
		// A signature that does not match what it signs: EKEYREJECTED
		// on 6.19 (v1), ENOKEY on 7.3 (v2); EACCES where the blob map's
		// excl_prog_hash refuses tampered instructions first; EINVAL
		// from the loader's blob check under v1.
		{name: "wrong scheme", opts: lskel.RunOptions{Scheme: other}, errnos: []unix.Errno{unix.EKEYREJECTED, unix.ENOKEY, unix.EACCES}},
		{name: "tampered instructions", change: func(l *gen.Loader) { l.Insns[len(l.Insns)-12] ^= 1 }, errnos: []unix.Errno{unix.EKEYREJECTED, unix.ENOKEY, unix.EACCES}},
		{name: "tampered blob", change: func(l *gen.Loader) { l.Data[len(l.Data)-1] ^= 1 }, errnos: []unix.Errno{unix.EKEYREJECTED, unix.ENOKEY, unix.EACCES, unix.EINVAL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == "" {
				key = "rsa"
			}
			l := signedLoader(t, "minimal", key)
			if tc.change != nil {
				tc.change(l)
			}
			opts := tc.opts
			opts.Signed = lskel.Signed
			if opts.KeyringID == 0 && tc.name != "builtin keyring" {
				opts.KeyringID = lskel.KeyringSession
			}
			res, err := lskel.Run(&l.Loader, &opts)
			if err == nil {
				res.Close()
				t.Fatal("loaded")
			}
			for _, e := range tc.errnos {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("run: %v, want one of %v", err, tc.errnos)
		})
	}
}

// signedTableVerified loads a signed table loader, signed for v2 only, on
// a kernel that verified the unrolled loader's scheme: a v2 kernel
// (7.3) verifies it and refuses a tampered blob; a v1 kernel (6.19)
// refuses the v2 signature and nothing else is tried.
func signedTableVerified(t *testing.T, scheme lskel.SigScheme) {
	t.Helper()
	opts := lskel.RunOptions{KeyringID: lskel.KeyringSession}
	l := signedLoaderIn(t, "minimal", "rsa", gen.Options{Table: true})
	if scheme != lskel.SchemeV2 {
		failsClosed(t, l, runOptsFor(l, opts), []unix.Errno{unix.EKEYREJECTED, unix.ENOKEY}, true, nil)
		return
	}
	res := runSigned(t, l, &opts, "", 0)
	if s, ok := res.Verified(); !ok || s != lskel.SchemeV2 {
		t.Fatalf("signed table loader verified %v (%v), want v2", s, ok)
	}
	res.Close()
	l.Data[len(l.Data)-1] ^= 1
	failsClosed(t, l, runOptsFor(l, opts), []unix.Errno{unix.EKEYREJECTED, unix.ENOKEY}, true, nil)
}
