// Command opts checks what the -api cilium file does with the
// CollectionOptions a bpf2go user sets, and that its maps, programs and
// variables are cilium/ebpf's, working. TestCiliumOptions runs it; it
// prints one line per check and exits 1 on the first failure.
package main

import (
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
	other, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	check("create a map to replace with", err)
	defer other.Close()
	refused("MapReplacements refused", &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{"counts": other}}, "CollectionOptions.MapReplacements")
	refused("PinPath refused", &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: "/sys/fs/bpf"}}, "CollectionOptions.Maps.PinPath: bpfgen's loader program creates every map and cannot pin by name (LIBBPF_PIN_BY_NAME: counts)")
	refused("KernelTypes refused", &ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{KernelTypes: &btf.Spec{}}}, "CollectionOptions.Programs.KernelTypes")
	if err := loadOptsObjects(&struct{}{}, nil); err == nil || !strings.Contains(err.Error(), "want *optsObjects, *optsMaps, *optsPrograms or *optsVariables") {
		check("a struct of another type refused", fmt.Errorf("got %v", err))
	}
	check("a struct of another type refused", nil)

	var maps optsMaps
	check("load maps only", loadOptsObjects(&maps, &ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch, LogSizeStart: 1 << 16}}))
	info, err := maps.Counts.Info()
	check("maps only: map info", err)
	if info.Type != ebpf.Array || info.ValueSize != 8 {
		check("maps only: map shape", fmt.Errorf("%v value %d", info.Type, info.ValueSize))
	}
	check("maps only: close", maps.Close())

	var objs optsObjects
	check("load", loadOptsObjects(&objs, nil))
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
