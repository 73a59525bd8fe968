// Package behave triggers the programs of bpfgen's loadable test objects
// and checks their effects in maps and global data, exactly as
// testdata/README.md specifies. It is shared by the direct load's tests
// and the loader program's tests, so that both paths are held to the same
// behaviour:
//
//	obj, _ := object.Open(testutil.Object(name))
//	behave.SetContents(t, obj, behave.InitialValues(t, name, obj))
//	res, _ := load.Load(obj, backend, nil)
//	behave.Check(t, name, obj, mapFDs, progFDs)
//
// A loader run passes InitialValues as lskel.RunOptions.InitialValues
// instead of SetContents.
package behave

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/object"
)

// Objects lists the test objects that load on a kernel with what they
// need (Require), each with a check.
var Objects = []string{
	"minimal", "maps", "globals", "subprogs", "core", "kconfig", "ksyms",
	"mapinmap", "iter", "progtypes", "many", "flavour", "legacy",
	"conntrack", "trampoline", "ksym_data", "freplace_target", "structops",
}

var checks = map[string]func(*env){
	"minimal":         checkMinimal,
	"maps":            checkMaps,
	"globals":         checkGlobals,
	"subprogs":        checkSubprogs,
	"core":            checkCore,
	"kconfig":         checkKconfig,
	"ksyms":           checkKsyms,
	"mapinmap":        checkMapInMap,
	"iter":            checkIter,
	"progtypes":       checkProgtypes,
	"many":            checkMany,
	"flavour":         checkFlavour,
	"legacy":          checkLegacy,
	"trampoline":      checkTrampoline,
	"ksym_data":       checkKsymData,
	"conntrack":       checkConntrack,
	"freplace_target": checkFreplaceTarget,
	"structops":       checkStructOps,
}

// patch sets a u32 at offset off of a global variable before load.
type patch struct {
	variable string
	off      uint32
	value    func() uint32
}

func getpid() uint32 { return uint32(unix.Getpid()) }

// Values the globals check writes into read-only data before load, to
// show that rewritten .rodata and .rodata.custom reach the program.
const (
	globalsCfgA     = 0x77
	globalsCustomRO = 0xbeef
)

// rodataPatches are the read-only variables each object needs set before
// load: the pid its tracepoint programs act for (0 would keep them quiet),
// and rewritten constants for globals.
var rodataPatches = map[string][]patch{
	"minimal": {{"filter_pid", 0, getpid}},
	"maps":    {{"target_pid", 0, getpid}},
	"core":    {{"target_pid", 0, getpid}},
	"globals": {
		{"cfg", 0, func() uint32 { return globalsCfgA }}, // cfg.a
		{"custom_ro", 0, func() uint32 { return globalsCustomRO }},
	},
}

// InitialValues returns the global-data images (by object.Map.Name, e.g.
// ".rodata") that object name needs in place of its defaults before it is
// loaded, or nil when the defaults do. The images are complete values of
// their maps, usable as lskel.RunOptions.InitialValues.
func InitialValues(t testing.TB, name string, obj *object.Object) map[string][]byte {
	t.Helper()
	patches := rodataPatches[name]
	if len(patches) == 0 {
		return nil
	}
	gs, err := globalsOf(obj)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]byte{}
	for _, p := range patches {
		g, ok := gs[p.variable]
		if !ok {
			t.Fatalf("%s: no global variable %s", name, p.variable)
		}
		m := obj.Maps[g.mapIdx]
		img, ok := out[m.Name]
		if !ok {
			img = make([]byte, m.ValueSize)
			copy(img, m.Contents)
			out[m.Name] = img
		}
		at := uint64(g.off) + uint64(p.off)
		if uint64(p.off)+4 > uint64(g.size) || at+4 > uint64(len(img)) {
			t.Fatalf("%s: variable %s: %d bytes at offset %d of %s (value size %d): no u32 at +%d", name, p.variable, g.size, g.off, m.Name, len(img), p.off)
		}
		obj.ByteOrder.PutUint32(img[at:], p.value())
	}
	return out
}

