//go:build linux

package usdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
)

// The maps of usdt.bpf.h, which a program that reads USDT arguments
// links into its object.
const (
	SpecsMap    = "__bpf_usdt_specs"         // spec id → struct __bpf_usdt_spec
	IPToSpecMap = "__bpf_usdt_ip_to_spec_id" // site address → spec id, without BPF cookies
)

// Attacher attaches the usdt programs of one loaded object. It fills the
// object's usdt.bpf.h maps: each distinct argument spec of an attachment
// gets an id, the id is the BPF cookie of the attachment's uprobes (or,
// on kernels without cookies, the value of the sites' addresses in the
// IP map), and the program reads the spec by it. Ids return when a link
// closes. It is safe for concurrent use.
type Attacher struct {
	specs, ips *lskel.Map
	mu         sync.Mutex
	used       []bool // by spec id
	// noCookies makes the attacher work as on kernels without BPF
	// cookies, for tests of that path on kernels with them.
	noCookies bool
}

// NewAttacher returns the attacher of an object whose SpecsMap and
// IPToSpecMap are specs and ipToSpecID (nil when the object has none,
// which makes every attachment fail saying so).
func NewAttacher(specs, ipToSpecID *lskel.Map) *Attacher {
	return &Attacher{specs: specs, ips: ipToSpecID}
}

// Options tune an attachment. The zero value probes every process.
type Options struct {
	// PID limits the probe to one process; 0 probes every process.
	PID int
	// Cookie is what the program's bpf_usdt_cookie returns (the BPF
	// cookie itself carries the spec id).
	Cookie uint64
}

