package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestInspectGolden(t *testing.T) {
	for _, tt := range []struct{ obj, golden string }{
		{"../../testdata/mapinmap.bpf.o", "testdata/inspect_mapinmap.golden"},
		{"../../testdata/kconfig.bpf.o", "testdata/inspect_kconfig.golden"},
		{"../../testdata/structops.bpf.o", "testdata/inspect_structops.golden"},
	} {
		out, errs, code := runCmd(t, "inspect", tt.obj)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if *update {
			if err := os.WriteFile(tt.golden, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(tt.golden)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("inspect %s differs from %s (run with -update to accept):\n%s", tt.obj, tt.golden, out)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	out, errs, code := runCmd(t, "inspect", "--json", "../../testdata/subprogs.bpf.o")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// The documented shape, decoded generically so a renamed field fails.
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "name", "license", "kern_version", "programs", "subprograms", "maps", "externs", "core_relos"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing top-level field %q", k)
		}
	}
	if doc["version"] != float64(1) {
		t.Errorf("version = %v, want 1", doc["version"])
	}
	var rep inspectJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Programs) != 3 || rep.Programs[2].Name != "callbacks" {
		t.Fatalf("programs %+v", rep.Programs)
	}
	cb := rep.Programs[2]
	if cb.Type != "syscall" || !cb.Sleepable || strings.Join(cb.Subprogs, ",") != "loop_cb,square,each_cb" {
		t.Errorf("callbacks: %+v", cb)
	}
	if len(rep.Subprograms) != 5 {
		t.Errorf("%d subprograms, want 5", len(rep.Subprograms))
	}
	if len(rep.Maps) != 2 || rep.Maps[0].Name != "vals" || rep.Maps[0].KeyType != "__u32" || rep.Maps[0].ValueType != "__u64" {
		t.Errorf("maps %+v", rep.Maps)
	}
	// Flags may come after the object too.
	out2, _, code := runCmd(t, "inspect", "../../testdata/subprogs.bpf.o", "-json")
	if code != 0 || out2 != out {
		t.Errorf("flag after the object: exit %d, same output %v", code, out2 == out)
	}
}

func TestInspectErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect"}, 2, "usage: bpfgen inspect OBJ"},
		{[]string{"inspect", "does-not-exist.o"}, 1, "bpfgen inspect: does-not-exist.o: no such file or directory\n"},
		{[]string{"inspect", "--yaml", "x.o"}, 2, "flag provided but not defined: -yaml"},
		{[]string{"inspect", "inspect_test.go"}, 1, "bpfgen inspect: inspect_test.go: not an ELF file\n"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{nil, 2, "usage: bpfgen <command>"},
	} {
		out, errs, code := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q on stderr", tt.args, code, out, errs, tt.code, tt.want)
		}
	}
	out, _, code := runCmd(t, "help")
	if code != 0 || !strings.Contains(out, "bpfgen inspect OBJ [--json]") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}
