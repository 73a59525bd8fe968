//go:build linux

package main

// What the commands that load (load, run) need from Linux; kernel_other.go
// refuses them elsewhere. Every other command runs on every platform.
// isTerminal is here because only Linux has its termios call in x/sys.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// needKernel returns nil: this is Linux.
func needKernel() error { return nil }

// isBPFFS reports whether dir is on a bpf filesystem.
func isBPFFS(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, err
	}
	return uint32(st.Type) == unix.BPF_FS_MAGIC, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// addSessionKey adds an X.509 certificate (DER) to the session keyring
// as an asymmetric key and returns its serial.
func addSessionKey(der []byte) (int, error) {
	id, err := unix.AddKey("asymmetric", "", der, unix.KEY_SPEC_SESSION_KEYRING)
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) {
		return 0, fmt.Errorf("adding the certificate to the session keyring: this kernel has no \"asymmetric\" key type (CONFIG_ASYMMETRIC_KEY_TYPE): %w", err)
	}
	if err != nil {
		return 0, fmt.Errorf("adding the certificate to the session keyring (add_key asymmetric): %w", err)
	}
	return id, nil
}

// unlinkSessionKey removes key id from the session keyring again.
func unlinkSessionKey(id int) {
	_, _ = unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_SESSION_KEYRING, 0, 0)
}
