package lskel

import (
	"errors"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

const uprobePMU = "/sys/bus/event_source/devices/uprobe/"

// AttachUprobe attaches a kprobe-type program to a uprobe (or, with
// retprobe, a uretprobe) at the file offset offset of binaryPath. pid -1
// probes every process, 0 the calling one, else that pid. The runtime
// parses no ELF: resolve a symbol with elfsym.SymbolOffset (a package of
// its own, so that only callers that use it link debug/elf).
func AttachUprobe(p *Program, binaryPath string, offset uint64, retprobe bool, pid int) (*Link, error) {
	what := "uprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	if retprobe {
		what = "uretprobe " + binaryPath + ":0x" + strconv.FormatUint(offset, 16)
	}
	typ, err := readUint(uprobePMU + "type")
	if err != nil {
		return nil, wrapErr(what+": uprobe PMU", err)
	}
	var config uint64
	if retprobe {
		bit, err := retprobeBit()
		if err != nil {
			return nil, wrapErr(what, err)
		}
		config = 1 << bit
	}
	path := append([]byte(binaryPath), 0)
	cpu := -1
	if pid < 0 {
		pid, cpu = -1, 0
	}
	pfd, err := perfEventOpenProbe(uint32(typ), config, path, offset, pid, cpu)
	if err != nil {
		return nil, sysErr(what, err)
	}
	perf, err := ownPerf(pfd, what)
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	return l, nil
}

// retprobeBit reads which config bit asks for a return probe
// ("config:0").
func retprobeBit() (uint64, error) {
	b, err := kernel.ReadSysFile(uprobePMU + "format/retprobe")
	if err != nil {
		return 0, err
	}
	s := trimSpace(string(b))
	bit, ok := uint64(0), hasPrefix(s, "config:")
	if ok {
		bit, ok = parseUint(s[len("config:"):])
	}
	if !ok || bit > 63 {
		return 0, errors.New("unexpected " + uprobePMU + "format/retprobe: " + strconv.Quote(string(b)))
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
