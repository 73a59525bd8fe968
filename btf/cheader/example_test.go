package cheader_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/btf/cheader"
)

// Write the running kernel's vmlinux.h, as `bpfgen vmlinux` does.
func ExampleWrite() {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		log.Fatal(err)
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("vmlinux.h")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := cheader.Write(f, spec, nil); err != nil {
		log.Fatal(err)
	}
}

// The header of a struct with a bitfield, written from BTF built by hand.
func ExampleWrite_bitfield() {
	spec, err := btf.Build(binary.LittleEndian, []btf.Type{
		{Kind: btf.KindInt, Name: "unsigned int", Size: 4, IntBits: 32}, // id 1
		{Kind: btf.KindStruct, Name: "flags", Size: 4, KindFlag: true, Members: []btf.Member{
			{Name: "on", Type: 1, BitfieldSize: 1},
			{Name: "level", Type: 1, Offset: 1, BitfieldSize: 3},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	if err := cheader.Write(&b, spec, &cheader.Options{Guard: "FLAGS_H"}); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	// Output:
	// #ifndef FLAGS_H
	// #define FLAGS_H
	//
	// #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
	// #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
	// #endif
	//
	// struct flags {
	// 	unsigned int on: 1;
	// 	unsigned int level: 3;
	// };
	//
	// #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
	// #pragma clang attribute pop
	// #endif
	//
	// #endif /* FLAGS_H */
}