// SetContents installs images (from InitialValues) as the initial contents
// of obj's global-data maps, for a direct load.
func SetContents(t testing.TB, obj *object.Object, images map[string][]byte) {
	t.Helper()
	for name, img := range images {
		found := false
		for _, m := range obj.Maps {
			if m.Name == name {
				if len(img) != int(m.ValueSize) {
					t.Fatalf("initial value of %s: %d bytes, map value is %d", name, len(img), m.ValueSize)
				}
				m.Contents = append([]byte(nil), img...)
				found = true
			}
		}
		if !found {
			t.Fatalf("initial value for %s: no such map in %s", name, obj.Name)
		}
	}
}

// Check triggers the programs of test object name, loaded as mapFDs and
// progFDs (indexed like obj.Maps and obj.Programs(); -1 for a program
// that was not loaded), and checks their effects. Everything it attaches
// is detached before it returns; it closes none of the given fds.
func Check(t *testing.T, name string, obj *object.Object, mapFDs, progFDs []int) {
	t.Helper()
	CheckStructOps(t, name, obj, mapFDs, progFDs, nil)
}

// CheckStructOps is Check for objects with struct_ops maps: structOps
// holds the value each one registers with (by map index), as the load
// left it (load.Result.StructOps, lskel.StructOpsContext.Value).
func CheckStructOps(t *testing.T, name string, obj *object.Object, mapFDs, progFDs []int, structOps map[int][]byte) {
	t.Helper()
	fn, ok := checks[name]
	if !ok {
		t.Fatalf("behave: no check for object %q", name)
	}
	if len(mapFDs) != len(obj.Maps) {
		t.Fatalf("%s: %d map fds for %d maps", name, len(mapFDs), len(obj.Maps))
	}
	progs := obj.Programs()
	if len(progFDs) != len(progs) {
		t.Fatalf("%s: %d program fds for %d programs", name, len(progFDs), len(progs))
	}
	gs, err := globalsOf(obj)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	fn(&env{t: t, name: name, obj: obj, maps: mapFDs, progs: progFDs, vars: gs, structOps: structOps})
}

// global places a global variable in its data map.
type global struct {
	mapIdx    int
	off, size uint32
}

// globalsOf finds every variable of the object's global-data maps from
// their DATASECs.
func globalsOf(obj *object.Object) (map[string]global, error) {
	out := map[string]global{}
	if obj.BTF == nil {
		return out, nil
	}
	for i, m := range obj.Maps {
		if m.DatasecID == 0 {
			continue
		}
		ds, err := obj.BTF.Type(m.DatasecID)
		if err != nil {
			return nil, fmt.Errorf("map %s: DATASEC %d: %w", m.Name, m.DatasecID, err)
		}
		if ds.Kind != btf.KindDatasec {
			return nil, fmt.Errorf("map %s: type %d is %v, not a DATASEC", m.Name, m.DatasecID, ds.Kind)
		}
		for _, vs := range ds.Vars {
			v, err := obj.BTF.Type(vs.Type)
			if err != nil {
				return nil, fmt.Errorf("map %s: variable type %d: %w", m.Name, vs.Type, err)
			}
			out[v.Name] = global{mapIdx: i, off: vs.Offset, size: vs.Size}
		}
	}
	return out, nil
}

// env is one object's check: its fds and how to reach its variables.
type env struct {
	t     *testing.T
	name  string
	obj   *object.Object
	maps  []int
	progs []int
	vars  map[string]global
	// structOps are the struct_ops maps' values, by map index.
	structOps map[int][]byte
}

func (e *env) fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf(e.name+": "+format, args...)
}

func (e *env) errorf(format string, args ...any) {
	e.t.Helper()
	e.t.Errorf(e.name+": "+format, args...)
}

