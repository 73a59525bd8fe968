package kernel

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The attribute layouts against the kernel's offsets (gen_loader.md A.1 and
// include/uapi/linux/bpf.h).
func TestAttrLayout(t *testing.T) {
	var mc mapCreateAttr
	var pl progLoadAttr
	var bl btfLoadAttr
	var tr testRunAttr
	var lc linkCreateAttr
	var li linkCreateIterAttr
	var pi progInfo
	var mi mapInfo
	var bi btfInfo
	var mb mapBatchAttr
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"map_create.map_name", unsafe.Offsetof(mc.mapName), 28},
		{"map_create.btf_fd", unsafe.Offsetof(mc.btfFD), 48},
		{"map_create.map_extra", unsafe.Offsetof(mc.mapExtra), 64},
		{"map_create.excl_prog_hash", unsafe.Offsetof(mc.exclProgHash), 80},
		{"map_create.excl_prog_hash_size", unsafe.Offsetof(mc.exclProgHashSize), 88},
		{"prog_load.log_buf", unsafe.Offsetof(pl.logBuf), 32},
		{"prog_load.prog_name", unsafe.Offsetof(pl.progName), 48},
		{"prog_load.prog_btf_fd", unsafe.Offsetof(pl.progBTFFD), 72},
		{"prog_load.func_info", unsafe.Offsetof(pl.funcInfo), 80},
		{"prog_load.line_info", unsafe.Offsetof(pl.lineInfo), 96},
		{"prog_load.attach_btf_id", unsafe.Offsetof(pl.attachBTFID), 108},
		{"prog_load.attach_btf_obj_fd", unsafe.Offsetof(pl.attachBTFObjFD), 112},
		{"prog_load.fd_array", unsafe.Offsetof(pl.fdArray), 120},
		{"prog_load.core_relos", unsafe.Offsetof(pl.coreRelos), 128},
		{"prog_load.log_true_size", unsafe.Offsetof(pl.logTrueSize), 140},
		{"prog_load.fd_array_cnt", unsafe.Offsetof(pl.fdArrayCnt), 148},
		{"prog_load.signature", unsafe.Offsetof(pl.signature), 152},
		{"prog_load.keyring_id", unsafe.Offsetof(pl.keyringID), 164},
		{"sizeof prog_load", unsafe.Sizeof(pl), 168},
		{"btf_load.btf_log_level", unsafe.Offsetof(bl.btfLogLevel), 24},
		{"btf_load.btf_token_fd", unsafe.Offsetof(bl.btfTokenFD), 36},
		{"batch.count", unsafe.Offsetof(mb.count), 32},
		{"batch.map_fd", unsafe.Offsetof(mb.mapFD), 36},
		{"batch.flags", unsafe.Offsetof(mb.flags), 48},
		{"sizeof batch", unsafe.Sizeof(mb), 56},
		{"test.ctx_in", unsafe.Offsetof(tr.ctxIn), 48},
		{"test.batch_size", unsafe.Offsetof(tr.batchSize), 72},
		{"sizeof test", unsafe.Sizeof(tr), 80},
		{"link_create.union", unsafe.Offsetof(lc.a), 16},
		{"link_create.iter_info_len", unsafe.Offsetof(li.iterInfoLen), 24},
		{"prog_info.name", unsafe.Offsetof(pi.name), 64},
		{"prog_info.btf_id", unsafe.Offsetof(pi.btfID), 128},
		{"prog_info.verified_insns", unsafe.Offsetof(pi.verifiedInsns), 216},
		{"prog_info.attach_btf_id", unsafe.Offsetof(pi.attachBTFID), 224},
		{"sizeof prog_info", unsafe.Sizeof(pi), 232},
		{"map_info.btf_id", unsafe.Offsetof(mi.btfID), 64},
		{"map_info.map_extra", unsafe.Offsetof(mi.mapExtra), 80},
		{"map_info.hash", unsafe.Offsetof(mi.hash), 88},
		{"map_info.hash_size", unsafe.Offsetof(mi.hashSize), 96},
		{"btf_info.kernel_btf", unsafe.Offsetof(bi.kernelBTF), 28},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s at %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// The size passed to the kernel is the smallest one covering the fields
