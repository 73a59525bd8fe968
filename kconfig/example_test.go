package kconfig_test

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Fill writes each extern's value into a .kconfig image; a missing weak
// extern stays zero.
func ExampleFill() {
	values, err := kconfig.Parse(strings.NewReader("CONFIG_HZ=250\nCONFIG_BPF=y\n"))
	if err != nil {
		panic(err)
	}
	cfg := &kconfig.Config{Values: values, Release: "6.18.44"}
	vars := []abi.KconfigVar{
		{Name: "LINUX_KERNEL_VERSION", Offset: 0, Size: 4, Type: abi.KconfigInt},
		{Name: "CONFIG_HZ", Offset: 4, Size: 4, Type: abi.KconfigInt},
		{Name: "CONFIG_BPF", Offset: 8, Size: 1, Type: abi.KconfigBool},
		{Name: "CONFIG_MISSING", Offset: 9, Size: 1, Type: abi.KconfigBool, Weak: true},
	}
	image := make([]byte, 12)
	if err := kconfig.Fill(image, vars, cfg, binary.LittleEndian); err != nil {
		panic(err)
	}
	fmt.Printf("version %#x, HZ %d, BPF %d, missing %d\n",
		binary.LittleEndian.Uint32(image[0:]), binary.LittleEndian.Uint32(image[4:]), image[8], image[9])
	// Output: version 0x6122c, HZ 250, BPF 1, missing 0
}
