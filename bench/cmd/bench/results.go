package main

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// Results is the machine-readable form of the report, written to
// <out>/results.json (bench's TestQuickRound reads it).
type Results struct {
	Quick bool `json:"quick"`
	// Load maps object → contender → figures.
	Load map[string]map[string]LoadFigure `json:"load"`
	// Generate maps object → generator → figures.
	Generate map[string]map[string]GenFigure `json:"generate"`
	// BinaryBytes maps program → stripped size.
	BinaryBytes map[string]int64 `json:"binary_bytes"`
	// PeakRSSKB maps contender → peak RSS loading core.
	PeakRSSKB map[string]int64 `json:"peak_rss_kb"`
	// WholeProcess maps contender → a process loading core once.
	WholeProcess map[string]WholeFigure `json:"whole_process"`
}

// WholeFigure is one contender's whole process loading core once.
type WholeFigure struct {
	// MedianMS is the wall time, start to exit.
	MedianMS float64 `json:"median_ms,omitempty"`
	// MinusHelloMS is the median of the pairwise differences to the Go
	// hello world run in the same round.
	MinusHelloMS float64 `json:"minus_hello_ms"`
	PeakRSSKB    int64   `json:"peak_rss_kb,omitempty"`
	Runs         int     `json:"runs,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// LoadFigure is one contender's load time on one object.
type LoadFigure struct {
	MedianMS      float64 `json:"median_ms,omitempty"`
	FirstMedianMS float64 `json:"first_median_ms,omitempty"`
	Loads         int     `json:"loads,omitempty"`
	Error         string  `json:"error,omitempty"`
	// VerifiedInsns is the loader's verified_insns ("verify" only).
	VerifiedInsns uint32 `json:"verified_insns,omitempty"`
}

// GenFigure is one generator on one object.
type GenFigure struct {
	MedianMS float64 `json:"median_ms,omitempty"`
	Error    string  `json:"error,omitempty"`
}

func (rep *report) writeResults() error {
	res := Results{
		Quick:        rep.cfg.quick,
		Load:         map[string]map[string]LoadFigure{},
		Generate:     map[string]map[string]GenFigure{},
		BinaryBytes:  map[string]int64{},
		PeakRSSKB:    map[string]int64{},
		WholeProcess: map[string]WholeFigure{},
	}
	for obj, m := range rep.loads {
		res.Load[obj] = map[string]LoadFigure{}
		for k, r := range m {
			f := LoadFigure{Error: r.err, Loads: len(r.samples), VerifiedInsns: r.verified}
			if r.ok() {
				f.MedianMS, f.FirstMedianMS = r.median(), r.firstMedian()
			}
			res.Load[obj][k] = f
		}
	}
	for obj, m := range rep.gen {
		res.Generate[obj] = map[string]GenFigure{}
		for k, r := range m {
			res.Generate[obj][k] = GenFigure{MedianMS: r.median, Error: r.err}
		}
	}
	for _, b := range rep.bins {
		if b.err == "" {
			res.BinaryBytes[b.key] = b.bytes
		}
	}
	for _, m := range rep.mem {
		if m.err == "" {
			res.PeakRSSKB[m.key] = m.kb
		}
		res.WholeProcess[m.key] = WholeFigure{MedianMS: medianFloat(m.wall), MinusHelloMS: medianFloat(m.minusHello),
			PeakRSSKB: m.kb, Runs: len(m.wall), Error: m.err}
	}
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(rep.cfg.out, "results.json"), append(raw, '\n'), 0o644)
}