// Attach attaches the kprobe-type program p to every site of the USDT
// probe provider:name of binary (a path, or a name found as
// lskel.FindBinary finds it). Each site gets a uprobe that increments
// the probe's semaphore, if it has one, while attached.
func (a *Attacher) Attach(p *lskel.Program, bin, provider, name string, opts *Options) (*lskel.Link, error) {
	if opts == nil {
		opts = &Options{}
	}
	what := "usdt " + bin + ":" + provider + ":" + name
	l, err := a.attach(p, bin, provider, name, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return l, nil
}

func (a *Attacher) attach(p *lskel.Program, bin, provider, name string, opts *Options) (*lskel.Link, error) {
	if p == nil {
		return nil, errors.New("program not loaded")
	}
	if a == nil || a.specs == nil {
		return nil, errors.New("the object has no " + SpecsMap + " map: its programs must include <bpf/usdt.bpf.h>")
	}
	if a.specs.KeySize() != 4 || a.specs.ValueSize() != specSize {
		return nil, fmt.Errorf("map %s has key/value sizes %d/%d, not usdt.bpf.h's 4/%d", SpecsMap, a.specs.KeySize(), a.specs.ValueSize(), specSize)
	}
	path, err := lskel.FindBinary(bin)
	if err != nil {
		return nil, err
	}
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	sites := f.Find(provider, name)
	if len(sites) == 0 {
		return nil, fmt.Errorf("%s has no such probe (%d USDT probes in its .note.stapsdt)", path, len(f.Probes))
	}
	cookies := kernel.HaveBPFCookie() && !a.noCookies
	var bias uint64 // what turns a site's address into one in the process
	if !cookies {
		if bias, err = a.ipBias(f, path, opts.PID); err != nil {
			return nil, err
		}
	}

	// One spec per distinct argument string.
	ids := map[string]uint32{}
	var ipKeys [][]byte
	var links []*lskel.Link
	a.mu.Lock()
	defer a.mu.Unlock()
	undo := func() {
		for _, l := range links {
			_ = l.Close()
		}
		a.release(ids, ipKeys)
	}
	for _, s := range sites {
		id, ok := ids[s.Args]
		if !ok {
			args, err := ParseArgs(f.Machine, s.Args)
			if err != nil {
				undo()
				return nil, fmt.Errorf("site at 0x%x: %w", s.Addr, err)
			}
			if id, err = a.newID(); err != nil {
				undo()
				return nil, err
			}
			ids[s.Args] = id
			if err := a.specs.Update(binary.NativeEndian.AppendUint32(nil, id), encodeSpec(args, opts.Cookie, f.Order), 0); err != nil {
				undo()
				return nil, fmt.Errorf("write spec %d to map %s: %w", id, SpecsMap, err)
			}
		}
		uo := &lskel.UprobeOptions{Offset: s.Offset, PID: opts.PID, RefCtrOffset: s.SemaphoreOffset}
		if cookies {
			uo.Cookie = uint64(id)
		} else {
			key := binary.NativeEndian.AppendUint64(nil, s.Addr+bias)
			if err := a.ips.Update(key, binary.NativeEndian.AppendUint32(nil, id), 0); err != nil {
				undo()
				return nil, fmt.Errorf("site at 0x%x: write map %s: %w", s.Addr, IPToSpecMap, err)
			}
			ipKeys = append(ipKeys, key)
		}
		l, err := lskel.AttachUprobeSymbol(p, path, "", uo)
		if err != nil {
			undo()
			return nil, fmt.Errorf("site at 0x%x: %w", s.Addr, err)
		}
		links = append(links, l)
	}
	return lskel.JoinLinks(links, func() error {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.release(ids, ipKeys)
		return nil
	}), nil
}

// newID hands out the lowest free spec id; the caller holds mu.
func (a *Attacher) newID() (uint32, error) {
	for i, u := range a.used {
		if !u {
			a.used[i] = true
			return uint32(i), nil
		}
	}
	if uint32(len(a.used)) >= a.specs.MaxEntries() {
		return 0, fmt.Errorf("all %d spec ids of map %s are in use (BPF_USDT_MAX_SPEC_CNT)", a.specs.MaxEntries(), SpecsMap)
	}
	a.used = append(a.used, true)
	return uint32(len(a.used) - 1), nil
}

// release frees spec ids and deletes IP map entries; the caller holds mu.
func (a *Attacher) release(ids map[string]uint32, ipKeys [][]byte) {
	for _, id := range ids {
		a.used[id] = false
	}
	for _, k := range ipKeys {
		_ = a.ips.Delete(k)
	}
}

// ipBias returns what to add to a site's address to get its address in
// the probed process, for the IP map of kernels without BPF cookies: an
// executable's addresses are fixed; a PIE or shared object's depend on
// where the process (PID) mapped it.
func (a *Attacher) ipBias(f *File, path string, pid int) (uint64, error) {
	if a.ips == nil || a.ips.KeySize() != 8 || a.ips.ValueSize() != 4 {
		return 0, errors.New("this kernel has no BPF cookies (Linux 5.15), and the object has no " + IPToSpecMap + " map of usdt.bpf.h's layout to find specs by address")
	}
	if !f.Dynamic {
		return 0, nil
	}
	if pid == 0 {
		return 0, errors.New("this kernel has no BPF cookies (Linux 5.15): probing a PIE or shared object needs Options.PID, to find where the process mapped it")
	}
	start, err := mappedBase(pid, path)
	if err != nil {
		return 0, err
	}
	return start - f.LoadAddr, nil
}

// mappedBase reads /proc/PID/maps for the mapping of path that starts at
// file offset 0 and returns its start address.
func mappedBase(pid int, path string) (uint64, error) {
	maps := "/proc/" + strconv.Itoa(pid) + "/maps"
	b, err := os.ReadFile(maps)
	if err != nil {
		return 0, err
	}
	var want os.FileInfo
	if want, err = os.Stat(path); err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		// start-end perms offset dev inode path
		fs := strings.Fields(line)
		if len(fs) < 6 || fs[2] != "00000000" && strings.Trim(fs[2], "0") != "" {
			continue
		}
		if st, err := os.Stat(fs[5]); err != nil || !os.SameFile(st, want) {
			continue
		}
		start, _, _ := strings.Cut(fs[0], "-")
		v, err := strconv.ParseUint(start, 16, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: bad line %q", maps, line)
		}
		return v, nil
	}
	return 0, fmt.Errorf("process %d has not mapped %s (%s)", pid, path, maps)
}

// AttachProbe attaches p where its section says, libbpf's way: a usdt
// section (usdt/BINARY:PROVIDER:NAME) through a, every other probe
// section through lskel.AttachProbe (with elfsym.SymbolOffset). Generated
// code of objects with usdt programs passes it as
// lskel.RunOptions.AttachProbe.
func (a *Attacher) AttachProbe(p *lskel.Program) (*lskel.Link, error) {
	if p == nil || abi.ProbeAttachKind(p.Section()) != abi.AttachUSDT {
		return lskel.AttachProbe(p, elfsym.SymbolOffset, elfsym.MatchFunctions)
	}
	bin, provider, name, err := ParseSection(p.Section())
	if err != nil {
		return nil, err
	}
	return a.Attach(p, bin, provider, name, nil)
}

// ParseSection splits a usdt section name, usdt/BINARY:PROVIDER:NAME
// (or usdt.s/..., and with a leading '?'), into its parts.
func ParseSection(section string) (bin, provider, name string, err error) {
	_, target, _ := strings.Cut(strings.TrimPrefix(section, "?"), "/")
	i := strings.LastIndexByte(target, ':')
	j := -1
	if i > 0 {
		j = strings.LastIndexByte(target[:i], ':')
	}
	if j <= 0 || i-j < 2 || i == len(target)-1 {
		return "", "", "", fmt.Errorf("section %q: want usdt/BINARY:PROVIDER:NAME", section)
	}
	return target[:j], target[j+1 : i], target[i+1:], nil
}
