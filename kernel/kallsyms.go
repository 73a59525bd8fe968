package kernel

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// ErrKallsymsHidden reports that /proc/kallsyms shows zero addresses
// (kernel.kptr_restrict, or no CAP_SYSLOG).
var ErrKallsymsHidden = errors.New("kernel: /proc/kallsyms addresses are hidden (kptr_restrict or missing CAP_SYSLOG)")

// kallsymsPath is the file ReadKallsyms reads.
const kallsymsPath = "/proc/kallsyms"

// ReadKallsyms streams /proc/kallsyms and returns the addresses of the
// requested text symbols (types t, T, w, W) found; the first occurrence of
// a name wins and a module suffix ("[mod]") is ignored. Names not present
// are absent from the map. If a requested symbol is listed with address 0
// it returns ErrKallsymsHidden.
func ReadKallsyms(names ...string) (map[string]uint64, error) {
	f, err := os.Open(kallsymsPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readKallsyms(f, names)
}

func readKallsyms(r io.Reader, names []string) (map[string]uint64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]uint64, len(names))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() && len(out) < len(want) {
		line := sc.Text()
		// "ffffffff81000000 T _stext\t[mod]"
		sp1 := strings.IndexByte(line, ' ')
		if sp1 < 0 || sp1+3 > len(line) || line[sp1+2] != ' ' {
			continue
		}
		switch line[sp1+1] {
		case 't', 'T', 'w', 'W':
		default:
			continue
		}
		name := line[sp1+3:]
		if i := strings.IndexAny(name, "\t "); i >= 0 {
			name = name[:i]
		}
		if !want[name] {
			continue
		}
		if _, dup := out[name]; dup {
			continue
		}
		addr, err := strconv.ParseUint(line[:sp1], 16, 64)
		if err != nil {
			return nil, errors.New("kernel: " + kallsymsPath + ": bad address in " + strconv.Quote(line))
		}
		if addr == 0 {
			return nil, ErrKallsymsHidden
		}
		out[name] = addr
	}
	if err := sc.Err(); err != nil {
		return nil, &os.PathError{Op: "read", Path: kallsymsPath, Err: err}
	}
	return out, nil
}
