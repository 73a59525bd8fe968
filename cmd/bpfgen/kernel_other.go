//go:build !linux

package main

import (
	"io"
	"os"

	"github.com/bpfgen/bpfgen/kernel"
)

// needKernel refuses the commands that load: BPF needs Linux. The error
// reads "bpfgen load: not supported on darwin: BPF needs Linux".
func needKernel() error { return kernel.ErrNotSupported }

func isBPFFS(dir string) (bool, error) { return false, kernel.ErrNotSupported }

// isTerminal reports whether w is a character device, the portable
// approximation of a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func addSessionKey(der []byte) (int, error) { return 0, kernel.ErrNotSupported }
func unlinkSessionKey(id int)               {}
