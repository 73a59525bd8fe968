package bench

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Sample is what one harness process reports, in the JSON form the C
// harness (bench/c/skel_bench.c) prints too.
type Sample struct {
	// FirstNS is the first load in the process: with cold caches (kernel
	// BTF parsed, page faults of the embedded object), what a program that
	// loads once at start-up pays.
	FirstNS int64 `json:"first_ns"`
	// NS are the following loads, steady state.
	NS []int64 `json:"ns"`
	// MaxRSSKB is the process's peak resident set size (PeakRSSKB).
	MaxRSSKB int64 `json:"peak_rss_kb"`
	// VerifiedInsns is the loader program's verified_insns (bpf_prog_info),
	// reported by the loader-verification measurement only.
	VerifiedInsns uint32 `json:"verified_insns,omitempty"`
}

// Measure calls once 1+n times: the first result goes to FirstNS, the
// others to NS. once returns the duration to record.
func Measure(n int, once func() (time.Duration, error)) (*Sample, error) {
	if n < 0 {
		return nil, fmt.Errorf("measure: negative count %d", n)
	}
	first, err := once()
	if err != nil {
		return nil, err
	}
	s := &Sample{FirstNS: first.Nanoseconds(), NS: make([]int64, 0, n)}
	for i := 0; i < n; i++ {
		d, err := once()
		if err != nil {
			return nil, fmt.Errorf("load %d: %w", i+1, err)
		}
		s.NS = append(s.NS, d.Nanoseconds())
	}
	s.MaxRSSKB = PeakRSSKB()
	return s, nil
}

// PeakRSSKB is the process's peak resident set size in KiB (VmHWM in
// /proc/self/status), or 0 if unknown. Unlike ru_maxrss, VmHWM belongs to
// the process's own address space: it does not include the memory of the
// parent that a child was forked (or vforked) from before exec.
func PeakRSSKB() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// Wall turns a load function into a once for Measure: the wall-clock time
// of f.
func Wall(f func() error) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		start := time.Now()
		err := f()
		return time.Since(start), err
	}
}

// progFlagSleepable is BPF_F_SLEEPABLE: syscall programs must have it.
const progFlagSleepable = 1 << 4

// LoaderOverhead is the part of a light-skeleton load that a direct load
// does not do: create, fill and freeze the blob map, have the verifier
// check the loader program, and close both. It returns that time; what
// remains of a skeleton load is the loader's run (the object's own
// syscalls, issued from inside the kernel) and the Go side around it.
func LoaderOverhead(l *abi.Loader) (time.Duration, error) {
	total, _, _, err := loaderSetup(l)
	return total, err
}

// LoaderVerification is the loader program's own BPF_PROG_LOAD (verifier
// and JIT), the part of LoaderOverhead that grows with the loader's
// instructions, and the instructions the verifier processed
// (bpf_prog_info's verified_insns; 0 where the kernel does not report it).
func LoaderVerification(l *abi.Loader) (time.Duration, uint32, error) {
	_, load, verified, err := loaderSetup(l)
	return load, verified, err
}

// loaderSetup does what LoaderOverhead describes and returns its time,
// that of the loader's BPF_PROG_LOAD alone, and the verifier's count. A
// table loader's blob is an array of abi.TableElemSize-byte elements,
// written in one batch, and its program loads with its own BTF (whose
// load counts in the overhead, not in the program's load), as lskel.Run
// does it.
func loaderSetup(l *abi.Loader) (total, load time.Duration, verified uint32, err error) {
	start := time.Now()
	size, n := len(l.Data), 1
	if l.Table {
		size, n = abi.TableElemSize, len(l.Data)/abi.TableElemSize
	}
	blob, err := kernel.MapCreate(&kernel.MapCreateAttr{
		Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: uint32(size), MaxEntries: uint32(n),
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("loader overhead of %s: blob map: %w", l.Name, err)
	}
	// Closed inside the timed part on success, as LoaderOverhead says.
	fds := []int{blob}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	keys := make([]byte, 4*n)
	for i := range n {
		binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
	}
	if n == 1 {
		err = kernel.MapUpdateElem(blob, keys, l.Data, 0)
	} else {
		err = kernel.MapUpdateBatch(blob, keys, l.Data, n)
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("loader overhead of %s: write blob: %w", l.Name, err)
	}
	if err := kernel.MapFreeze(blob); err != nil {
		return 0, 0, 0, fmt.Errorf("loader overhead of %s: freeze blob: %w", l.Name, err)
	}
	p := &kernel.ProgLoadAttr{
		Type: unix.BPF_PROG_TYPE_SYSCALL, Flags: progFlagSleepable, Insns: l.Insns,
		License: "Dual BSD/GPL", Name: "bpfgen_loader", FDArray: []int32{int32(blob)},
	}
	if l.Table {
		btf, err := kernel.BTFLoad(l.LoaderBTF, nil, 0)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("loader overhead of %s: loader BTF: %w", l.Name, err)
		}
		fds = append(fds, btf)
		p.BTFFD, p.FuncInfoRecSize, p.FuncInfo = uint32(btf), 8, l.LoaderFuncInfo
	}
	loadStart := time.Now()
	fd, _, err := kernel.ProgLoad(p)
	loaded := time.Now()
	load = loaded.Sub(loadStart)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("loader overhead of %s: load loader program: %w", l.Name, err)
	}
	// The verifier's count, asked outside the timed part.
	if info, ierr := kernel.GetProgInfo(fd); ierr == nil {
		verified = info.VerifiedInsns
	}
	asked := time.Since(loaded)
	unix.Close(fd)
	for _, fd := range fds {
		unix.Close(fd)
	}
	fds = nil
	return time.Since(start) - asked, load, verified, nil
}
