package kernel

import (
	"errors"
	"strconv"
	"sync"
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
		b, err := ReadSysFile("/sys/devices/system/cpu/possible")
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

// parseCPUList counts the CPUs in a list such as "0-3,5,7-8". It parses
// by hand, byte by byte: strconv's and strings' parsers would link error
// formatting and Unicode tables into every skeleton.
func parseCPUList(s string) (int, error) {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return 0, errors.New("empty CPU list")
	}
	n, lo, cur, digits, inRange := 0, 0, 0, 0, false
	for i := 0; i <= len(s); i++ {
		switch {
		case i < len(s) && s[i] >= '0' && s[i] <= '9':
			cur = cur*10 + int(s[i]-'0')
			digits++
			if cur >= 1<<16 {
				return 0, errors.New("bad CPU list " + strconv.Quote(s))
			}
			continue
		case i < len(s) && s[i] == '-' && !inRange && digits > 0:
			lo, cur, digits, inRange = cur, 0, 0, true
			continue
		case (i == len(s) || s[i] == ',') && digits > 0:
			if !inRange {
				lo = cur
			}
			if cur < lo {
				break
			}
			n += cur - lo + 1
			cur, digits, inRange = 0, 0, false
			continue
		}
		return 0, errors.New("bad CPU list " + strconv.Quote(s))
	}
	return n, nil
}
