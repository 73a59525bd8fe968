// Command opensnoop shows how the files a process opens fare, with an
// fentry and an fexit program on the kernel's do_sys_openat2
// (opensnoop.bpf.c; BPF trampolines, Linux 5.5+). It watches itself: it
// opens the files named on its command line and prints what the programs
// saw. Run it as root:
//
//	go run ./examples/opensnoop /etc/hostname /nonexistent
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target bpfel opensnoop opensnoop.bpf.c -- -I../../testdata

import (
	"bytes"
	"fmt"
	"os"
)

func main() {
	objs, err := watch()
	if err != nil {
		fmt.Fprintln(os.Stderr, "opensnoop:", err)
		os.Exit(1)
	}
	defer objs.Close()
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		fmt.Printf("open(%q): %v; fentry saw %q, fexit returned %d\n", path, err, lastPath(objs), objs.BSS.LastRet)
		if err == nil {
			f.Close()
		}
	}
	fmt.Printf("%d entries, %d exits\n", objs.BSS.Entries, objs.BSS.Exits)
}

// watch loads the programs watching this process and attaches them.
func watch() (*OpensnoopObjects, error) {
	opts := NewOpensnoopOptions()
	opts.Rodata.Pid = uint32(os.Getpid())
	objs, err := LoadOpensnoop(opts)
	if err != nil {
		return nil, err
	}
	if err := objs.Attach(); err != nil {
		objs.Close()
		return nil, err
	}
	return objs, nil
}

// lastPath is the path fentry saw last.
func lastPath(objs *OpensnoopObjects) string {
	b := objs.BSS.LastPath[:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
