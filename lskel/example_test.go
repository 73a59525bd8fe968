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

// Run two loaders that share maps: the first pins the maps its object
// pins by name under /sys/fs/bpf/app (or takes them from there), the
// second uses the first's map "counts" instead of creating its own.
func ExampleMapSharing_Run() {
	var first, second *abi.Loader // embedded by generated skeletons
	a, err := (&lskel.MapSharing{PinPath: "/sys/fs/bpf/app"}).Run(first, nil)
	if err != nil {
		log.Fatal(err) // an incompatible pin names the map, the path and the field
	}
	defer a.Close()
	share := &lskel.MapSharing{ReplaceMaps: map[string]*lskel.Map{"counts": a.Map(0)}}
	b, err := share.Run(second, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}

// Keep a program attached after the process exits, and detach it later.
func ExampleLink_Pin() {
	var p *lskel.Program // e.g. Result.Program(j) of a loader run
	l, err := p.Attach()
	if err != nil {
		log.Fatal(err)
	}
	if err := l.Pin("/sys/fs/bpf/app/my_link"); err != nil {
		log.Fatal(err)
	}
	l.Close() // still attached: the pin holds the link
	// Later, in this or another process: os.Remove("/sys/fs/bpf/app/my_link"),
	// or l.Unpin() here.
}
