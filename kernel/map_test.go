package kernel

import (
	"encoding/binary"
	"errors"
	"sort"
	"testing"

	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"golang.org/x/sys/unix"
)

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func TestArrayMap(t *testing.T) {
	requireKernel(t)
	fd, err := MapCreate(&MapCreateAttr{
		Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 8, MaxEntries: 4, Name: "kt_array",
	})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)

	for i := uint32(0); i < 4; i++ {
		if err := MapUpdateElem(fd, u32(i), u64(uint64(i)*100), unix.BPF_ANY); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	val := make([]byte, 8)
	if err := MapLookupElem(fd, u32(3), val); err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint64(val); got != 300 {
		t.Errorf("value[3] = %d, want 300", got)
	}
	if err := MapLookupElem(fd, u32(4), val); !errors.Is(err, unix.ENOENT) {
		t.Errorf("lookup past the end: %v, want ENOENT", err)
	}
	if err := MapDeleteElem(fd, u32(0)); !errors.Is(err, unix.EINVAL) {
		t.Errorf("array delete: %v, want EINVAL", err)
	}
	if got := keys(t, fd); len(got) != 4 || got[0] != 0 || got[3] != 3 {
		t.Errorf("keys %v", got)
	}

	info, err := GetMapInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	want := MapInfo{Type: unix.BPF_MAP_TYPE_ARRAY, ID: info.ID, KeySize: 4, ValueSize: 8, MaxEntries: 4, Name: "kt_array",
		NetnsDev: info.NetnsDev, NetnsIno: info.NetnsIno}
	if *info != want || info.ID == 0 {
		t.Errorf("info %+v, want %+v", *info, want)
	}

	if err := MapFreeze(fd); err != nil {
		t.Fatal(err)
	}
	err = MapUpdateElem(fd, u32(1), u64(1), unix.BPF_ANY)
	if !errors.Is(err, unix.EPERM) {
		t.Errorf("update after freeze: %v, want EPERM", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Cmd != CmdMapUpdateElem {
		t.Errorf("error %v does not name BPF_MAP_UPDATE_ELEM", err)
	}
	// A frozen array has a content hash on 6.18.
	if h, err := MapHash(fd); err != nil {
		t.Logf("map hash not available: %v", err)
	} else if len(h) != 32 {
		t.Errorf("hash of %d bytes", len(h))
	}
}

func keys(t *testing.T, fd int) []uint32 {
	t.Helper()
	var out []uint32
	var key []byte
	next := make([]byte, 4)
	for {
		err := MapGetNextKey(fd, key, next)
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, binary.NativeEndian.Uint32(next))
		if len(out) > 1000 {
			t.Fatal("key iteration does not end")
		}
		key = append([]byte(nil), next...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestHashMap(t *testing.T) {
	requireKernel(t)
	fd, err := MapCreate(&MapCreateAttr{
		Type: unix.BPF_MAP_TYPE_HASH, KeySize: 4, ValueSize: 4, MaxEntries: 16,
		Flags: unix.BPF_F_NO_PREALLOC, Name: "kt_hash",
	})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)
	for _, k := range []uint32{7, 11, 13} {
		if err := MapUpdateElem(fd, u32(k), u32(k*2), unix.BPF_NOEXIST); err != nil {
			t.Fatal(err)
		}
	}
	if err := MapUpdateElem(fd, u32(7), u32(0), unix.BPF_NOEXIST); !errors.Is(err, unix.EEXIST) {
		t.Errorf("NOEXIST on existing key: %v", err)
	}
	if got := keys(t, fd); len(got) != 3 || got[0] != 7 || got[1] != 11 || got[2] != 13 {
		t.Errorf("keys %v, want [7 11 13]", got)
	}
	if err := MapDeleteElem(fd, u32(11)); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 4)
	if err := MapLookupElem(fd, u32(11), v); !errors.Is(err, unix.ENOENT) {
		t.Errorf("lookup deleted: %v", err)
	}
	if err := MapLookupElem(fd, u32(13), v); err != nil || binary.NativeEndian.Uint32(v) != 26 {
		t.Errorf("lookup 13: %v %v", v, err)
	}
	info, err := GetMapInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != unix.BPF_MAP_TYPE_HASH || info.Flags != unix.BPF_F_NO_PREALLOC || info.MaxEntries != 16 || info.Name != "kt_hash" {
		t.Errorf("info %+v", info)
	}
}

// minimalBTF is hand-built raw BTF: [1] int, [2] int(void), [3] func "f".
func minimalBTF() []byte {
	ne := binary.NativeEndian
	var types []byte
	for _, v := range []uint32{
		1, 1 << 24, 4, 1<<24 | 32, // [1] INT "int" size 4, signed 32 bits
		0, 13 << 24, 1, // [2] FUNC_PROTO returning [1]
		5, 12 << 24, 2, // [3] FUNC "f" static, type [2]
	} {
		types = ne.AppendUint32(types, v)
	}
	strs := []byte("\x00int\x00f\x00")
	b := ne.AppendUint16(nil, 0xeb9f)
	b = append(b, 1, 0)
	for _, v := range []uint32{24, 0, uint32(len(types)), uint32(len(types)), uint32(len(strs))} {
		b = ne.AppendUint32(b, v)
	}
	return append(append(b, types...), strs...)
}

func TestBTFLoad(t *testing.T) {
	requireKernel(t)
	raw := minimalBTF()
	log := make([]byte, 4096)
	fd, err := BTFLoad(raw, log, 1)
	if err != nil {
		t.Fatalf("%v\n%s", err, CString(log))
	}
	closeFD(t, fd)
	info, err := GetBTFInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == 0 || info.KernelBTF || info.Name != "" || info.Size != uint32(len(raw)) {
		t.Errorf("info %+v", info)
	}
	data, err := GetBTFData(fd)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(raw) {
		t.Error("BTF read back differs")
	}

	// A map with BTF key and value types.
	mfd, err := MapCreate(&MapCreateAttr{
		Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 4, MaxEntries: 1, Name: "kt_btf",
		BTFFD: uint32(fd), BTFKeyTypeID: 1, BTFValueTypeID: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, mfd)
	mi, err := GetMapInfo(mfd)
	if err != nil {
		t.Fatal(err)
	}
	if mi.BTFID != info.ID || mi.BTFKeyTypeID != 1 || mi.BTFValueTypeID != 1 {
		t.Errorf("map BTF ids %+v, want btf %d", mi, info.ID)
	}

	// A broken blob fails with EINVAL and a log.
	bad := append([]byte(nil), raw...)
	bad[24+4] = 0xff // INT info: kind 0xff
	clear(log)
	if fd, err := BTFLoad(bad, log, 1); err == nil {
		unix.Close(fd)
		t.Fatal("bad BTF accepted")
	} else if !errors.Is(err, unix.EINVAL) || CString(log) == "" {
		t.Errorf("bad BTF: %v, log %q", err, CString(log))
	}
}

// vmlinux BTF is id-addressable and marked as kernel BTF.
func TestKernelBTF(t *testing.T) {
	requireKernel(t)
	testutil.RequireFeature(t, kbtf.HasMember("bpf_btf_info", "name"), "names of BTF objects in BPF_OBJ_GET_INFO_BY_FD", "5.11")
	var id uint32
	for {
		next, err := NextBTFID(id)
		if err != nil {
			t.Fatalf("no vmlinux BTF found: %v", err)
		}
		id = next
		fd, err := BTFFDByID(id)
		if err != nil {
			continue // released meanwhile
		}
		info, err := GetBTFInfo(fd)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		if info.Name == "vmlinux" {
			if !info.KernelBTF || info.Size == 0 {
				t.Errorf("vmlinux info %+v", info)
			}
			return
		}
	}
}
