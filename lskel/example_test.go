package lskel_test

import (
	"encoding/binary"
	"fmt"
	"log"

	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Walk a hash map of u32 keys and u64 values by its fd.
func ExampleMap_Iterate() {
	var mapFD int                 // e.g. a map fd received from another process
	m, err := lskel.NewMap(mapFD) // m owns mapFD from now on
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	err = m.Iterate(func(key, value []byte) bool {
		fmt.Println(binary.NativeEndian.Uint32(key), binary.NativeEndian.Uint64(value))
		return true
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Run a loader, attach every program by its section and close it all.
func ExampleRun() {
	var loader *abi.Loader // embedded by a generated skeleton
	res, err := lskel.Run(loader, &lskel.RunOptions{
		MaxEntries: map[string]uint32{"counts": 4096},
	})
	if err != nil {
		log.Fatal(err) // names the object, the failing step and the verifier log
	}
	defer res.Close()
	for j := range res.NumPrograms() {
		p := res.Program(j)
		if p == nil {
			continue // not loaded (SEC("?..."))
		}
		l, err := p.Attach()
		if err != nil {
			log.Fatal(err)
		}
		defer l.Close()
	}
}

// Read the records of a ring buffer map.
func ExampleRingBuf() {
	var m *lskel.Map // e.g. Result.Map(i) of a loader run
	rb, err := lskel.NewRingBuf(m)
	if err != nil {
		log.Fatal(err)
	}
	defer rb.Close()
	for {
		rec, err := rb.Read()
		if err != nil {
			return // lskel.ErrClosed after Close
		}
		fmt.Printf("%d bytes\n", len(rec))
	}
}
