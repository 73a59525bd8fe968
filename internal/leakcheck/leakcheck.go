// Package leakcheck fails a package's tests when they leave file
// descriptors or BPF kernel objects behind. Use it from TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// It records the process's open fds and the kernel's program, map, link
// and BTF ids before the tests and compares after them. The kernel frees
// maps, programs and BTF asynchronously (RCU, work queues), so the
// comparison is retried for a while before it fails. Other processes (for
// example other packages' tests running in parallel) create objects too:
// a new id is only blamed on this process when no other process holds an
// fd for it, directly or through a program, link or map that it holds, and
// the kernel still hands it out by id (one being freed is nobody's leak).
//
// Main also turns on kernel's fd tracing, so an FD made through
// kernel.NewFD and still open at the end is reported with the stack that
// made it; the fd and id comparison stays as the net for fds made any
// other way.
//
// BPFGEN_LEAKCHECK=off disables the check, =fd checks fds only.
package leakcheck

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// Timeout is how long Main waits for the state to return to the baseline.
var Timeout = 2 * time.Second

// Main runs the tests and exits; the exit status is non-zero when a test
// failed or something leaked.
func Main(m *testing.M) {
	os.Exit(run(m, os.Getenv("BPFGEN_LEAKCHECK"), os.Stderr))
}

// runner is the part of *testing.M that run uses.
type runner interface{ Run() int }

// run is Main without the exit: it runs the tests, reports leaks to w and
// returns the exit status.
func run(m runner, mode string, w io.Writer) int {
	if mode == "off" {
		return m.Run()
	}
	kernel.TraceFDs(true)
	before := Take(mode != "fd")
	code := m.Run()
	if code != 0 {
		return code
	}
	// The comparison waits for asynchronous closes; the traced FDs are
	// read after it so they have had that time too.
	diff := before.Wait(Timeout)
	if err := tracedLeaks(kernel.OpenFDs()); err != nil {
		fmt.Fprintln(w, "leakcheck:", err)
		code = 1
	}
	if diff != nil {
		fmt.Fprintln(w, "leakcheck:", diff)
		code = 1
	}
	return code
}

// tracedLeaks describes the traced FDs still open, each with the stack that
// made it, or returns nil if there are none.
func tracedLeaks(open []kernel.FDTrace) error {
	if len(open) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d traced fd(s) still open:", len(open))
	for _, t := range open {
		b.WriteString("\n")
		b.WriteString(t.String())
	}
	return errors.New(b.String())
}

// Kind is a class of kernel object.
type Kind int

// The kernel object kinds leakcheck tracks.
const (
	Prog Kind = iota
	Map
	Link
	BTF
	numKinds
)

var kindNames = [numKinds]string{"prog", "map", "link", "btf"}

func (k Kind) String() string { return kindNames[k] }

var nextID = [numKinds]func(uint32) (uint32, error){
	kernel.NextProgID, kernel.NextMapID, kernel.NextLinkID, kernel.NextBTFID,
}

// Snapshot is the state leaks are measured against.
type Snapshot struct {
	fds    map[string]bool // "fd -> target"
	ids    [numKinds]map[uint32]bool
	kernel bool // ids were recorded
}

// Take records the current fds and, if withKernel and bpf(2) works, the
// kernel's object ids.
func Take(withKernel bool) *Snapshot {
	// Start the runtime's network poller now (an epoll fd and an eventfd
	// that live for the rest of the process) so they are in the baseline.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	s := &Snapshot{fds: listFDs()}
	if withKernel {
		ids, err := listIDs()
		if err == nil {
			s.ids, s.kernel = ids, true
		}
	}
	return s
}

