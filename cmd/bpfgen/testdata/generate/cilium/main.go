// Command opts checks what the -api cilium file does with the
// CollectionOptions a bpf2go user sets, and that its maps, programs and
// variables are cilium/ebpf's, working. TestCiliumOptions runs it; it
// prints one line per check and exits 1 on the first failure.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
)

//go:generate go tool bpfgen generate -api cilium -tags linux opts counter.c -- -DPIN_BY_NAME

func check(what string, err error) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", what, err)
		os.Exit(1)
	}
	fmt.Printf("ok %s\n", what)
}

// refused checks that loading with opts fails naming want.
func refused(what string, opts *ebpf.CollectionOptions, want string) {
	var objs optsObjects
	err := loadOptsObjects(&objs, opts)
	if err == nil {
		objs.Close()
		check(what, fmt.Errorf("loaded"))
	}
	if !strings.Contains(err.Error(), want) {
		check(what, fmt.Errorf("error %q does not name %q", err, want))
	}
	check(what, nil)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Println("usage: opts <directory on bpffs>")
		os.Exit(2)
	}
	pin := ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: os.Args[1]}}
	refused("no PinPath refused", nil, "map counts: pin by name: missing MapOptions.PinPath")
	refused("KernelTypes refused", &ebpf.CollectionOptions{Maps: pin.Maps, Programs: ebpf.ProgramOptions{KernelTypes: &btf.Spec{}}}, "CollectionOptions.Programs.KernelTypes")
	refused("LoadPinOptions refused", &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: os.Args[1], LoadPinOptions: ebpf.LoadPinOptions{ReadOnly: true}}}, "CollectionOptions.Maps.LoadPinOptions")
	if err := loadOptsObjects(&struct{}{}, &pin); err == nil || !strings.Contains(err.Error(), "want *optsObjects, *optsMaps, *optsPrograms or *optsVariables") {
		check("a struct of another type refused", fmt.Errorf("got %v", err))
	}
	check("a struct of another type refused", nil)

	// MapReplacements: the program counts into a map of ours, and the
	// replaced map needs no PinPath.
	other, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	check("create a map to replace with", err)
	defer other.Close()
	wrong, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	check("create a map of another shape", err)
	defer wrong.Close()
	refused("a replacement of another shape refused", &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{"counts": wrong}}, "counts")
	refused("a replacement of no map refused", &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{"nosuch": other}, Maps: pin.Maps}, "nosuch")
	var repl optsObjects
	check("load with MapReplacements", loadOptsObjects(&repl, &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{"counts": other}}))
	check("set filter_pid", repl.FilterPid.Set(uint32(os.Getpid())))
	if n := countGetpids(repl.CountGetpid, other, 3); n != 3 {
		check("the replacement map counts", fmt.Errorf("%d; want 3", n))
	}
	check("the replacement map counts", repl.Close())
	if _, err := os.Stat(os.Args[1] + "/counts"); err == nil {
		check("a replaced map is not pinned", fmt.Errorf("%s/counts exists", os.Args[1]))
	}
	check("a replaced map is not pinned", nil)

	// PinPath: the first load pins counts, the second takes it.
	var first, second optsObjects
	check("load with PinPath", loadOptsObjects(&first, &pin))
	pinned, err := ebpf.LoadPinnedMap(os.Args[1]+"/counts", nil)
	check("counts pinned by name", err)
	defer pinned.Close()
	check("load again with PinPath", loadOptsObjects(&second, &pin))
	check("set filter_pid", second.FilterPid.Set(uint32(os.Getpid())))
	if n := countGetpids(second.CountGetpid, first.Counts, 2); n != 2 {
		check("the second load shares the pinned map", fmt.Errorf("%d; want 2", n))
	}
	var held uint64
	check("read the pin", pinned.Lookup(uint32(0), &held))
	if held != 2 {
		check("the second load shares the pinned map", fmt.Errorf("pin holds %d; want 2", held))
	}
	check("the second load shares the pinned map", nil)
	check("close the pinned loads", errors.Join(first.Close(), second.Close()))
	check("unpin", os.Remove(os.Args[1]+"/counts"))

	var maps optsMaps
	check("load maps only", loadOptsObjects(&maps, &ebpf.CollectionOptions{Maps: pin.Maps, Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch, LogSizeStart: 1 << 16}}))
	info, err := maps.Counts.Info()
	check("maps only: map info", err)
	if info.Type != ebpf.Array || info.ValueSize != 8 {
		check("maps only: map shape", fmt.Errorf("%v value %d", info.Type, info.ValueSize))
	}
	check("maps only: close", maps.Close())

	var objs optsObjects
	check("load", loadOptsObjects(&objs, &pin))
	defer objs.Close()
	check("set filter_pid through its Variable", objs.FilterPid.Set(uint32(os.Getpid())))
	tp, err := link.Tracepoint("syscalls", "sys_enter_getpid", objs.CountGetpid, nil)
	check("attach with cilium/ebpf's link", err)
	defer tp.Close()
	for range 5 {
		syscall.Getpid()
	}
	var n uint64
	check("look up the count", objs.Counts.Lookup(uint32(0), &n))
	var calls uint64
	check("read calls through its Variable", objs.Calls.Get(&calls))
	if n != 5 || calls != 5 {
		check("counts", fmt.Errorf("map %d, variable %d; want 5 and 5", n, calls))
	}
	check("counts", nil)
	spec, err := loadOpts()
	check("loadOpts", err)
	if spec.Maps["counts"] == nil || spec.Programs["count_getpid"] == nil {
		check("the spec", fmt.Errorf("lacks counts or count_getpid"))
	}
	check("the spec", nil)
}

// countGetpids attaches prog to sys_enter_getpid, calls getpid calls
// times and returns what the map holds at key 0.
func countGetpids(prog *ebpf.Program, m *ebpf.Map, calls int) uint64 {
	tp, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, nil)
	check("attach", err)
	for range calls {
		syscall.Getpid()
	}
	check("detach", tp.Close())
	var n uint64
	check("look up the count", m.Lookup(uint32(0), &n))
	return n
}
