package load_test

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// LoadDirect loads an object into the running kernel; the result holds
// the fds of its maps and programs, by their index in the object.
func ExampleLoadDirect() {
	obj, err := object.Open("../testdata/minimal.bpf.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := load.LoadDirect(obj, nil)
	if err != nil {
		fmt.Println(err) // names the step, the map or program and, for the verifier, its log
		return
	}
	defer func() {
		for _, h := range res.Handles() {
			unix.Close(int(h))
		}
	}()
	for i, m := range obj.Maps {
		fmt.Printf("map %s: fd %d\n", m.Name, res.Maps[i])
	}
}
