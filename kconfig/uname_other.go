//go:build !linux

package kconfig

import "github.com/bpfgen/bpfgen/kernel"

// kernelRelease fails off Linux (uname_linux.go has the real one).
func kernelRelease() (string, error) { return "", kernel.ErrNotSupported }
