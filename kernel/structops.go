package kernel

import "unsafe"

// RegisterStructOps writes value (the map's value type, with program fds
// in its function pointer slots) into the struct_ops map fd and registers
// it with the kernel subsystem: for a map created with BPF_F_LINK through a
// new link, whose fd it returns; for another map the write itself
// registers it and the link fd is -1.
func RegisterStructOps(fd int, value []byte, link bool) (int, error) {
	// Key 0, the only one.
	if err := MapUpdateElem(fd, make([]byte, 4), value, 0); err != nil {
		return -1, err
	}
	if !link {
		return -1, nil
	}
	return LinkCreate(&LinkCreateAttr{ProgFD: fd, AttachType: BPF_STRUCT_OPS})
}

// UnregisterStructOps unregisters a struct_ops map registered without a
// link (closing a link unregisters the others).
func UnregisterStructOps(fd int) error {
	return MapDeleteElem(fd, make([]byte, 4))
}

// linkUpdateAttr is union bpf_attr for BPF_LINK_UPDATE.
type linkUpdateAttr struct {
	linkFD uint32 // 0
	newFD  uint32 // 4: new_prog_fd or new_map_fd
	flags  uint32 // 8
	oldFD  uint32 // 12: old_prog_fd or old_map_fd
}

// bpfFReplace is BPF_F_REPLACE: LINK_UPDATE only if the link holds oldFD.
const bpfFReplace = 1 << 2

// LinkUpdateMap makes the struct_ops link linkFD use the map newMapFD
// (registered with RegisterStructOps's value, created with BPF_F_LINK)
// instead of its current one; with oldMapFD >= 0, only if the link still
// uses that map.
func LinkUpdateMap(linkFD, newMapFD, oldMapFD int) error {
	attr := linkUpdateAttr{linkFD: uint32(linkFD), newFD: uint32(newMapFD)}
	if oldMapFD >= 0 {
		attr.flags, attr.oldFD = bpfFReplace, uint32(oldMapFD)
	}
	_, err := call(CmdLinkUpdate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), unsafe.Sizeof(attr))
	return err
}
