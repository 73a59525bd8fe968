package gen_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// TestKconfigFile loads the kconfig object with $BPFGEN_KCONFIG naming a
// config file unlike the running kernel's, directly and through its
// loader: both .kconfig maps hold the file's values, and a file that lacks
// a strong extern fails both loads naming the extern and the file.
func TestKconfigFile(t *testing.T) {
	testutil.RequireLoaders(t)
	obj, err := object.Open(testutil.Object("kconfig"))
	if err != nil {
		t.Fatal(err)
	}
	kc := -1
	for i, m := range obj.Maps {
		if m.Section == ".kconfig" {
			kc = i
		}
	}
	if kc < 0 {
		t.Fatal("kconfig object has no .kconfig map")
	}
	dir := t.TempDir()
	full := filepath.Join(dir, "config")
	os.WriteFile(full, []byte("CONFIG_BPF_SYSCALL=y\nCONFIG_TCP_CONG_CUBIC=m\nCONFIG_HZ=123\nCONFIG_DEFAULT_HOSTNAME=\"fromfile\"\n"), 0o644)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("CONFIG_BPF_SYSCALL=y\nCONFIG_TCP_CONG_CUBIC=m\nCONFIG_DEFAULT_HOSTNAME=\"x\"\n"), 0o644)

	backends := []struct {
		name string
		load func() (mapFDs []int, closeAll func(), err error)
	}{
		{"direct", func() ([]int, func(), error) {
			res, err := load.LoadDirect(obj, nil)
			if err != nil {
				return nil, nil, err
			}
			return handlesToFDs(res.Maps), func() { closeAll(res.Handles()) }, nil
		}},
		{"loader", kconfigLoader(t, obj, gen.Options{})},
		{"table loader", kconfigLoader(t, obj, gen.Options{Table: true})},
	}
	vars := load.KconfigVars(obj.Externs)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Setenv(kconfig.EnvConfigFile, full)
			fds, closeAll, err := b.load()
			if err != nil {
				t.Fatalf("load with %s=%s: %v", kconfig.EnvConfigFile, full, err)
			}
			defer closeAll()
			image := make([]byte, obj.Maps[kc].ValueSize)
			if err := kernel.MapLookupElem(fds[kc], make([]byte, 4), image); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"CONFIG_HZ": "123", "CONFIG_TCP_CONG_CUBIC": "2", "CONFIG_BPF_SYSCALL": "1",
				"CONFIG_DEFAULT_HOSTNAME": "fromfile", "CONFIG_IPV6": "0", "CONFIG_BPFGEN_DOES_NOT_EXIST": "0"}
			for _, v := range vars {
				w, ok := want[v.Name]
				if !ok {
					continue
				}
				raw := image[v.Offset : v.Offset+v.Size]
				got := strings.TrimRight(string(raw), "\x00")
				if v.Type != abi.KconfigCharArray {
					got = strconv.FormatUint(nativeUint(raw), 10)
				}
				if got != w {
					t.Errorf("%s = %q in .kconfig, want %q from %s", v.Name, got, w, full)
				}
				delete(want, v.Name)
			}
			if len(want) > 0 {
				t.Errorf("externs not in the object: %v", want)
			}

			t.Setenv(kconfig.EnvConfigFile, short)
			_, closeAll2, err := b.load()
			if err == nil {
				closeAll2()
				t.Fatalf("load with %s lacking CONFIG_HZ succeeded", short)
			}
			for _, s := range []string{"CONFIG_HZ", short} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
		})
	}
}

// nativeUint reads a 1, 2, 4 or 8-byte integer in the host's byte order.
func nativeUint(b []byte) uint64 {
	ne := binary.NativeEndian
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(ne.Uint16(b))
	case 4:
		return uint64(ne.Uint32(b))
	}
	return ne.Uint64(b)
}

// kconfigLoader loads obj through a loader made as opts says, with the
// kconfig resolver.
func kconfigLoader(t *testing.T, obj *object.Object, opts gen.Options) func() ([]int, func(), error) {
	return func() ([]int, func(), error) {
		l := generateIn(t, obj, opts)
		res, err := lskel.Run(&l.Loader, runOptsFor(l, lskel.RunOptions{Kconfig: kconfig.Resolve}))
		if err != nil {
			return nil, nil, err
		}
		mapFDs, _ := fdsOf(res)
		return mapFDs, func() { res.Close() }, nil
	}
}
