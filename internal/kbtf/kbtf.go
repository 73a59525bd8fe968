// Package kbtf answers, for tests, what the running kernel's own BTF
// (/sys/kernel/btf/vmlinux) says it knows: a field of a uapi struct or a
// value of a uapi enum. It decides features no probe can show without
// using them, such as an output field of bpf_attr that older kernels do
// not have.
package kbtf

import (
	"os"
	"sync"

	"github.com/bpfgen/bpfgen/btf"
)

var vmlinux = sync.OnceValue(func() *btf.Spec {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		return nil
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		return nil
	}
	return spec
})

// HasMember reports whether the kernel's struct or union typ has a field
// named member, also inside anonymous members (union bpf_attr keeps its
// commands' fields in anonymous structs).
func HasMember(typ, member string) bool {
	spec := vmlinux()
	if spec == nil {
		return false
	}
	for _, kind := range []btf.Kind{btf.KindStruct, btf.KindUnion} {
		if _, t, err := spec.TypeByName(typ, kind); err == nil && hasMember(spec, t, member) {
			return true
		}
	}
	return false
}

func hasMember(spec *btf.Spec, t *btf.Type, name string) bool {
	for _, m := range t.Members {
		if m.Name == name {
			return true
		}
		if m.Name != "" {
			continue
		}
		if _, mt, err := spec.Resolve(m.Type); err == nil && hasMember(spec, mt, name) {
			return true
		}
	}
	return false
}

// HasEnumValue reports whether the kernel's enum typ has the value name.
func HasEnumValue(typ, name string) bool {
	spec := vmlinux()
	if spec == nil {
		return false
	}
	_, t, err := spec.TypeByName(typ, btf.KindEnum)
	if err != nil {
		return false
	}
	for _, e := range t.Enums {
		if e.Name == name {
			return true
		}
	}
	return false
}

// kernelStruct is the kernel's struct typ, or nil.
func kernelStruct(typ string) *btf.Type {
	spec := vmlinux()
	if spec == nil {
		return nil
	}
	_, t, err := spec.TypeByName(typ, btf.KindStruct)
	if err != nil {
		return nil
	}
	return t
}

// MemberOffset returns the byte offset of the top-level member of the
// kernel's struct typ, for tests that build another kernel's layout from
// this one's.
func MemberOffset(typ, member string) (uint32, bool) {
	t := kernelStruct(typ)
	if t == nil {
		return 0, false
	}
	for _, m := range t.Members {
		if m.Name == member {
			return m.Offset / 8, true
		}
	}
	return 0, false
}

// StructSize returns the size of the kernel's struct typ.
func StructSize(typ string) (uint32, bool) {
	t := kernelStruct(typ)
	if t == nil {
		return 0, false
	}
	return t.Size, true
}
