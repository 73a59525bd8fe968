//go:build mips

package kernel

import "unsafe"

// ptr is a user-space pointer field of a bpf attribute (__aligned_u64):
// zero in the high half, the pointer in the low half.
type ptr struct {
	_ uint32
	p unsafe.Pointer
}