// Wait compares the current state with s until it matches or timeout
// passes, and describes what is left over.
func (s *Snapshot) Wait(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		// Polls only compare ids: opening an object by id while the
		// kernel releases it can pin it for good (a 6.18 race seen with
		// program arrays), so leaks are described once, at the end.
		err := s.check(false)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return s.check(true)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Check compares the current state with s once and describes what is left
// over.
func (s *Snapshot) Check() error { return s.check(true) }

func (s *Snapshot) check(describeLeaks bool) error {
	var problems []string
	for fd := range listFDs() {
		if !s.fds[fd] {
			problems = append(problems, "fd "+fd)
		}
	}
	if s.kernel {
		now, err := listIDs()
		if err != nil {
			return fmt.Errorf("listing kernel objects: %w", err)
		}
		var fresh [numKinds]map[uint32]bool
		n := 0
		for k := range numKinds {
			fresh[k] = map[uint32]bool{}
			for id := range now[k] {
				if !s.ids[k][id] {
					fresh[k][id] = true
					n++
				}
			}
		}
		if n > 0 {
			dropForeign(&fresh)
			for k := range numKinds {
				for id := range fresh[k] {
					if !describeLeaks {
						problems = append(problems, Kind(k).String())
						continue
					}
					// An object the kernel no longer hands out is being
					// freed (another process closed it and the kernel
					// lags, as under `go test` of several packages at
					// once): nobody holds it, so nobody leaked it.
					if desc, gone := describe(Kind(k), id); !gone {
						problems = append(problems, desc)
					}
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New("left behind by the tests: " + strings.Join(problems, "; "))
}

// listFDs returns this process's open fds as "N -> target".
func listFDs() map[string]bool {
	out := map[string]bool{}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return out
	}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own fd, already closed
		}
		out[e.Name()+" -> "+target] = true
	}
	return out
}

func listIDs() ([numKinds]map[uint32]bool, error) {
	var ids [numKinds]map[uint32]bool
	for k := range numKinds {
		ids[k] = map[uint32]bool{}
		var id uint32
		for {
			next, err := nextID[k](id)
			if err == io.EOF {
				break
			}
			if err != nil {
				return ids, err
			}
			ids[k][next] = true
			id = next
		}
	}
	return ids, nil
}

// dropForeign removes from fresh the objects another process holds: by an
// fd (read from /proc/PID/fdinfo), or through a held program's maps and
// BTF, a held link's program, or a held map's BTF.
func dropForeign(fresh *[numKinds]map[uint32]bool) {
	self := strconv.Itoa(os.Getpid())
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	var held [numKinds][]uint32
	for _, p := range procs {
		pid := p.Name()
		if pid == self || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		fds, err := os.ReadDir("/proc/" + pid + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink("/proc/" + pid + "/fd/" + fd.Name())
			if err != nil || !strings.HasPrefix(target, "anon_inode:") || !strings.Contains(target, "bpf") {
				continue
			}
			info, err := os.ReadFile("/proc/" + pid + "/fdinfo/" + fd.Name())
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(info), "\n") {
				key, val, ok := strings.Cut(line, ":")
				if !ok {
					continue
				}
				id, err := strconv.ParseUint(strings.TrimSpace(val), 10, 32)
				if err != nil {
					continue
				}
				switch key {
				case "prog_id":
					held[Prog] = append(held[Prog], uint32(id))
				case "map_id":
					held[Map] = append(held[Map], uint32(id))
				case "link_id":
					held[Link] = append(held[Link], uint32(id))
				case "btf_id":
					held[BTF] = append(held[BTF], uint32(id))
				}
			}
		}
	}
	// Work list: drop each held fresh object and whatever it references.
	for {
		progress := false
		for k := range numKinds {
			list := held[k]
			held[k] = nil
			for _, id := range list {
				if !fresh[k][id] {
					continue
				}
				delete(fresh[k], id)
				progress = true
				for _, r := range refs(Kind(k), id) {
					held[r.kind] = append(held[r.kind], r.id)
				}
			}
		}
		if !progress {
			return
		}
	}
}

type ref struct {
	kind Kind
	id   uint32
}

// refs lists the objects the object kind/id keeps alive.
func refs(k Kind, id uint32) []ref {
	var out []ref
	switch k {
	case Prog:
		fd, err := kernel.ProgFDByID(id)
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		info, err := kernel.GetProgInfo(fd)
		if err != nil {
			return nil
		}
		for _, m := range info.MapIDs {
			out = append(out, ref{Map, m})
		}
		if info.BTFID != 0 {
			out = append(out, ref{BTF, info.BTFID})
		}
		if info.AttachBTFObjID != 0 {
			out = append(out, ref{BTF, info.AttachBTFObjID})
		}
	case Map:
		fd, err := kernel.MapFDByID(id, 0)
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		info, err := kernel.GetMapInfo(fd)
		if err != nil {
			return nil
		}
		if info.BTFID != 0 {
			out = append(out, ref{BTF, info.BTFID})
		}
	case Link:
		fd, err := kernel.LinkFDByID(id)
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		info, err := kernel.GetLinkInfo(fd)
		if err != nil {
			return nil
		}
		if info.ProgID != 0 {
			out = append(out, ref{Prog, info.ProgID})
		}
	}
	return out
}

// describe names a leaked object with what the kernel says about it, or
// reports it gone when the kernel no longer has it (ENOENT by id).
func describe(k Kind, id uint32) (desc string, gone bool) {
	s := k.String() + " id " + strconv.FormatUint(uint64(id), 10)
	fd, err := [numKinds]func(uint32) (int, error){
		kernel.ProgFDByID,
		func(id uint32) (int, error) { return kernel.MapFDByID(id, 0) },
		kernel.LinkFDByID,
		kernel.BTFFDByID,
	}[k](id)
	if errors.Is(err, unix.ENOENT) {
		return s, true
	}
	if err != nil {
		return s, false
	}
	defer unix.Close(fd)
	switch k {
	case Prog:
		if info, err := kernel.GetProgInfo(fd); err == nil {
			s += fmt.Sprintf(" (type %d, name %q)", info.Type, info.Name)
		}
	case Map:
		if info, err := kernel.GetMapInfo(fd); err == nil {
			s += fmt.Sprintf(" (type %d, name %q)", info.Type, info.Name)
		}
	case Link:
		if info, err := kernel.GetLinkInfo(fd); err == nil {
			s += fmt.Sprintf(" (type %d, prog id %d)", info.Type, info.ProgID)
		}
	}
	return s, false
}
