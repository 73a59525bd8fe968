package cc_test

import (
	"fmt"
	"log"
	"os"

	"github.com/bpfgen/bpfgen/cc"
)

// FindTarget maps bpf2go's target names to clang's target, the
// architecture macro and the GOARCHes the output builds for.
func ExampleFindTarget() {
	for _, name := range []string{"bpfeb", "amd64", "arm64"} {
		t, arches, err := cc.FindTarget(name)
		if err != nil {
			log.Fatal(err)
		}
		macro := "no arch macro"
		if t.Arch != "" {
			macro = "-D__TARGET_ARCH_" + t.Arch
		}
		fmt.Printf("%s: -target %s, %s, files *_%s.go for %v\n", name, t.Clang, macro, t.Suffix(), arches)
	}
	// Output:
	// bpfeb: -target bpfeb, no arch macro, files *_bpfeb.go for [mips mips64 ppc64 s390x]
	// amd64: -target bpfel, -D__TARGET_ARCH_x86, files *_x86_bpfel.go for [386 amd64]
	// arm64: -target bpfel, -D__TARGET_ARCH_arm64, files *_arm64_bpfel.go for [arm64]
}

// Compile builds a BPF object with the clang FindClang chooses and strips
// its DWARF, keeping the BTF.
func ExampleCompile() {
	t, _, err := cc.FindTarget("amd64")
	if err != nil {
		log.Fatal(err)
	}
	obj, err := cc.Compile(cc.Options{Target: t, Source: "probe.bpf.c", Flags: []string{"-I", "include"}})
	if err != nil {
		log.Fatal(err) // names the file and carries clang's messages
	}
	if err := os.WriteFile("probe_x86_bpfel.o", obj, 0o644); err != nil {
		log.Fatal(err)
	}
}