// set, so older kernels never see a non-zero tail (E2BIG).
func TestAttrSize(t *testing.T) {
	full := func(a *mapCreateAttr) uintptr {
		return attrSize(unsafe.Pointer(a), unsafe.Sizeof(*a), 4)
	}
	tests := []struct {
		name string
		attr mapCreateAttr
		want uintptr
	}{
		{"empty", mapCreateAttr{}, 4},
		{"type only", mapCreateAttr{mapType: 2}, 4},
		{"max_entries", mapCreateAttr{mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1}, 16},
		{"name", mapCreateAttr{mapType: 2, mapName: objName("ab")}, 32},
		{"btf value id", mapCreateAttr{mapType: 2, btfValueTypeID: 7}, 60},
		{"map_extra high byte", mapCreateAttr{mapExtra: 1 << 56}, 72},
		{"excl size", mapCreateAttr{exclProgHashSize: 32}, 92},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := full(&tt.attr); got != tt.want {
				t.Errorf("size %d, want %d", got, tt.want)
			}
		})
	}
	// log_true_size is covered whenever a log buffer is passed.
	var pl progLoadAttr
	pl.progType = 1
	if got := attrSize(unsafe.Pointer(&pl), unsafe.Sizeof(pl), offsetofEndLogTrueSize); got != 144 {
		t.Errorf("prog load with log: size %d, want 144", got)
	}
}

// A non-zero byte past the kernel's union bpf_attr is refused with E2BIG:
// the reason attrSize exists.
func TestE2BIG(t *testing.T) {
	requireKernel(t)
	var buf [4096]byte
	attr := unsafe.Pointer(&buf[0])
	*(*uint32)(attr) = unix.BPF_MAP_TYPE_ARRAY
	*(*uint32)(unsafe.Add(attr, 4)) = 4
	*(*uint32)(unsafe.Add(attr, 8)) = 4
	*(*uint32)(unsafe.Add(attr, 12)) = 1
	buf[1000] = 1
	fd, err := sys(CmdMapCreate, attr, uintptr(len(buf)))
	if err == nil {
		unix.Close(fd)
		t.Fatal("non-zero tail accepted")
	}
	if !errors.Is(err, unix.E2BIG) {
		t.Fatalf("got %v, want E2BIG", err)
	}
	// The same attribute, with the size MapCreate would compute, works.
	buf[1000] = 0
	fd, err = call(CmdMapCreate, attr, uintptr(len(buf)), 4)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
}

func TestError(t *testing.T) {
	err := error(&Error{Cmd: CmdProgLoad, Errno: unix.EPERM})
	if got, want := err.Error(), "bpf(BPF_PROG_LOAD): operation not permitted"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if !errors.Is(err, unix.EPERM) {
		t.Error("does not unwrap to EPERM")
	}
	e := &Error{Cmd: CmdLinkCreate, Errno: ENOTSUPP}
	if !strings.Contains(e.Error(), "ENOTSUPP") || !errors.Is(e, ENOTSUPP) {
		t.Errorf("ENOTSUPP: %q", e.Error())
	}
	for c := CmdMapCreate; c <= CmdProgStreamReadByFD; c++ {
		if s := c.String(); !strings.HasPrefix(s, "BPF_") || strings.HasPrefix(s, "BPF_CMD_") {
			t.Errorf("Cmd(%d).String() = %q", c, s)
		}
	}
	if got := Cmd(99).String(); got != "BPF_CMD_99" {
		t.Errorf("Cmd(99) = %q", got)
	}
	if CmdProgTestRun != unix.BPF_PROG_RUN || CmdLinkDetach != unix.BPF_LINK_DETACH {
		t.Error("command numbers disagree with x/sys/unix")
	}
}

func TestObjName(t *testing.T) {
	n := objName("a_very_long_program_name")
	if got := CString(n[:]); got != "a_very_long_pro" {
		t.Errorf("truncated to %q", got)
	}
	if _, err := cstring("a\x00b"); err == nil {
		t.Error("embedded NUL accepted")
	}
	if b, _ := cstring(""); b != nil {
		t.Error("empty string is not NULL")
	}
}
