package main

import (
	"encoding/binary"
	"fmt"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/object"
)

// DumpVersion is the "version" field of `bpfgen dump --json`.
const DumpVersion = 1

// dumpJSON is the JSON form of `bpfgen dump --json` (docs/cli-json.md).
// Every key is always present.
type dumpJSON struct {
	Version      int           `json:"version"`
	Name         string        `json:"name"`
	Instructions int           `json:"instructions"`
	BlobSize     int           `json:"blob_size"`
	ContextSize  int           `json:"context_size"`
	Maps         []dumpMap     `json:"maps"`
	Programs     []dumpProg    `json:"programs"`
	Kconfig      []dumpKconfig `json:"kconfig"`
	Blob         []dumpBlob    `json:"blob"`
	Steps        []string      `json:"steps"`
	// Records are a table loader's records as the calls they replay
	// (gen.Loader.Records); absent for other loaders.
	Records []string   `json:"records,omitempty"`
	Program []dumpInsn `json:"program"`
}

type dumpMap struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	KernelName string `json:"kernel_name"`
	Type       string `json:"type"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Flags      uint32 `json:"flags"`
	Pinning    uint32 `json:"pinning"`
	FDIn       bool   `json:"fd_in"`
}

type dumpProg struct {
	Index   int    `json:"index"`
	Name    string `json:"name"`
	Section string `json:"section"`
	Type    string `json:"type"`
	Loaded  bool   `json:"loaded"`
}

type dumpKconfig struct {
	Name   string `json:"name"`
	Offset uint32 `json:"offset"`
	Size   uint32 `json:"size"`
}

type dumpBlob struct {
	Offset  int    `json:"offset"`
	Size    int    `json:"size"`
	Content string `json:"content"`
}

type dumpInsn struct {
	Index   int    `json:"index"`
	Text    string `json:"text"`
	Comment string `json:"comment"`
	Note    string `json:"note"`
}

// describeLoader builds the JSON form of a loader's dump.
func describeLoader(l *gen.Loader, bo binary.ByteOrder) (*dumpJSON, error) {
	lines, err := l.Listing(bo)
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	d := &dumpJSON{
		Version: DumpVersion, Name: l.Name,
		Instructions: len(l.Insns) / asm.InsnSize, BlobSize: len(l.Data), ContextSize: l.CtxSize(),
		Maps: []dumpMap{}, Programs: []dumpProg{}, Kconfig: []dumpKconfig{},
		Blob: []dumpBlob{}, Steps: append([]string{}, l.Steps...), Program: []dumpInsn{},
	}
	for i, m := range l.Maps {
		d.Maps = append(d.Maps, dumpMap{i, m.Name, m.KernelName, object.MapType(m.Type).String(), m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, m.Pinning, l.TakesMapFD(i)})
	}
	for j, p := range l.Progs {
		d.Programs = append(d.Programs, dumpProg{j, p.Name, p.Section, object.ProgType(p.Type).String(), p.Loaded})
	}
	for _, k := range l.Kconfig {
		d.Kconfig = append(d.Kconfig, dumpKconfig{k.Name, k.Offset, k.Size})
	}
	for _, it := range l.TOC {
		d.Blob = append(d.Blob, dumpBlob{it.Offset, it.Size, it.What})
	}
	for _, ln := range lines {
		d.Program = append(d.Program, dumpInsn{ln.Index, ln.Text, ln.Comment, ln.Note})
	}
	if l.Table {
		if d.Records, err = l.Records(bo); err != nil {
			return nil, fmt.Errorf("dump: %w", err)
		}
	}
	return d, nil
}
