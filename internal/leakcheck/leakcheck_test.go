package leakcheck

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { Main(m) }

func TestDetectsLeaks(t *testing.T) {
	s := Take(true)
	if !s.kernel {
		testutil.SkipOrFail(t, "bpf(2) unavailable")
	}
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 4, MaxEntries: 1, Name: "lc_leak"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil {
		unix.Close(fd)
		t.Fatal("open map not reported")
	}
	for _, want := range []string{"anon_inode:bpf-map", "map id", `name "lc_leak"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err, want)
		}
	}
	unix.Close(fd)
	if err := s.Wait(2 * time.Second); err != nil {
		t.Errorf("after close: %v", err)
	}
}

func TestFDOnly(t *testing.T) {
	s := Take(false)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "pipe:") {
		t.Errorf("open pipe not reported: %v", err)
	}
	r.Close()
	w.Close()
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
