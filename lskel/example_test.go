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
	var mapFD int // e.g. Result.MapFDs[i] of a loader run
	m, err := lskel.NewMap(mapFD)
	if err != nil {
		log.Fatal(err)
	}
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
	for i, p := range loader.Progs {
		if res.ProgFDs[i] < 0 {
			continue // not loaded (SEC("?..."))
		}
		l, err := lskel.Attach(res.ProgFDs[i], p.Section, p.Type, p.AttachType, p.AttachTo)
		if err != nil {
			log.Fatal(err)
		}
		defer l.Close()
	}
}

// Read the records of a ring buffer map.
func ExampleRingBuf() {
	var mapFD int
	rb, err := lskel.NewRingBuf(mapFD)
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
