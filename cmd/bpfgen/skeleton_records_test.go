package main

import "testing"

// -record and -type: typed readers and extra types, and the mistakes
// each can be given.
func TestSkeletonRecords(t *testing.T) {
	const readers = "../../testdata/readers.bpf.o"
	const progtypes = "../../testdata/progtypes.bpf.o"
	for _, c := range []cliCase{
		{name: "records", args: []string{"skeleton", readers, "-record", "events=struct event", "-record", "samples=event"},
			stdout: []string{"Events  lskel.RingBufMap[ReadersEvent]", "Samples lskel.PerfEventArray[ReadersEvent]",
				"-record 'events=struct event' -record samples=event"}},
		{name: "untyped readers noted", args: []string{"skeleton", readers},
			stdout: []string{"Events  *lskel.Map"},
			stderr: []string{"note: map samples is a perf_event_array: -record samples=TYPE",
				"note: map events is a ringbuf: -record events=TYPE"}},
		{name: "record of a hash", args: []string{"skeleton", readers, "-record", "totals=event"}, code: 1,
			line: "bpfgen skeleton: skeleton of readers: map totals: Options.RecordTypes: a hash, not a ring buffer or perf event array"},
		{name: "record of no map", args: []string{"skeleton", readers, "-record", "nope=event"}, code: 1,
			line: `bpfgen skeleton: skeleton of readers: Options.RecordTypes: the object has no map "nope"`},
		{name: "record of no type", args: []string{"skeleton", readers, "-record", "events=struct nope", "-record", "samples=event"}, code: 1,
			line: `bpfgen skeleton: skeleton of readers: map events: Options.RecordTypes: no type "struct nope" in the object's BTF`},
		{name: "record not MAP=TYPE", args: []string{"skeleton", readers, "-record", "events"}, code: 2,
			stderr: []string{`invalid value "events" for flag -record: "events" is not MAP=TYPE`}},
		{name: "extra type", args: []string{"skeleton", progtypes, "-type", "pt_regs", "-type", "struct bpf_perf_event_data"},
			stdout: []string{"type ProgtypesPtRegs struct", "type ProgtypesBpfPerfEventData struct",
				"-type pt_regs -type 'struct bpf_perf_event_data'"}},
		{name: "extra type unknown", args: []string{"skeleton", progtypes, "-type", "union pt_regs"}, code: 1,
			line: `bpfgen skeleton: skeleton of progtypes: Options.Types: no type "union pt_regs" in the object's BTF`},
		{name: "extra type not a C name", args: []string{"skeleton", progtypes, "-type", "class pt_regs"}, code: 1,
			line: `bpfgen skeleton: skeleton of progtypes: Options.Types: "class pt_regs": not a C type name (struct, union or enum NAME, or NAME)`},
	} {
		t.Run(c.name, c.check)
	}
}
