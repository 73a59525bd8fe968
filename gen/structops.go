package gen

import (
	"errors"

	"github.com/bpfgen/bpfgen/load"
)

// StructOpsLayout implements load.Backend.
func (g *Generator) StructOpsLayout(name string) (*load.KernelStruct, error) {
	return nil, errors.New("struct_ops maps are not supported in loaders yet")
}

// StructOpsValue implements load.Backend.
func (g *Generator) StructOpsValue(m load.Handle, s *load.StructOpsSpec) ([]byte, error) {
	return nil, errors.New("struct_ops maps are not supported in loaders yet")
}
