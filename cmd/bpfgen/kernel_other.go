//go:build !linux

package main

import "github.com/bpfgen/bpfgen/kernel"

// needKernel refuses the commands that load: BPF needs Linux. The error
// reads "bpfgen load: not supported on darwin: BPF needs Linux".
func needKernel() error { return kernel.ErrNotSupported }

func isBPFFS(dir string) (bool, error) { return false, kernel.ErrNotSupported }
