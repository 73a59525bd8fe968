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
	return attachUprobe(p, binaryPath, offset, retprobe, pid, 0, 0)
}

// attachUprobe is AttachUprobe with a BPF cookie and the file offset of a
// reference counter (0: none).
func attachUprobe(p *Program, binaryPath string, offset uint64, retprobe bool, pid int, cookie, refCtr uint64) (*Link, error) {
	what := "uprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	if retprobe {
		what = "uretprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	}
	var config uint64
	if refCtr != 0 {
		var err error
		if config, err = refCtrConfig(refCtr); err != nil {
			return nil, wrapErr(what, err)
		}
	}
	perf, err := openProbe(uprobePMU, retprobe, binaryPath, offset, config, pid, what)
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf, cookie)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	return l, nil
}

// refCtrConfig places the reference counter offset off in the config
// bits the uprobe PMU reads it from ("config:32-63").
func refCtrConfig(off uint64) (uint64, error) {
	b, err := kernel.ReadSysFile(uprobePMU + "format/ref_ctr_offset")
	if err != nil {
		return 0, wrapErr("uprobe reference counters (semaphores) need Linux 4.20", err)
	}
	s := trimSpace(string(b))
	lo, hi, _ := cut(s, '-')
	shift, ok1 := uint64(0), hasPrefix(lo, "config:")
	if ok1 {
		shift, ok1 = parseUint(lo[len("config:"):])
	}
	end, ok2 := parseUint(hi)
	if !ok1 || !ok2 || shift > end || end > 63 {
		return 0, errors.New("unexpected " + uprobePMU + "format/ref_ctr_offset: " + strconv.Quote(s))
	}
	if end-shift < 63 && off>>(end-shift+1) != 0 {
		return 0, errors.New("reference counter offset 0x" + strconv.FormatUint(off, 16) + " does not fit the uprobe PMU's " + strconv.Quote(s))
	}
	return off << shift, nil
}

// openProbe opens a perf event of the kprobe or uprobe PMU pmu: name is
// the function (kprobe) or the binary (uprobe), offset the offset from
// the function or in the file, config the PMU config bits besides the
// return probe's. pid -1 probes every process, as libbpf does (pid -1,
// cpu 0).
func openProbe(pmu string, retprobe bool, name string, offset, config uint64, pid int, what string) (*kernel.FD, error) {
	typ, err := readUint(pmu + "type")
	if err != nil {
		return nil, wrapErr(what+": perf PMU", err)
	}
	if retprobe {
		bit, err := retprobeBit(pmu)
		if err != nil {
			return nil, wrapErr(what, err)
		}
		config |= 1 << bit
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
