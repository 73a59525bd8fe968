//go:build linux

package usdt_test

import (
	"fmt"
	"log"

	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/lskel/usdt"
)

// Attach a usdt program of a loaded object to a probe of a binary, for
// one process. A generated skeleton does this with its program's
// AttachUSDT, and attaches usdt/ sections in Attach.
func ExampleAttacher_Attach() {
	var loader *abi.Loader // embedded by a generated skeleton
	res, err := lskel.Run(loader, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Close()
	var specs, ips *lskel.Map
	for i, m := range loader.Maps {
		switch m.Name {
		case usdt.SpecsMap:
			specs = res.Map(i)
		case usdt.IPToSpecMap:
			ips = res.Map(i)
		}
	}
	a := usdt.NewAttacher(specs, ips)
	l, err := a.Attach(res.Program(0), "/usr/bin/python3", "python", "function__entry", &usdt.Options{PID: 1234})
	if err != nil {
		log.Fatal(err) // names the binary, the probe, and the site or argument at fault
	}
	defer l.Close()
	fmt.Println("attached")
}

// List the USDT probes of a binary.
func ExampleOpen() {
	f, err := usdt.Open("/usr/bin/python3")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range f.Probes {
		fmt.Printf("%s:%s at file offset %#x, semaphore %#x, arguments %q\n", p.Provider, p.Name, p.Offset, p.SemaphoreOffset, p.Args)
	}
}
