//go:build amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x || mips64 || mips64le || loong64 || sparc64 || wasm

package kernel

import "unsafe"

// ptr is a user-space pointer field of a bpf attribute (__aligned_u64). It
// holds an unsafe.Pointer rather than an integer so the garbage collector
// and the stack copier see it.
type ptr struct {
	p unsafe.Pointer
}
