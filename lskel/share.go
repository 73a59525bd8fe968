package lskel

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// DefaultPinPath is where maps pinned by name live unless
// MapSharing.PinPath says otherwise, as with libbpf.
const DefaultPinPath = "/sys/fs/bpf"

// MapSharing makes a run (MapSharing.Run) use maps that exist already
// instead of creating them, and pin the maps the object pins by name. It
// is what a skeleton's Share option takes. A map taken this way
// keeps what it holds: the loader writes no initial value into it and
// fills none of its map-in-map slots, as libbpf leaves a reused map alone.
// Before a map is taken, its type, key and value size, max_entries, flags
// and map_extra are checked against the object's declaration; a
// difference is an error naming the map, where it came from and the
// field.
type MapSharing struct {
	// PinPath is the directory (on bpffs) of the maps the object declares
	// with __uint(pinning, LIBBPF_PIN_BY_NAME): such a map is taken from
	// PinPath/<name> if pinned there, else created and pinned there once
	// the run succeeded. "" means DefaultPinPath.
	PinPath string
	// ReplaceMaps gives maps, by their names in the object, to use
	// instead of creating them: the run's Result holds a duplicate of
	// each fd, and the caller keeps its Map. Giving one skeleton's map to
	// another shares it between them. A replaced map is not pinned.
	ReplaceMaps map[string]*Map
}

// Run runs loader l as lskel.Run does, but takes the maps of
// s.ReplaceMaps and the maps pinned by name under s.PinPath instead of
// creating them, and pins the maps it creates that the object pins by
// name. On failure nothing it opened stays open and no pin it made stays.
func (s *MapSharing) Run(l *abi.Loader, opts *RunOptions) (res *Result, err error) {
	if l == nil {
		return nil, errors.New("lskel.MapSharing.Run: nil loader")
	}
	if opts == nil {
		opts = &RunOptions{}
	}
	if s == nil {
		s = &MapSharing{}
	}
	root := s.PinPath
	if root == "" {
		root = DefaultPinPath
	}
	for name := range s.ReplaceMaps {
		if mapIndex(l, name) < 0 {
			return nil, fail(l, "ReplaceMaps: no map "+strconv.Quote(name))
		}
	}
	presets := make([]int32, len(l.Maps))
	pins := make([]string, len(l.Maps))
	defer func() {
		if err != nil {
			for _, fd := range presets {
				if fd != 0 {
					closeFD(int(fd))
				}
			}
		}
	}()
	for i := range l.Maps {
		m := &l.Maps[i]
		rm, replace := s.ReplaceMaps[m.Name]
		if !replace && m.Pinning != abi.PinByName {
			continue
		}
		what := "ReplaceMaps[" + strconv.Quote(m.Name) + "]"
		if !replace {
			what = "pinned map " + m.Name + " at " + root + "/" + m.Name
		}
		if !l.TakesMapFD(i) {
			why := "the loader was made by an older bpfgen, which takes no maps: generate it again"
			if l.MapFDsIn {
				why = "a signed loader takes only the maps the object pins by name"
			}
			return nil, fail(l, what+": "+why)
		}
		var fd int
		if replace {
			if rm.FD() < 0 {
				return nil, fail(l, what+": the map is nil or closed")
			}
			dup, err := rm.fd.Dup()
			if err != nil {
				return nil, wrapErr("load "+strconv.Quote(l.Name)+": "+what, err)
			}
			fd = dup.Disown()
		} else {
			path := root + "/" + m.Name
			fd, err = kernel.ObjGet(path, 0)
			if kernel.ErrnoOf(err) == syscall.ENOENT {
				pins[i] = path
				continue
			}
			if err != nil {
				return nil, wrapErr("load "+strconv.Quote(l.Name)+": "+what, err)
			}
			// Numbers 0-2 belong to the terminal (kernel.NewFD).
			owned, err := kernel.NewFD(fd)
			if err != nil {
				return nil, wrapErr("load "+strconv.Quote(l.Name)+": "+what, err)
			}
			fd = owned.Disown()
		}
		presets[i] = int32(fd)
		// The max_entries the run would create the map with (buildCtx).
		entries := opts.MaxEntries[m.Name]
		if entries == 0 {
			entries = m.MaxEntries
			if m.MaxEntriesFromCPUs {
				n, err := kernel.PossibleCPUs()
				if err != nil {
					return nil, wrapErr("load "+strconv.Quote(l.Name)+": "+what, err)
				}
				entries = uint32(n)
			}
		}
		want := &kernel.MapCreateAttr{Type: m.Type, KeySize: m.KeySize, ValueSize: m.ValueSize, MaxEntries: entries, Flags: m.Flags, MapExtra: m.MapExtra}
		if err := kernel.CheckMapReuse(fd, want); err != nil {
			return nil, wrapErr("load "+strconv.Quote(l.Name)+": "+what, err)
		}
	}
	o := *opts
	o.presets = presets
	if res, err = Run(l, &o); err != nil {
		// Run returns a failed run's *LoadError itself (a type assertion
		// rather than errors.As, which links reflection).
		if le, ok := err.(*LoadError); ok && le.Step == stepOwnFDs {
			// The result took the maps passed in, and closed them.
			clear(presets)
		}
		return nil, err
	}
	// The result owns the maps passed in.
	clear(presets)
	if err == nil {
		err = pinNew(l, res, pins)
	}
	if err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}

