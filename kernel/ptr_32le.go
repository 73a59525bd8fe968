//go:build 386 || arm || mipsle

package kernel

import "unsafe"

// ptr is a user-space pointer field of a bpf attribute (__aligned_u64):
// the pointer in the low half, zero above.
type ptr struct {
	p unsafe.Pointer
	_ uint32
}
