package kernel

import "unsafe"

// Offsets of the bpf_attr fields a loader program fills in, for code that
// lays attrs out as bytes (package gen). They come from this package's own
// attr structs, so the layout is written down once.
const (
	BTFLoadBTF         = int(unsafe.Offsetof(btfLoadAttr{}.btf))
	BTFLoadLogBuf      = int(unsafe.Offsetof(btfLoadAttr{}.btfLogBuf))
	BTFLoadSize        = int(unsafe.Offsetof(btfLoadAttr{}.btfSize))
	BTFLoadLogSize     = int(unsafe.Offsetof(btfLoadAttr{}.btfLogSize))
	BTFLoadLogLevel    = int(unsafe.Offsetof(btfLoadAttr{}.btfLogLevel))
	BTFLoadLogTrueSize = int(unsafe.Offsetof(btfLoadAttr{}.btfLogTrueSize))

	MapCreateType        = int(unsafe.Offsetof(mapCreateAttr{}.mapType))
	MapCreateKeySize     = int(unsafe.Offsetof(mapCreateAttr{}.keySize))
	MapCreateValueSize   = int(unsafe.Offsetof(mapCreateAttr{}.valueSize))
	MapCreateMaxEntries  = int(unsafe.Offsetof(mapCreateAttr{}.maxEntries))
	MapCreateFlags       = int(unsafe.Offsetof(mapCreateAttr{}.mapFlags))
	MapCreateInnerMapFD  = int(unsafe.Offsetof(mapCreateAttr{}.innerMapFD))
	MapCreateNumaNode    = int(unsafe.Offsetof(mapCreateAttr{}.numaNode))
	MapCreateName        = int(unsafe.Offsetof(mapCreateAttr{}.mapName))
	MapCreateBTFFD       = int(unsafe.Offsetof(mapCreateAttr{}.btfFD))
	MapCreateBTFKeyID    = int(unsafe.Offsetof(mapCreateAttr{}.btfKeyTypeID))
	MapCreateBTFValueID  = int(unsafe.Offsetof(mapCreateAttr{}.btfValueTypeID))
	MapCreateMapExtra    = int(unsafe.Offsetof(mapCreateAttr{}.mapExtra))
	MapCreateMapExtraEnd = MapCreateMapExtra + 8
	// struct_ops maps: the kernel's value type, and the module BTF that
	// has it (Linux 6.9).
	MapCreateVmlinuxValueTypeID = int(unsafe.Offsetof(mapCreateAttr{}.btfVmlinuxValueTypeID))
	MapCreateValueTypeBTFObjFD  = int(unsafe.Offsetof(mapCreateAttr{}.valueTypeBTFObjFD))
	MapElemFD                   = int(unsafe.Offsetof(mapElemAttr{}.mapFD))
	MapElemKey                  = int(unsafe.Offsetof(mapElemAttr{}.key))
	MapElemValue                = int(unsafe.Offsetof(mapElemAttr{}.value))
	MapElemSize                 = int(unsafe.Sizeof(mapElemAttr{}))
	ProgLoadType                = int(unsafe.Offsetof(progLoadAttr{}.progType))
	ProgLoadInsnCnt             = int(unsafe.Offsetof(progLoadAttr{}.insnCnt))
	ProgLoadInsns               = int(unsafe.Offsetof(progLoadAttr{}.insns))
	ProgLoadLicense             = int(unsafe.Offsetof(progLoadAttr{}.license))
	ProgLoadLogLevel            = int(unsafe.Offsetof(progLoadAttr{}.logLevel))
	ProgLoadLogSize             = int(unsafe.Offsetof(progLoadAttr{}.logSize))
	ProgLoadLogBuf              = int(unsafe.Offsetof(progLoadAttr{}.logBuf))
	ProgLoadKernVersion         = int(unsafe.Offsetof(progLoadAttr{}.kernVersion))
	ProgLoadFlags               = int(unsafe.Offsetof(progLoadAttr{}.progFlags))
	ProgLoadName                = int(unsafe.Offsetof(progLoadAttr{}.progName))
	ProgLoadAttachType          = int(unsafe.Offsetof(progLoadAttr{}.expectedAttachType))
	ProgLoadBTFFD               = int(unsafe.Offsetof(progLoadAttr{}.progBTFFD))
	ProgLoadFuncInfoRec         = int(unsafe.Offsetof(progLoadAttr{}.funcInfoRecSize))
	ProgLoadFuncInfo            = int(unsafe.Offsetof(progLoadAttr{}.funcInfo))
	ProgLoadFuncInfoCnt         = int(unsafe.Offsetof(progLoadAttr{}.funcInfoCnt))
	ProgLoadLineInfoRec         = int(unsafe.Offsetof(progLoadAttr{}.lineInfoRecSize))
	ProgLoadLineInfo            = int(unsafe.Offsetof(progLoadAttr{}.lineInfo))
	ProgLoadLineInfoCnt         = int(unsafe.Offsetof(progLoadAttr{}.lineInfoCnt))
	ProgLoadAttachBTFID         = int(unsafe.Offsetof(progLoadAttr{}.attachBTFID))
	ProgLoadAttachBTFObj        = int(unsafe.Offsetof(progLoadAttr{}.attachBTFObjFD))
	ProgLoadCoreReloCnt         = int(unsafe.Offsetof(progLoadAttr{}.coreReloCnt))
	ProgLoadFDArray             = int(unsafe.Offsetof(progLoadAttr{}.fdArray))
	ProgLoadCoreRelos           = int(unsafe.Offsetof(progLoadAttr{}.coreRelos))
	ProgLoadCoreReloRec         = int(unsafe.Offsetof(progLoadAttr{}.coreReloRecSize))
	ProgLoadLogTrueSize         = int(unsafe.Offsetof(progLoadAttr{}.logTrueSize))
	ProgLoadLogTrueSizeEnd      = ProgLoadLogTrueSize + 4
	BTFLoadLogTrueSizeEnd       = BTFLoadLogTrueSize + 4
)
