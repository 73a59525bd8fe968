package kernel

import (
	"errors"
	"io"
	"syscall"
	"unsafe"
)

// objAttr is union bpf_attr for BPF_OBJ_PIN and BPF_OBJ_GET.
type objAttr struct {
	pathname  ptr    // 0
	bpfFD     uint32 // 8
	fileFlags uint32 // 12
	pathFD    int32  // 16
	_         uint32
}

// ObjPin pins the object behind fd at path, which must be inside a bpffs
// mount.
func ObjPin(fd int, path string) error {
	p, err := cstring(path)
	if err != nil || p == nil {
		return &Error{Cmd: CmdObjPin, Errno: syscall.EINVAL}
	}
	attr := objAttr{pathname: bytesPtr(p), bpfFD: uint32(fd)}
	_, err = call(CmdObjPin, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
	return err
}

// ObjGet opens the object pinned at path. flags may be unix.BPF_F_RDONLY
// or unix.BPF_F_WRONLY.
func ObjGet(path string, flags uint32) (int, error) {
	p, err := cstring(path)
	if err != nil || p == nil {
		return -1, &Error{Cmd: CmdObjGet, Errno: syscall.EINVAL}
	}
	attr := objAttr{pathname: bytesPtr(p), fileFlags: flags}
	return call(CmdObjGet, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// idAttr is union bpf_attr for BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID.
type idAttr struct {
	id        uint32 // 0: start_id, prog_id, map_id, btf_id, link_id
	nextID    uint32 // 4
	openFlags uint32 // 8
	tokenFD   int32  // 12
}

func nextID(cmd Cmd, start uint32) (uint32, error) {
	attr := idAttr{id: start}
	if _, err := call(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return 0, io.EOF
		}
		return 0, err
	}
	return attr.nextID, nil
}

// NextProgID returns the id of the first program after start (0: the
// first), or io.EOF after the last one.
func NextProgID(start uint32) (uint32, error) { return nextID(CmdProgGetNextID, start) }

// NextMapID is NextProgID for maps.
func NextMapID(start uint32) (uint32, error) { return nextID(CmdMapGetNextID, start) }

// NextBTFID is NextProgID for BTF objects.
func NextBTFID(start uint32) (uint32, error) { return nextID(CmdBTFGetNextID, start) }

// NextLinkID is NextProgID for links.
func NextLinkID(start uint32) (uint32, error) { return nextID(CmdLinkGetNextID, start) }

func fdByID(cmd Cmd, id, flags uint32) (int, error) {
	attr := idAttr{id: id, openFlags: flags}
	return call(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// ProgFDByID opens the program with the given id. A vanished id gives an
// error that unwraps to syscall.ENOENT.
func ProgFDByID(id uint32) (int, error) { return fdByID(CmdProgGetFDByID, id, 0) }

// MapFDByID opens the map with the given id (flags: unix.BPF_F_RDONLY,
// BPF_F_WRONLY or 0).
func MapFDByID(id, flags uint32) (int, error) { return fdByID(CmdMapGetFDByID, id, flags) }

// BTFFDByID opens the BTF object with the given id.
func BTFFDByID(id uint32) (int, error) { return fdByID(CmdBTFGetFDByID, id, 0) }

// LinkFDByID opens the link with the given id.
func LinkFDByID(id uint32) (int, error) { return fdByID(CmdLinkGetFDByID, id, 0) }