// prog returns the fd of a loaded program.
func (e *env) prog(name string) int {
	e.t.Helper()
	for j, p := range e.obj.Programs() {
		if p.Name == name {
			if e.progs[j] < 0 {
				e.fatalf("program %s was not loaded (fd %d)", name, e.progs[j])
			}
			return e.progs[j]
		}
	}
	e.fatalf("no program %s", name)
	return -1
}

// program returns a loaded program as an lskel.Program, for attaching. It
// owns a duplicate of the fd, closed when the test ends: the fds handed to
// Check stay their loader's.
func (e *env) program(name string) *lskel.Program {
	e.t.Helper()
	p := e.obj.Programs()[e.progIndex(name)]
	dup, err := unix.FcntlInt(uintptr(e.prog(name)), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		e.fatalf("dup program %s: %v", name, err)
	}
	lp, err := lskel.NewProgram(dup, p.Section)
	if err != nil {
		unix.Close(dup)
		e.fatalf("program %s: %v", name, err)
	}
	e.t.Cleanup(func() { lp.Close() })
	return lp
}

// mapHandle returns a map as an lskel.Map, owning a duplicate of its fd
// as program does.
func (e *env) mapHandle(name string) *lskel.Map {
	e.t.Helper()
	dup, err := unix.FcntlInt(uintptr(e.mapFD(name)), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		e.fatalf("dup map %s: %v", name, err)
	}
	m, err := lskel.NewMap(dup)
	if err != nil {
		unix.Close(dup)
		e.fatalf("map %s: %v", name, err)
	}
	e.t.Cleanup(func() { m.Close() })
	return m
}

// progIndex returns the index of a program in obj.Programs().
func (e *env) progIndex(name string) int {
	e.t.Helper()
	for j, p := range e.obj.Programs() {
		if p.Name == name {
			return j
		}
	}
	e.fatalf("no program %s", name)
	return -1
}

// mapFD returns the fd of a map by its name in the object.
func (e *env) mapFD(name string) int {
	e.t.Helper()
	for i, m := range e.obj.Maps {
		if m.Name == name {
			return e.maps[i]
		}
	}
	e.fatalf("no map %s", name)
	return -1
}

// raw reads the bytes of a global variable from its map.
func (e *env) raw(name string) []byte {
	e.t.Helper()
	g, ok := e.vars[name]
	if !ok {
		e.fatalf("no global variable %s", name)
	}
	m := e.obj.Maps[g.mapIdx]
	val := make([]byte, m.ValueSize)
	if err := kernel.MapLookupElem(e.maps[g.mapIdx], make([]byte, 4), val); err != nil {
		e.fatalf("reading %s (for %s): %v", m.Name, name, err)
	}
	if uint64(g.off)+uint64(g.size) > uint64(len(val)) {
		e.fatalf("variable %s: %d bytes at %d beyond %s's %d", name, g.size, g.off, m.Name, len(val))
	}
	return val[g.off : g.off+g.size]
}

// uint reads an unsigned integer global of 1, 2, 4 or 8 bytes.
func (e *env) uint(name string) uint64 {
	e.t.Helper()
	b := e.raw(name)
	bo := e.obj.ByteOrder
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(bo.Uint16(b))
	case 4:
		return uint64(bo.Uint32(b))
	case 8:
		return bo.Uint64(b)
	}
	e.fatalf("variable %s has %d bytes, not an integer", name, len(b))
	return 0
}

// int reads a signed integer global of 4 or 8 bytes.
func (e *env) int(name string) int64 {
	e.t.Helper()
	v := e.uint(name)
	if e.vars[name].size == 4 {
		return int64(int32(uint32(v)))
	}
	return int64(v)
}

