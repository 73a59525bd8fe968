package lskel

import (
	"encoding/binary"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Table enables table loaders (abi.Loader.Table): pass it as
// RunOptions.Table. Only code that names it links what they need.
func Table() {
	tableHooks.create, tableHooks.load, tableHooks.fds = createTableBlob, loadTableLoader, tableFDs
}

// tableHooks are a table load's own steps once Table has run.
var tableHooks struct {
	create func(l *abi.Loader) (int, error)
	load   func(l *abi.Loader, blob int, logLevel uint32, logSize int) (int, error)
	fds    func(l *abi.Loader, blob int, ctx []byte) error
}

// stepLoadLoaderBTF is the runtime's step that loads a table loader's BTF.
const stepLoadLoaderBTF = "load loader BTF"

// createTableBlob creates a table loader's blob map, an array of
// abi.TableElemSize-byte elements, writes the blob in one batch and
// freezes it.
func createTableBlob(l *abi.Loader) (int, error) {
	n := len(l.Data) / abi.TableElemSize
	if n == 0 || len(l.Data)%abi.TableElemSize != 0 {
		return -1, fail(l, "table loader blob has bad size "+strconv.Itoa(len(l.Data)))
	}
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: mapTypeArray, KeySize: 4, ValueSize: abi.TableElemSize, MaxEntries: uint32(n), Name: blobMapName})
	if err != nil {
		return -1, &LoadError{Object: l.Name, Step: stepCreateBlob, Err: err}
	}
	keys := make([]byte, 4*n)
	for i := range n {
		binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
	}
	if err := kernel.MapUpdateBatch(fd, keys, l.Data, n); err != nil {
		closeFD(fd)
		return -1, &LoadError{Object: l.Name, Step: stepWriteBlob, Err: err}
	}
	if err := kernel.MapFreeze(fd); err != nil {
		closeFD(fd)
		return -1, &LoadError{Object: l.Name, Step: stepFreezeBlob, Err: err}
	}
	return fd, nil
}

// loadTableLoader loads a table loader's BTF and then the loader, with
// that BTF's func_info (the kernel wants it for the bpf_loop callback).
func loadTableLoader(l *abi.Loader, blob int, logLevel uint32, logSize int) (int, error) {
	btfFD, err := kernel.BTFLoad(l.LoaderBTF, nil, 0)
	if err != nil {
		return -1, &LoadError{Object: l.Name, Step: stepLoadLoaderBTF, Err: err}
	}
	defer closeFD(btfFD)
	p := loaderAttr(l, blob)
	p.BTFFD, p.FuncInfoRecSize, p.FuncInfo = uint32(btfFD), 8, l.LoaderFuncInfo
	return loadProg(l, p, logLevel, logSize)
}

// tableFDs reads the fds a successful run left in the blob's fd table
// into the context's descriptors, where own takes them: the verifier
// refuses stores into the context at offsets read from the blob.
func tableFDs(l *abi.Loader, blob int, ctx []byte) error {
	nm, np := len(l.Maps), len(l.Progs)
	slots := nm + np
	table := make([]byte, 0, (slots*4/abi.TableElemSize+1)*abi.TableElemSize)
	for k := 0; len(table) < 4*slots; k++ {
		var key [4]byte
		binary.NativeEndian.PutUint32(key[:], uint32(abi.TableFDElem+k))
		elem := make([]byte, abi.TableElemSize)
		if err := kernel.MapLookupElem(blob, key[:], elem); err != nil {
			return err
		}
		table = append(table, elem...)
	}
	ne := binary.NativeEndian
	for i := range nm {
		ne.PutUint32(ctx[abi.MapDescOff(i)+abi.MapDescFDOff:], ne.Uint32(table[4*i:]))
	}
	for j := range np {
		ne.PutUint32(ctx[abi.ProgDescOff(nm, j):], ne.Uint32(table[4*(nm+j):]))
	}
	return nil
}
