package kernel

import (
	"errors"
	"strconv"
	"syscall"
	"unsafe"
)

// ProgLoadAttr describes a BPF_PROG_LOAD call. Byte slices are passed as
// they are; the counts the kernel wants are derived from their lengths.
type ProgLoadAttr struct {
	Type uint32
	// Insns are the encoded instructions (8 bytes each).
	Insns   []byte
	License string
	// LogLevel, LogBuf: the verifier log. The kernel rejects a buffer
	// with level 0 and a level with no buffer (EINVAL).
	LogLevel    uint32
	LogBuf      []byte
	KernVersion uint32
	Flags       uint32
	// Name is truncated to 15 bytes.
	Name               string
	Ifindex            uint32
	ExpectedAttachType uint32
	BTFFD              uint32
	// FuncInfo and LineInfo are arrays of records of the given sizes.
	FuncInfoRecSize uint32
	FuncInfo        []byte
	LineInfoRecSize uint32
	LineInfo        []byte
	AttachBTFID     uint32
	// AttachBTFObjFD is also attach_prog_fd (freplace, fentry on a BPF
	// program).
	AttachBTFObjFD  uint32
	CoreReloRecSize uint32
	CoreRelos       []byte
	// FDArray resolves BPF_PSEUDO_MAP_IDX(_VALUE) and kfunc module BTF
	// slots. FDArrayCnt (Linux 6.14) additionally binds every map in the
	// first FDArrayCnt entries to the program; leave it 0 for the sparse
	// lookup libbpf uses.
	FDArray    []int32
	FDArrayCnt uint32
	TokenFD    int32
	// Signature, KeyringID: signed programs (Linux 6.18).
	Signature []byte
	KeyringID int32
}

// progLoadAttr is union bpf_attr for BPF_PROG_LOAD.
type progLoadAttr struct {
	progType           uint32   // 0
	insnCnt            uint32   // 4
	insns              ptr      // 8
	license            ptr      // 16
	logLevel           uint32   // 24
	logSize            uint32   // 28
	logBuf             ptr      // 32
	kernVersion        uint32   // 40
	progFlags          uint32   // 44
	progName           [16]byte // 48
	progIfindex        uint32   // 64
	expectedAttachType uint32   // 68
	progBTFFD          uint32   // 72
	funcInfoRecSize    uint32   // 76
	funcInfo           ptr      // 80
	funcInfoCnt        uint32   // 88
	lineInfoRecSize    uint32   // 92
	lineInfo           ptr      // 96
	lineInfoCnt        uint32   // 104
	attachBTFID        uint32   // 108
	attachBTFObjFD     uint32   // 112
	coreReloCnt        uint32   // 116
	fdArray            ptr      // 120
	coreRelos          ptr      // 128
	coreReloRecSize    uint32   // 136
	logTrueSize        uint32   // 140
	progTokenFD        int32    // 144
	fdArrayCnt         uint32   // 148
	signature          ptr      // 152
	signatureSize      uint32   // 160
	keyringID          int32    // 164
}

const offsetofEndLogTrueSize = 144

// errRecords reports a record array whose length is not a multiple of its
// record size.
func errRecords(what string, n int, size uint32) error {
	return errors.New("kernel: " + what + ": " + strconv.Itoa(n) +
		" bytes is not a whole number of " + strconv.FormatUint(uint64(size), 10) + "-byte records")
}

func records(what string, b []byte, size uint32) (uint32, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if size == 0 || len(b)%int(size) != 0 {
		return 0, errRecords(what, len(b), size)
	}
	return uint32(len(b) / int(size)), nil
}

