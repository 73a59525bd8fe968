//go:build linux

package kernel

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReadSysFile reads a small file of /sys or /proc (at most 1 MiB) with
// plain syscalls. os.ReadFile would do, but it stats the file, and
// reaching os.Stat's FileInfo links every method of time.Time (formatting,
// time zones): about 40 KB that the runtime of a light skeleton does not
// need.
func ReadSysFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	out, err := readAll(fd)
	unix.Close(fd)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return out, nil
}

// readAll reads fd to its end, at most about 1 MiB.
func readAll(fd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 512)
	for len(out) < 1<<20 {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	return out, nil
}
