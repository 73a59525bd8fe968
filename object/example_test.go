package object_test

import (
	"fmt"
	"log"

	"github.com/bpfgen/bpfgen/object"
)

// Open a BPF object and list what it holds, as the load phase will see it.
func ExampleOpen() {
	obj, err := object.Open("../testdata/minimal.bpf.o")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range obj.Programs() {
		fmt.Printf("program %s: %v, attach to %s, %d instructions\n", p.Name, p.Type, p.AttachTo, len(p.Insns))
	}
	for _, m := range obj.Maps {
		fmt.Printf("map %s (%s): %v, key %d, value %d, max %d\n", m.Name, m.KernelName, m.Type, m.KeySize, m.ValueSize, m.MaxEntries)
	}
	// Output:
	// program handle_getpid: tracepoint, attach to syscalls/sys_enter_getpid, 33 instructions
	// map counts (counts): hash, key 4, value 8, max 1024
	// map .rodata (minimal.rodata): array, key 4, value 4, max 1
	// map .bss (minimal.bss): array, key 4, value 8, max 1
}
