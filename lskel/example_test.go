package lskel_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os/signal"
	"syscall"
	"time"

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

// Read typed ring buffer records until the program is interrupted.
func ExampleTypedRingBuf() {
	type event struct {
		Pid  uint32
		Comm [16]byte
	}
	var m *lskel.Map // e.g. objs.Maps.Events of a skeleton
	rb, err := lskel.NewTypedRingBuf[event](m)
	if err != nil {
		log.Fatal(err)
	}
	defer rb.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT)
	defer stop()
	for {
		ev, err := rb.Read(ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, lskel.ErrClosed) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Pid)
	}
}

// Read the samples a program sends with bpf_perf_event_output, and count
// the ones lost because a CPU's buffer was full.
func ExamplePerfReader() {
	var m *lskel.Map // a BPF_MAP_TYPE_PERF_EVENT_ARRAY
	r, err := lskel.NewPerfReader(m, &lskel.PerfReaderOptions{PerCPUPages: 64})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		rec, err := r.ReadContext(ctx)
		if err != nil {
			break // context.DeadlineExceeded after 10 seconds
		}
		if rec.LostSamples > 0 {
			fmt.Printf("CPU %d lost %d samples\n", rec.CPU, rec.LostSamples)
			continue
		}
		fmt.Printf("CPU %d: %d bytes\n", rec.CPU, len(rec.RawSample))
	}
	fmt.Println(r.LostSamples(), "samples lost in all")
}

// Read a whole hash map in batches of 256 entries.
func ExampleBatch() {
	var counts lskel.TypedMap[uint32, uint64] // e.g. objs.Maps.Counts
	keys, values := make([]uint32, 256), make([]uint64, 256)
	var c lskel.BatchCursor
	for !c.Done() {
		n, err := counts.LookupBatch(&c, keys, values)
		if err != nil {
			log.Fatal(err)
		}
		for i := range n {
			fmt.Println(keys[i], values[i])
		}
	}
}

// Look through an array of maps at the map in slot 0.
func ExampleMapOfMaps() {
	var outer lskel.MapOfMaps[uint32] // e.g. objs.Maps.OuterArr
	inner, err := outer.Inner(0)
	if err != nil {
		log.Fatal(err)
	}
	defer inner.Close()
	v, err := lskel.TypedMap[uint32, uint64]{Map: inner}.Lookup(0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)
}

// Unit-test a syscall program from Go: run it with a typed context and
// check what it wrote back.
func ExampleRunTestContext() {
	type args struct{ A, B, Sum uint32 }
	var prog *lskel.Program // e.g. objs.Progs.Sum.Program
	a := args{A: 40, B: 2}
	retval, _, err := lskel.RunTestContext(prog, &a, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(retval, a.Sum)
}
