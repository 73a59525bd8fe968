package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// contender is one way of loading an object.
type contender struct {
	key   string
	label string
	// chart: drawn in the ratio chart (the floor and the overhead
	// measurement are not loaders).
	chart bool
}

var contenders = []contender{
	{"floor", "kernel floor (direct load's syscalls)", false},
	{"skel", "bpfgen Go light skeleton", true},
	{"skel-table", "bpfgen Go light skeleton, table loader", true},
	{"direct", "bpfgen direct load (.o)", true},
	{"libbpf-lskel", "libbpf light skeleton (C)", true},
	{"libbpf-skel", "libbpf skeleton (C, -lbpf)", true},
	{"cilium", "cilium/ebpf", true},
	{"overhead", "loader overhead (blob + loader verification)", false},
	{"verify", "loader verification (the loader's own BPF_PROG_LOAD)", false},
	{"verify-table", "table loader verification (its own BPF_PROG_LOAD)", false},
}

// sample mirrors bench.Sample (the JSON both harnesses print).
type sample struct {
	FirstNS  int64   `json:"first_ns"`
	NS       []int64 `json:"ns"`
	MaxRSSKB int64   `json:"peak_rss_kb"`
	// VerifiedInsns: the "verify" contender's loader, verified_insns.
	VerifiedInsns uint32 `json:"verified_insns"`
}

// loadResult gathers one contender's samples on one object.
type loadResult struct {
	samples      []int64 // every steady-state load, all rounds
	firsts       []int64 // the first load of each process
	roundMedians []float64
	err          string // why the contender could not load the object
	verified     uint32 // "verify": the loader's verified_insns
}

func (r *loadResult) ok() bool { return r != nil && r.err == "" && len(r.samples) > 0 }

// median of the steady-state loads, in ms.
func (r *loadResult) median() float64 { return medianInt(r.samples) / 1e6 }

func (r *loadResult) firstMedian() float64 { return medianInt(r.firsts) / 1e6 }

func medianInt(v []int64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return (float64(s[n/2-1]) + float64(s[n/2])) / 2
}

func (rep *report) result(obj, key string) *loadResult {
	if rep.loads == nil {
		rep.loads = map[string]map[string]*loadResult{}
	}
	m := rep.loads[obj]
	if m == nil {
		m = map[string]*loadResult{}
		rep.loads[obj] = m
	}
	r := m[key]
	if r == nil {
		r = &loadResult{}
		m[key] = r
	}
	return r
}

func (rep *report) unsupported(obj, key string, err error) {
	r := rep.result(obj, key)
	if r.err == "" {
		r.err = reason(err)
		if strings.HasPrefix(key, "libbpf-lskel") {
			r.err = annotateBpftool(obj, r.err)
		}
	}
}

// annotateBpftool adds the known cause where bpftool gen skeleton -L
// gives no reason of its own.
func annotateBpftool(obj, why string) string {
	if obj == "mapinmap" {
		return why + " (libbpf's loader generator does not support initialised map-in-map and program-array slots; see testdata/README.md)"
	}
	return why
}

// command is the process that measures contender key on o.
func (c *config) command(o objSpec, key string, n int) (string, []string) {
	switch key {
	case "libbpf-lskel":
		return c.bin(o.Name + ".lskel"), []string{strconv.Itoa(n)}
	case "libbpf-skel":
		return c.bin(o.Name + ".skel"), []string{strconv.Itoa(n)}
	default:
		return c.bin("gobench"), []string{"-object", o.Name, "-contender", key, "-n", strconv.Itoa(n)}
	}
}

// runSample runs one harness process and decodes its sample.
func runSample(name string, args []string) (*sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", name, err, stderr.String())
	}
	var s sample
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("%s printed %q: %w", name, out, err)
	}
	return &s, nil
}

// limitedBuffer keeps the last 8 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 8192 {
		l.b = l.b[len(l.b)-8192:]
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// measureLoads runs the rounds: per object and round, every contender
// once (a fresh process doing 1 + Iters loads), in an order rotated each
// round so that none always runs first or last.
func measureLoads(c *config, rep *report) error {
	for _, o := range c.objects {
		for r := 0; r < c.rounds; r++ {
			for i := range contenders {
				k := contenders[(i+r)%len(contenders)].key
				res := rep.result(o.Name, k)
				if res.err != "" {
					continue
				}
				name, args := c.command(o, k, o.Iters)
				s, err := runSample(name, args)
				if err != nil {
					res.err = lastLine(err)
					fmt.Fprintf(os.Stderr, "bench: %s on %s: %v\n", k, o.Name, err)
					continue
				}
				res.firsts = append(res.firsts, s.FirstNS)
				res.samples = append(res.samples, s.NS...)
				res.roundMedians = append(res.roundMedians, medianInt(s.NS)/1e6)
				res.verified = max(res.verified, s.VerifiedInsns)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: %-10s", o.Name)
		for _, ct := range contenders {
			if r := rep.result(o.Name, ct.key); r.ok() {
				fmt.Fprintf(os.Stderr, " %s=%.3fms", ct.key, r.median())
			} else {
				fmt.Fprintf(os.Stderr, " %s=n/a", ct.key)
			}
		}
		fmt.Fprintln(os.Stderr)
	}
	return nil
}
