package lskel

import (
	"errors"
	"strconv"
	"strings"
	"sync"
)

var possibleCPUs = sync.OnceValues(func() (int, error) {
	b, err := readFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, err
	}
	n, err := parseCPUList(string(b))
	if err != nil {
		return 0, errors.New("/sys/devices/system/cpu/possible: " + err.Error())
	}
	return n, nil
})

// PossibleCPUs returns the number of possible CPUs of this machine, the
// count the kernel uses for per-CPU map values and perf-event arrays.
func PossibleCPUs() (int, error) { return possibleCPUs() }

// parseCPUList counts the CPUs in a list such as "0-3,5,7-8".
func parseCPUList(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty CPU list")
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return 0, errors.New("bad CPU list " + strconv.Quote(s))
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return 0, errors.New("bad CPU list " + strconv.Quote(s))
			}
		}
		n += int(b-a) + 1
	}
	return n, nil
}