// ProgLoad loads a program and returns its fd and the kernel's
// log_true_size (the log size the verifier needed, 0 on kernels before 6.4
// or without a log buffer). It makes no retry with a larger log buffer; it
// only repeats the call when the verifier was interrupted (EAGAIN).
func ProgLoad(a *ProgLoadAttr) (fd int, logTrueSize uint32, err error) {
	if len(a.Insns)%8 != 0 {
		return -1, 0, errRecords("instructions", len(a.Insns), 8)
	}
	license, err := cstring(a.License)
	if err != nil {
		return -1, 0, errors.New("kernel: license contains a NUL byte")
	}
	attr := progLoadAttr{
		progType:           a.Type,
		insnCnt:            uint32(len(a.Insns) / 8),
		insns:              bytesPtr(a.Insns),
		license:            bytesPtr(license),
		logLevel:           a.LogLevel,
		logSize:            uint32(len(a.LogBuf)),
		logBuf:             bytesPtr(a.LogBuf),
		kernVersion:        a.KernVersion,
		progFlags:          a.Flags,
		progName:           objName(a.Name),
		progIfindex:        a.Ifindex,
		expectedAttachType: a.ExpectedAttachType,
		progBTFFD:          a.BTFFD,
		attachBTFID:        a.AttachBTFID,
		attachBTFObjFD:     a.AttachBTFObjFD,
		progTokenFD:        a.TokenFD,
		fdArrayCnt:         a.FDArrayCnt,
		keyringID:          a.KeyringID,
	}
	if attr.funcInfoCnt, err = records("func_info", a.FuncInfo, a.FuncInfoRecSize); err != nil {
		return -1, 0, err
	}
	if attr.lineInfoCnt, err = records("line_info", a.LineInfo, a.LineInfoRecSize); err != nil {
		return -1, 0, err
	}
	if attr.coreReloCnt, err = records("core_relos", a.CoreRelos, a.CoreReloRecSize); err != nil {
		return -1, 0, err
	}
	if len(a.FuncInfo) > 0 {
		attr.funcInfoRecSize, attr.funcInfo = a.FuncInfoRecSize, bytesPtr(a.FuncInfo)
	}
	if len(a.LineInfo) > 0 {
		attr.lineInfoRecSize, attr.lineInfo = a.LineInfoRecSize, bytesPtr(a.LineInfo)
	}
	if len(a.CoreRelos) > 0 {
		attr.coreReloRecSize, attr.coreRelos = a.CoreReloRecSize, bytesPtr(a.CoreRelos)
	}
	if len(a.FDArray) > 0 {
		attr.fdArray = ptr{p: unsafe.Pointer(&a.FDArray[0])}
	}
	if len(a.Signature) > 0 {
		attr.signature = bytesPtr(a.Signature)
		attr.signatureSize = uint32(len(a.Signature))
	}
	// Cover log_true_size when there is a log so the kernel reports it.
	min := uintptr(4)
	if len(a.LogBuf) > 0 {
		min = offsetofEndLogTrueSize
	}
	for range 5 {
		fd, err = call(CmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr), min)
		if !errors.Is(err, syscall.EAGAIN) {
			break
		}
	}
	return fd, attr.logTrueSize, err
}

// btfLoadAttr is union bpf_attr for BPF_BTF_LOAD.
type btfLoadAttr struct {
	btf            ptr    // 0
	btfLogBuf      ptr    // 8
	btfSize        uint32 // 16
	btfLogSize     uint32 // 20
	btfLogLevel    uint32 // 24
	btfLogTrueSize uint32 // 28
	btfFlags       uint32 // 32
	btfTokenFD     int32  // 36
}

// BTFLoad loads raw BTF (header, types, strings) and returns its fd. A log
// buffer needs a non-zero logLevel.
func BTFLoad(raw, logBuf []byte, logLevel uint32) (int, error) {
	attr := btfLoadAttr{
		btf:         bytesPtr(raw),
		btfSize:     uint32(len(raw)),
		btfLogBuf:   bytesPtr(logBuf),
		btfLogSize:  uint32(len(logBuf)),
		btfLogLevel: logLevel,
	}
	return call(CmdBTFLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// TestRunAttr describes a BPF_PROG_TEST_RUN call.
type TestRunAttr struct {
	ProgFD    int
	DataIn    []byte
	DataOut   []byte
	CtxIn     []byte
	CtxOut    []byte
	Repeat    uint32
	Flags     uint32
	CPU       uint32
	BatchSize uint32
}

// TestRunResult is what BPF_PROG_TEST_RUN reports back.
type TestRunResult struct {
	Retval      uint32
	Duration    uint32 // average ns per run
	DataSizeOut uint32
	CtxSizeOut  uint32
}

// testRunAttr is union bpf_attr for BPF_PROG_TEST_RUN.
type testRunAttr struct {
	progFD      uint32 // 0
	retval      uint32 // 4
	dataSizeIn  uint32 // 8
	dataSizeOut uint32 // 12
	dataIn      ptr    // 16
	dataOut     ptr    // 24
	repeat      uint32 // 32
	duration    uint32 // 36
	ctxSizeIn   uint32 // 40
	ctxSizeOut  uint32 // 44
	ctxIn       ptr    // 48
	ctxOut      ptr    // 56
	flags       uint32 // 64
	cpu         uint32 // 68
	batchSize   uint32 // 72
	_           uint32
}

// ProgTestRun runs a program once (or Repeat times) in the kernel.
func ProgTestRun(a *TestRunAttr) (TestRunResult, error) {
	attr := testRunAttr{
		progFD:      uint32(a.ProgFD),
		dataSizeIn:  uint32(len(a.DataIn)),
		dataSizeOut: uint32(len(a.DataOut)),
		dataIn:      bytesPtr(a.DataIn),
		dataOut:     bytesPtr(a.DataOut),
		repeat:      a.Repeat,
		ctxSizeIn:   uint32(len(a.CtxIn)),
		ctxSizeOut:  uint32(len(a.CtxOut)),
		ctxIn:       bytesPtr(a.CtxIn),
		ctxOut:      bytesPtr(a.CtxOut),
		flags:       a.Flags,
		cpu:         a.CPU,
		batchSize:   a.BatchSize,
	}
	_, err := call(CmdProgTestRun, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
	return TestRunResult{
		Retval:      attr.retval,
		Duration:    attr.duration,
		DataSizeOut: attr.dataSizeOut,
		CtxSizeOut:  attr.ctxSizeOut,
	}, err
}