// setUint writes an unsigned integer global (a writable map only).
func (e *env) setUint(name string, v uint64) {
	e.t.Helper()
	g, ok := e.vars[name]
	if !ok {
		e.fatalf("no global variable %s", name)
	}
	m := e.obj.Maps[g.mapIdx]
	val := make([]byte, m.ValueSize)
	key := make([]byte, 4)
	if err := kernel.MapLookupElem(e.maps[g.mapIdx], key, val); err != nil {
		e.fatalf("reading %s (for %s): %v", m.Name, name, err)
	}
	switch g.size {
	case 4:
		e.obj.ByteOrder.PutUint32(val[g.off:], uint32(v))
	case 8:
		e.obj.ByteOrder.PutUint64(val[g.off:], v)
	default:
		e.fatalf("variable %s has %d bytes", name, g.size)
	}
	if err := kernel.MapUpdateElem(e.maps[g.mapIdx], key, val, 0); err != nil {
		e.fatalf("writing %s (for %s): %v", m.Name, name, err)
	}
}

// wantUint checks unsigned integer globals.
func (e *env) wantUint(want map[string]uint64) {
	e.t.Helper()
	for _, name := range sortedKeys(want) {
		if got := e.uint(name); got != want[name] {
			e.errorf("%s = %d (%#x), want %d (%#x)", name, got, got, want[name], want[name])
		}
	}
}

// wantInt checks signed integer globals.
func (e *env) wantInt(want map[string]int64) {
	e.t.Helper()
	for _, name := range sortedKeys(want) {
		if got := e.int(name); got != want[name] {
			e.errorf("%s = %d, want %d", name, got, want[name])
		}
	}
}

// run runs a program once with BPF_PROG_TEST_RUN and returns its return
// value. Syscall programs take no data and repeat 0; data is the packet
// for the others.
func (e *env) run(prog string, data []byte) uint32 {
	e.t.Helper()
	attr := &kernel.TestRunAttr{ProgFD: e.prog(prog), DataIn: data}
	if len(data) > 0 {
		attr.DataOut = make([]byte, len(data)+512)
		attr.Repeat = 1
	}
	res, err := kernel.ProgTestRun(attr)
	if err != nil {
		e.fatalf("running %s: %v", prog, err)
	}
	return res.Retval
}

// wantRun runs a program and checks its return value.
func (e *env) wantRun(prog string, data []byte, want uint32) {
	e.t.Helper()
	if got := e.run(prog, data); got != want {
		e.errorf("%s returned %d, want %d", prog, got, want)
	}
}

// lookup reads map[key] (key and value sized by the caller).
func (e *env) lookup(mapName string, key, value []byte) error {
	return kernel.MapLookupElem(e.mapFD(mapName), key, value)
}

// lookupU64 reads a u64 value keyed by a u32.
func (e *env) lookupU64(mapName string, key uint32) uint64 {
	e.t.Helper()
	v := make([]byte, 8)
	if err := e.lookup(mapName, e.u32(key), v); err != nil {
		e.fatalf("%s[%d]: %v", mapName, key, err)
	}
	return e.obj.ByteOrder.Uint64(v)
}

func (e *env) u32(v uint32) []byte {
	b := make([]byte, 4)
	e.obj.ByteOrder.PutUint32(b, v)
	return b
}

// cstring cuts b at its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// threadComm reads the comm of a thread of this process.
func threadComm(t *testing.T, tid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/comm", tid))
	if err != nil {
		t.Fatalf("comm of thread %d: %v", tid, err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// requireTracefs mounts tracefs when it is missing (the reference machine
// boots without it).
func requireTracefs(t *testing.T) { t.Helper(); testutil.RequireTracefs(t) }

// packet is a minimal Ethernet + IPv4 + UDP frame for skb and XDP test
// runs (they need at least an Ethernet header).
func packet() []byte {
	p := make([]byte, 64)
	copy(p[0:6], []byte{0x02, 0, 0, 0, 0, 1})
	copy(p[6:12], []byte{0x02, 0, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(p[12:], 0x0800)
	ip := p[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(p)-14))
	ip[8] = 64
	ip[9] = unix.IPPROTO_UDP
	copy(ip[12:16], []byte{127, 0, 0, 1})
	copy(ip[16:20], []byte{127, 0, 0, 1})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := p[34:42]
	binary.BigEndian.PutUint16(udp[0:], 12345)
	binary.BigEndian.PutUint16(udp[2:], 54321)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(p)-34))
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
