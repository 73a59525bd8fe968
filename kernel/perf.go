package kernel

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// tracefsRoots are the places TracepointID looks for tracefs, in order.
var tracefsRoots = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// ErrNoTracefs reports that no tracefs mount holds the tracepoint; the
// error message names the paths tried.
var ErrNoTracefs = errors.New("tracefs not mounted or tracepoint unknown")

// TracepointID returns the id of the tracefs event category/name, read
// from <tracefs>/events/<category>/<name>/id. Mounting tracefs is the
// caller's job; when no root has the event the error wraps ErrNoTracefs,
// names the paths tried and, when tracefs is not mounted at all, says how
// to mount it.
func TracepointID(category, name string) (uint64, error) {
	// Written with plain loops rather than strings/strconv/errors.Is: the
	// runtime of light skeletons calls it and is kept small.
	if !validTraceName(category) || !validTraceName(name) {
		return 0, errors.New("kernel: invalid tracepoint name " + strconv.Quote(category+"/"+name))
	}
	paths := ""
	for _, root := range tracefsRoots {
		p := root + "/events/" + category + "/" + name + "/id"
		b, err := ReadSysFile(p)
		if err != nil {
			if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.ENOENT {
				if paths != "" {
					paths += ", "
				}
				paths += p
				continue
			}
			return 0, err
		}
		id, ok := parseDecimal(b)
		if !ok {
			return 0, errors.New("kernel: " + p + ": bad tracepoint id " + strconv.Quote(string(b)))
		}
		return id, nil
	}
	if len(tracefsRoots) > 0 && !exists(tracefsRoots[0]+"/events") {
		paths += " (tracefs is not mounted: mount -t tracefs tracefs " + tracefsRoots[0] + ")"
	}
	return 0, &os.PathError{Op: "tracepoint id", Path: paths, Err: ErrNoTracefs}
}

// parseDecimal parses an unsigned decimal number with surrounding white
// space, as /sys files hold them.
func parseDecimal(b []byte) (uint64, bool) {
	var v uint64
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9' && digits < 19:
			v = v*10 + uint64(c-'0')
			digits++
		case c == ' ' || c == '\n' || c == '\t':
			if digits > 0 && c != '\n' {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return v, digits > 0
}

func validTraceName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == 0 {
			return false
		}
	}
	return true
}
