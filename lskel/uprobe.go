package lskel

import (
	"errors"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

// The perf PMUs of dynamic probes (Linux 4.17).
const (
	pmuDir    = "/sys/bus/event_source/devices/"
	uprobePMU = pmuDir + "uprobe/"
	kprobePMU = pmuDir + "kprobe/"
)

// AttachUprobe attaches a kprobe-type program to a uprobe (or, with
// retprobe, a uretprobe) at the file offset offset of binaryPath. pid -1
// probes every process, 0 the calling one, else that pid. The runtime
// parses no ELF: resolve a symbol with AttachUprobeSymbol or
// elfsym.SymbolOffset (a package of its own, so that only callers that
// use it link debug/elf).
func AttachUprobe(p *Program, binaryPath string, offset uint64, retprobe bool, pid int) (*Link, error) {
	return attachUprobe(p, binaryPath, offset, retprobe, pid, 0)
}

// attachUprobe is AttachUprobe with a BPF cookie.
func attachUprobe(p *Program, binaryPath string, offset uint64, retprobe bool, pid int, cookie uint64) (*Link, error) {
	what := "uprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	if retprobe {
		what = "uretprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	}
	perf, err := openProbe(uprobePMU, retprobe, binaryPath, offset, pid, what)
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf, cookie)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	return l, nil
}

// openProbe opens a perf event of the kprobe or uprobe PMU pmu: name is
// the function (kprobe) or the binary (uprobe), offset the offset from
// the function or in the file. pid -1 probes every process, as libbpf
// does (pid -1, cpu 0).
func openProbe(pmu string, retprobe bool, name string, offset uint64, pid int, what string) (*kernel.FD, error) {
	typ, err := readUint(pmu + "type")
	if err != nil {
		return nil, wrapErr(what+": perf PMU", err)
	}
	var config uint64
	if retprobe {
		bit, err := retprobeBit(pmu)
		if err != nil {
			return nil, wrapErr(what, err)
		}
		config = 1 << bit
	}
	cname := append([]byte(name), 0) // kprobe_func, uprobe_path
	cpu := -1
	if pid < 0 {
		pid, cpu = -1, 0
	}
	pfd, err := perfEventOpenProbe(uint32(typ), config, cname, offset, pid, cpu)
	if err != nil {
		return nil, sysErr(what, err)
	}
	return ownPerf(pfd, what)
}

// retprobeBit reads which config bit of the PMU pmu asks for a return
// probe ("config:0").
func retprobeBit(pmu string) (uint64, error) {
	b, err := kernel.ReadSysFile(pmu + "format/retprobe")
	if err != nil {
		return 0, err
	}
	s := trimSpace(string(b))
	bit, ok := uint64(0), hasPrefix(s, "config:")
	if ok {
		bit, ok = parseUint(s[len("config:"):])
	}
	if !ok || bit > 63 {
		return 0, errors.New("unexpected " + pmu + "format/retprobe: " + strconv.Quote(string(b)))
	}
	return bit, nil
}

func readUint(path string) (uint64, error) {
	b, err := kernel.ReadSysFile(path)
	if err != nil {
		return 0, err
	}
	v, ok := parseUint(trimSpace(string(b)))
	if !ok {
		return 0, errors.New(path + ": not a number: " + strconv.Quote(string(b)))
	}
	return v, nil
}
