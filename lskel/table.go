package lskel

import (
	"encoding/binary"
	"strconv"
	"sync"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Table enables table loaders (abi.Loader.Table): pass it as
// RunOptions.Table. Only code that names it links what they need; the
// steps it puts in place run other loaders as before. It sets them once,
// so that runs after the first read what no one writes any more.
func Table() {
	tableOnce.Do(func() {
		loaderHooks.blob, loaderHooks.load, loaderHooks.own = createTableBlob, loadTableLoader, ownTable
		tableOn = true
	})
}

var (
	tableOnce sync.Once
	// tableOn tells the signed load, which loads a table loader
	// itself, that Table has run.
	tableOn bool
)

// stepLoadLoaderBTF is the runtime's step that loads a table loader's BTF.
const stepLoadLoaderBTF = "load loader BTF"

// createTableBlob creates a table loader's blob map, an array of
// abi.TableElemSize-byte elements, writes the blob in one batch and
// freezes it; a signed table loader's blob is one value, as an unrolled
// loader's.
func createTableBlob(l *abi.Loader) (int, error) {
	if !l.Table {
		return createBlob(l)
	}
	n := len(l.Data) / abi.TableElemSize
	if n == 0 || len(l.Data)%abi.TableElemSize != 0 {
		return -1, fail(l, "table loader blob has bad size "+strconv.Itoa(len(l.Data)))
	}
	if l.Signed {
		// One value, exclusive to the loader: what a v2 signature
		// covers (as createBlob).
		return createBlob(l)
	}
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: mapTypeArray, KeySize: 4, ValueSize: abi.TableElemSize, MaxEntries: uint32(n), Name: blobMapName})
	if err != nil {
		return -1, stepErr(l, stepCreateBlob, err)
	}
	keys := make([]byte, 4*n)
	for i := range n {
		binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
	}
	if err := kernel.MapUpdateBatch(fd, keys, l.Data, n); err != nil {
		closeFD(fd)
		return -1, stepErr(l, stepWriteBlob, err)
	}
	if err := kernel.MapFreeze(fd); err != nil {
		closeFD(fd)
		return -1, stepErr(l, stepFreezeBlob, err)
	}
	return fd, nil
}

// loadTableLoader loads a table loader's BTF and then the loader, with
// that BTF's func_info (the kernel wants it for the bpf_loop callback).
func loadTableLoader(l *abi.Loader, blob, btf int, logLevel uint32, logSize int) (int, error) {
	if l.Table {
		fd, err := loadLoaderBTF(l)
		if err != nil {
			return -1, err
		}
		defer closeFD(fd)
		btf = fd
	}
	return loadLoader(l, blob, btf, logLevel, logSize)
}

// loadLoaderBTF loads a table loader's own BTF (abi.Loader.LoaderBTF).
func loadLoaderBTF(l *abi.Loader) (int, error) {
	fd, err := kernel.BTFLoad(l.LoaderBTF, nil, 0)
	if err != nil {
		return -1, stepErr(l, stepLoadLoaderBTF, err)
	}
	return fd, nil
}

// ownTable takes the fds of a successful run of a table loader from the
// blob's fd table: the verifier refuses stores into the context at
// offsets read from the blob, so the loader leaves them there. They go
// into the context's descriptors, where own takes them.
func ownTable(l *abi.Loader, blob int, ctx []byte) (*Result, error) {
	if !l.Table {
		return own(l, blob, ctx)
	}
	ne := binary.NativeEndian
	nm, np := len(l.Maps), len(l.Progs)
	var table []byte
	if l.Signed {
		// The blob is one value (createTableBlob).
		var key [4]byte
		table = make([]byte, len(l.Data))
		if err := kernel.MapLookupElem(blob, key[:], table); err != nil {
			return nil, err
		}
		table = table[abi.TableFDElem*abi.TableElemSize:]
	}
	for k := 0; len(table) < 4*(nm+np); k++ {
		var key [4]byte
		ne.PutUint32(key[:], uint32(abi.TableFDElem+k))
		elem := make([]byte, abi.TableElemSize)
		if err := kernel.MapLookupElem(blob, key[:], elem); err != nil {
			// The fds cannot be named: the failure says which step.
			return nil, err
		}
		table = append(table, elem...)
	}
	for i := range nm {
		ne.PutUint32(ctx[abi.MapDescOff(i)+abi.MapDescFDOff:], ne.Uint32(table[4*i:]))
	}
	for j := range np {
		ne.PutUint32(ctx[abi.ProgDescOff(nm, j):], ne.Uint32(table[4*(nm+j):]))
	}
	return own(l, blob, ctx)
}
