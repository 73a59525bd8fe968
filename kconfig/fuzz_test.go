package kconfig

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/bpfgen/bpfgen/lskel/abi"
)

// FuzzParse feeds the config parser and fills an image from what it
// accepts: neither may panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("CONFIG_X=\"unterminated\n"))
	f.Add([]byte("# comment only\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		values, err := Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		vars := []abi.KconfigVar{
			{Name: "CONFIG_A", Size: 1, Type: abi.KconfigBool, Weak: true},
			{Name: "CONFIG_B", Offset: 4, Size: 4, Type: abi.KconfigTristate, Weak: true},
			{Name: "CONFIG_C", Offset: 8, Size: 8, Type: abi.KconfigInt, Signed: true, Weak: true},
			{Name: "CONFIG_D", Offset: 16, Size: 8, Type: abi.KconfigCharArray, Weak: true},
		}
		for name := range values {
			vars = append(vars, abi.KconfigVar{Name: name, Offset: 24, Size: 8, Type: abi.KconfigCharArray, Weak: true})
			break
		}
		_ = Fill(make([]byte, 32), vars, &Config{Values: values, Release: "6.1.0"}, binary.LittleEndian)
	})
}
