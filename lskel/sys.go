package lskel

// The runtime's narrow view of bpf(2), over bpfgen's kernel package.

import (
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// Program types, map types, attach types and flags used by the runtime.
const (
	ProgTypeKprobe        = 2
	ProgTypeSchedCLS      = 3
	ProgTypeTracepoint    = 5
	ProgTypeXDP           = 6
	ProgTypePerfEvent     = 7
	ProgTypeCgroupSKB     = 8
	ProgTypeRawTracepoint = 17
	ProgTypeTracing       = 26
	ProgTypeLSM           = 29
	ProgTypeSyscall       = 31

	MapTypeHash          = 1
	MapTypeArray         = 2
	MapTypePerfEventArr  = 4
	MapTypePercpuHash    = 5
	MapTypePercpuArray   = 6
	MapTypeLRUPercpuHash = 10
	MapTypePercpuCgStore = 21
	MapTypeRingBuf       = 27

	AttachTypeCgroupInetIngress = 0
	AttachTypeCgroupInetEgress  = 1
	AttachTypeTraceRawTP        = 23
	AttachTypeTraceFentry       = 24
	AttachTypeTraceFexit        = 25
	AttachTypeModifyReturn      = 26
	AttachTypeLSMMac            = 27
	AttachTypeTraceIter         = 28
	AttachTypeXDP               = 37
	AttachTypePerfEvent         = 41
	AttachTypeTCXIngress        = 46
	AttachTypeTCXEgress         = 47

	// MapFlagRdonlyProg and MapFlagMmapable are BPF_F_RDONLY_PROG and
	// BPF_F_MMAPABLE.
	MapFlagRdonlyProg = 1 << 7
	MapFlagMmapable   = 1 << 10

	progFlagSleepable = 1 << 4
)

// mapCreate is BPF_MAP_CREATE without BTF.
func mapCreate(typ, keySize, valueSize, maxEntries, flags uint32, name string) (int, error) {
	return kernel.MapCreate(&kernel.MapCreateAttr{
		Type: typ, KeySize: keySize, ValueSize: valueSize, MaxEntries: maxEntries, Flags: flags, Name: name,
	})
}

// progLoadAttr is what the runtime passes to BPF_PROG_LOAD.
type progLoadAttr struct {
	typ, attachType, flags uint32
	insns                  []byte
	license, name          string
	logLevel               uint32
	logBuf                 []byte
	fdArray                []int32
	attachBTFID            uint32
}

func progLoad(p *progLoadAttr) (int, error) {
	a := kernel.ProgLoadAttr{
		Type:               p.typ,
		Insns:              p.insns,
		License:            p.license,
		Flags:              p.flags,
		Name:               p.name,
		ExpectedAttachType: p.attachType,
		AttachBTFID:        p.attachBTFID,
		FDArray:            p.fdArray,
	}
	if p.logLevel != 0 && len(p.logBuf) > 0 {
		a.LogLevel, a.LogBuf = p.logLevel, p.logBuf
	}
	fd, _, err := kernel.ProgLoad(&a)
	return fd, err
}

// progTestRun runs a program once with ctx as ctx_in; the kernel writes
// the context back into ctx for syscall programs. It returns retval.
func progTestRun(fd int, ctx []byte) (uint32, error) {
	r, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: fd, CtxIn: ctx})
	return r.Retval, err
}

// closeFD closes fd if it is valid, ignoring errors: the callers are on
// cleanup paths where nothing better can be done.
func closeFD(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}
