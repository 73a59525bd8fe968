package skeleton

import (
	"strings"
	"testing"
	"text/template"

	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// TestTemplateParses parses the embedded template.
func TestTemplateParses(t *testing.T) {
	tpl, err := parseTemplate()
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Lookup("skeleton.go.tpl") == nil {
		t.Fatal("template skeleton.go.tpl not defined")
	}
}

// TestRenderErrors checks that a template that fails to execute or
// produces code that does not parse gives an error, not a panic.
func TestRenderErrors(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"missing field", "package p\n// {{.NoSuchField}}\n", "executing the template"},
		{"bad Go", "package p\nfunc {{.Package}}(\n", "does not parse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tpl := template.Must(template.New("t").Parse(tt.text))
			_, err := render(tpl, &file{Package: "p"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestConstNames checks the names of the constant tables against the
// object package's names of the same values, and the fallbacks for values
// x/sys has no constant for.
func TestConstNames(t *testing.T) {
	for v, n := range unixProgTypes {
		if want, _ := kernelName("BPF_PROG_TYPE_", object.ProgType(v).String()); n != want {
			t.Errorf("program type %d: table says %s, object package %s", v, n, want)
		}
	}
	for v, n := range unixAttachTypes {
		if want, _ := kernelName("BPF_", object.AttachType(v).String()); n != want {
			t.Errorf("attach type %d: table says %s, object package %s", v, n, want)
		}
	}
	for v, n := range unixMapTypes {
		if want, _ := kernelName("BPF_MAP_TYPE_", object.MapType(v).String()); n != want {
			t.Errorf("map type %d: table says %s, object package %s", v, n, want)
		}
	}
	for bit := range unixMapFlags {
		if kernelMapFlags[bit] != "" {
			t.Errorf("map flag %#x in both tables", bit)
		}
	}

	var c constNamer
	for _, tt := range []struct{ got, want string }{
		{c.progType(uint32(object.ProgTypeTracepoint)), "unix.BPF_PROG_TYPE_TRACEPOINT"},
		{c.progType(99), "99"},
		{c.attachType(uint32(object.ProgTypeTracepoint), 0), "0"},
		{c.attachType(uint32(object.ProgTypeCgroupSKB), 0), "unix.BPF_CGROUP_INET_INGRESS"},
		{c.attachType(uint32(object.ProgTypeKprobe), uint32(object.AttachTraceKprobeSession)), "56 /* BPF_TRACE_KPROBE_SESSION */"},
		{c.mapType(uint32(object.MapTypeArena)), "33 /* BPF_MAP_TYPE_ARENA */"},
		{c.mapType(999), "999"},
		{c.mapFlags(0), "0"},
		{c.mapFlags(0x480), "unix.BPF_F_RDONLY_PROG|unix.BPF_F_MMAPABLE"},
		{c.mapFlags(0x400 | 1<<16), "unix.BPF_F_MMAPABLE|0x10000 /* BPF_F_TOKEN_FD */"},
		{c.mapFlags(1<<15 | 1<<16 | 1<<30), "0x40018000 /* BPF_F_VTYPE_BTF_OBJ_FD|BPF_F_TOKEN_FD */"},
		{kconfigType(abi.KconfigInt), "abi.KconfigInt"},
		{kconfigType(42), "42"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
	if !c.usesUnix {
		t.Error("unix names used but not recorded")
	}
	var none constNamer
	none.mapFlags(1 << 16)
	none.progType(99)
	if none.usesUnix {
		t.Error("no unix name used but one recorded")
	}
}