// pinNew pins the maps the run created at their paths (pins, by map
// index; "" for none), all or none.
func pinNew(l *abi.Loader, res *Result, pins []string) error {
	for i, path := range pins {
		if path == "" {
			continue
		}
		if err := kernel.ObjPin(res.maps[i].FD(), path); err != nil {
			for _, done := range pins[:i] {
				if done != "" {
					os.Remove(done)
				}
			}
			return wrapErr("load "+strconv.Quote(l.Name)+": pin map "+l.Maps[i].Name+" at "+path, err)
		}
	}
	return nil
}

// Pin pins the link at path, on bpffs: the attachment then outlives the
// Link and the process, until the pin is removed (Unpin, or removing the
// file). Links attached through a perf event ioctl (kernels without perf
// links) have no BPF link to pin.
func (l *Link) Pin(path string) error {
	if l.FD() < 0 {
		return errors.New("pin link at " + path + ": no BPF link (closed, or attached through a perf event ioctl)")
	}
	if err := kernel.ObjPin(l.FD(), path); err != nil {
		return sysErr("pin link at "+path, err)
	}
	l.pin = path
	return nil
}

// Unpin removes the pin Pin made. Once the Link is closed too, the
// program is detached.
func (l *Link) Unpin() error {
	if l == nil || l.pin == "" {
		return errors.New("unpin link: not pinned")
	}
	if err := os.Remove(l.pin); err != nil {
		return err
	}
	l.pin = ""
	return nil
}

// Sharer runs a loader taking existing maps (RunShared): a *MapSharing. A
// skeleton's options take one, so that only programs that share maps link
// the code.
type Sharer interface {
	// runShared is Run with the options passed by value.
	runShared(l *abi.Loader, opts RunOptions) (*Result, error)
}

func (s *MapSharing) runShared(l *abi.Loader, opts RunOptions) (*Result, error) {
	return s.Run(l, &opts)
}

// RunShared runs l with s (MapSharing.Run): what a skeleton calls when its
// Share option is set. It hands the options to s by value: a pointer
// passed through the interface would make every skeleton's RunOptions
// escape to the heap, which links its type descriptors (about 2 KB)
// into binaries that never share a map.
func RunShared(s Sharer, l *abi.Loader, opts *RunOptions) (*Result, error) {
	if opts == nil {
		opts = &RunOptions{}
	}
	return s.runShared(l, *opts)
}
