package lskel

import (
	"errors"
	"strconv"
	"sync"

	"github.com/bpfgen/bpfgen/kernel"
)

// The count is read once; a sync.Once inside the function, not a
// package-level OnceValues, keeps it out of binaries that never ask.
var (
	cpusOnce sync.Once
	cpusN    int
	cpusErr  error
)

// PossibleCPUs returns the number of possible CPUs of this machine, the
// count the kernel uses for per-CPU map values and perf-event arrays.
func PossibleCPUs() (int, error) {
	cpusOnce.Do(func() {
		b, err := kernel.ReadSysFile("/sys/devices/system/cpu/possible")
		if err != nil {
			cpusErr = err
			return
		}
		cpusN, cpusErr = parseCPUList(string(b))
		if cpusErr != nil {
			cpusErr = errors.New("/sys/devices/system/cpu/possible: " + cpusErr.Error())
		}
	})
	return cpusN, cpusErr
}

// parseCPUList counts the CPUs in a list such as "0-3,5,7-8".
func parseCPUList(s string) (int, error) {
	s = trimSpace(s)
	if s == "" {
		return 0, errors.New("empty CPU list")
	}
	n := 0
	for rest, more := s, true; more; {
		var part string
		part, rest, more = cut(rest, ',')
		lo, hi, isRange := cut(part, '-')
		a, ok := parseUint(lo)
		b := a
		if ok && isRange {
			b, ok = parseUint(hi)
		}
		if !ok || b < a || b >= 1<<16 {
			return 0, errors.New("bad CPU list " + strconv.Quote(s))
		}
		n += int(b-a) + 1
	}
	return n, nil
}
