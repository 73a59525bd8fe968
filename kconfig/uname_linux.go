//go:build linux

package kconfig

import "golang.org/x/sys/unix"

// kernelRelease is the running kernel's release, uname -r.
func kernelRelease() (string, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(uts.Release[:]), nil
}
