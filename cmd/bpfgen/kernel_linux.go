//go:build linux

package main

// What the commands that load (load, run) need from Linux; kernel_other.go
// refuses them elsewhere. Every other command runs on every platform.

import "golang.org/x/sys/unix"

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
