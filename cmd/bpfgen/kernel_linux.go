//go:build linux

package main

// What the commands that load (load, run) need from Linux; kernel_other.go
// refuses them elsewhere. Every other command runs on every platform.
// isTerminal is here because only Linux has its termios call in x/sys.

import (
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
