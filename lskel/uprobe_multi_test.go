//go:build linux

package lskel

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
)

// multiTarget puts a private copy of testdata/usdt_target, whose main
// calls site_one, site_two and step once a round, in $PATH and returns
// its path.
func multiTarget(t *testing.T) string {
	t.Helper()
	return filepath.Join(testutil.ProbeTargets(t, "usdt_target"), "usdt_target")
}

func runMultiTarget(t *testing.T, bin string, rounds int) {
	t.Helper()
	if out, err := exec.Command(bin, strconv.Itoa(rounds)).CombinedOutput(); err != nil {
		t.Fatalf("usdt_target: %v\n%s", err, out)
	}
}

func requireAttachType(t *testing.T, name, feature, version string) {
	t.Helper()
	testutil.RequireFeature(t, kbtf.HasEnumValue("bpf_attach_type", name), feature+" ("+name+")", version)
}

// TestAttachUprobeMulti attaches uprobe.multi, uretprobe.multi and
// uprobe.session programs by glob, by section and by offsets, and counts
// their runs.
func TestAttachUprobeMulti(t *testing.T) {
	requireKernel(t)
	tests := []struct {
		name, section string
		attachType    uint32
		pattern       string
		opts          UprobeMultiOptions
		ret           int32
		perRound      uint64
	}{
		{"entry", "uprobe.multi/usdt_target:site_*", kernel.BPF_TRACE_UPROBE_MULTI, "site_*", UprobeMultiOptions{}, 0, 2},
		{"return", "uretprobe.multi/usdt_target:site_*", kernel.BPF_TRACE_UPROBE_MULTI, "site_*", UprobeMultiOptions{Retprobe: true}, 0, 2},
		{"one function", "uprobe.multi/usdt_target:site_tw?", kernel.BPF_TRACE_UPROBE_MULTI, "site_tw?", UprobeMultiOptions{}, 0, 1},
		{"all three", "uprobe.multi/usdt_target:s*", kernel.BPF_TRACE_UPROBE_MULTI, "s*", UprobeMultiOptions{}, 0, 3},
		{"session", "uprobe.session/usdt_target:step", kernel.BPF_TRACE_UPROBE_SESSION, "step", UprobeMultiOptions{}, 0, 2},
		{"session entry only", "uprobe.session/usdt_target:step", kernel.BPF_TRACE_UPROBE_SESSION, "step", UprobeMultiOptions{}, 1, 1},
	}
	for _, tt := range tests {
		for _, how := range []string{"AttachUprobeMulti", "AttachProbe"} {
			t.Run(how+"/"+tt.name, func(t *testing.T) {
				if tt.attachType == kernel.BPF_TRACE_UPROBE_SESSION {
					requireAttachType(t, "BPF_TRACE_UPROBE_SESSION", "uprobe.session links", "6.13")
				} else {
					requireAttachType(t, "BPF_TRACE_UPROBE_MULTI", "uprobe.multi links", "6.6")
				}
				bin := multiTarget(t)
				counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
				prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: tt.attachType, insns: counterInsns(counts.FD(), tt.ret)}, tt.section)
				var l *Link
				var err error
				if how == "AttachProbe" {
					l, err = AttachProbe(prog, nil, elfsym.MatchFunctions)
				} else {
					opts := tt.opts
					opts.Match = elfsym.MatchFunctions
					l, err = AttachUprobeMulti(prog, bin, tt.pattern, &opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				runMultiTarget(t, bin, 4)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				if n := counter(t, counts); n != 4*tt.perRound {
					t.Fatalf("%s fired %d times in 4 rounds, want %d", tt.section, n, 4*tt.perRound)
				}
				runMultiTarget(t, bin, 1)
				if n := counter(t, counts); n != 4*tt.perRound {
					t.Fatalf("fired after Close: %d", n)
				}
			})
		}
	}
}

// TestAttachUprobeMultiOffsets attaches by offsets with a cookie each, in
// one process only.
func TestAttachUprobeMultiOffsets(t *testing.T) {
	requireKernel(t)
	requireAttachType(t, "BPF_TRACE_UPROBE_MULTI", "uprobe.multi links", "6.6")
	bin := multiTarget(t)
	names, offs, err := elfsym.MatchFunctions(bin, "site_*")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 {
		t.Fatalf("site_* matched %v", names)
	}
	vals := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: kernel.BPF_TRACE_UPROBE_MULTI, insns: cookieInsns(vals.FD())}, "")
	// site_two runs after site_one: its cookie is the one left.
	cookies := []uint64{0x111, 0x222}
	if names[0] == "site_two" {
		cookies[0], cookies[1] = 0x222, 0x111
	}
	l, err := AttachUprobeMulti(prog, bin, "", &UprobeMultiOptions{Offsets: offs, Cookies: cookies})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	runMultiTarget(t, bin, 1)
	if v := counter(t, vals); v != 0x222 {
		t.Fatalf("cookie %#x, want 0x222 (site_two's)", v)
	}
	// A PID-limited link: this process never calls the sites.
	vals2 := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog2 := testProg(t, progSpec{typ: progTypeKprobe, attachType: kernel.BPF_TRACE_UPROBE_MULTI, insns: counterInsns(vals2.FD(), 0)}, "")
	l2, err := AttachUprobeMulti(prog2, bin, "", &UprobeMultiOptions{Offsets: offs, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	runMultiTarget(t, bin, 2)
	if n := counter(t, vals2); n != 0 {
		t.Fatalf("a probe of pid %d fired %d times in another process", os.Getpid(), n)
	}
}

func TestAttachUprobeMultiErrors(t *testing.T) {
	requireKernel(t)
	requireAttachType(t, "BPF_TRACE_UPROBE_MULTI", "uprobe.multi links", "6.6")
	counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: kernel.BPF_TRACE_UPROBE_MULTI, insns: counterInsns(counts.FD(), 0)}, "")
	bin := multiTarget(t)
	tests := []struct {
		name, binary, pattern string
		opts                  *UprobeMultiOptions
		want                  string
	}{
		{"no matcher", bin, "site_*", nil, "elfsym.MatchFunctions"},
		{"no match", bin, "nothing_*", &UprobeMultiOptions{Match: elfsym.MatchFunctions}, `no function symbol matches "nothing_*"`},
		{"bad pattern", bin, "[", &UprobeMultiOptions{Match: elfsym.MatchFunctions}, `bad pattern "["`},
		{"cookies", bin, "site_*", &UprobeMultiOptions{Match: elfsym.MatchFunctions, Cookies: []uint64{1}}, "1 cookies and 0 reference counters for 2 probes"},
		{"missing binary", "bpfgen-no-such-binary", "f", &UprobeMultiOptions{Match: elfsym.MatchFunctions}, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := AttachUprobeMulti(prog, tt.binary, tt.pattern, tt.opts)
			wantAttachErr(t, l, err, tt.binary, tt.want)
		})
	}
}
