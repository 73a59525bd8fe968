package object_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/object"
)

// progLine and mapLine render the fields a table entry checks, so that a
// mismatch shows every field at once.
func progLine(f *object.Function) string {
	return fmt.Sprintf("%s %s %v %v %q autoload=%v flags=%#x", f.Name, f.Section, f.Type, f.AttachType, f.AttachTo, f.Autoload, f.Flags)
}

func mapLine(m *object.Map) string {
	return fmt.Sprintf("%s %s %v %d/%d max=%d flags=%#x pin=%d init=%d", m.Name, m.KernelName, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, m.Pinning, len(m.Contents))
}

func externLine(e *object.Extern) string {
	switch e.Kind {
	case object.ExternKconfig:
		return fmt.Sprintf("kconfig %s weak=%v off=%d size=%d type=%d signed=%v", e.Name, e.Weak, e.Offset, e.Size, e.KconfigType, e.Signed)
	default:
		return fmt.Sprintf("ksym %s weak=%v func=%v typeless=%v kind=%v", e.Name, e.Weak, e.Func, e.Typeless, e.TargetKind)
	}
}

func TestOpenTestdata(t *testing.T) {
	tests := []struct {
		file     string
		progs    []string
		subprogs []string
		maps     []string
		externs  []string
		// calls lists "caller->callee" edges from RelocCall/RelocFunc.
		calls []string
		core  int
	}{
		{
			file:  "minimal.bpf.o",
			progs: []string{`handle_getpid tp/syscalls/sys_enter_getpid tracepoint cgroup_inet_ingress "syscalls/sys_enter_getpid" autoload=true flags=0x0`},
			maps: []string{
				"counts counts hash 4/8 max=1024 flags=0x0 pin=0 init=0",
				".rodata minimal.rodata array 4/4 max=1 flags=0x480 pin=0 init=4",
				".bss minimal.bss array 4/8 max=1 flags=0x400 pin=0 init=0",
			},
		},
		{
			file: "maps.bpf.o",
			progs: []string{
				`count_syscalls raw_tp/sys_enter raw_tracepoint cgroup_inet_ingress "sys_enter" autoload=true flags=0x0`,
				`on_getpid tracepoint/syscalls/sys_enter_getpid tracepoint cgroup_inet_ingress "syscalls/sys_enter_getpid" autoload=true flags=0x0`,
			},
			maps: []string{
				"array array array 4/8 max=4 flags=0x0 pin=0 init=0",
				"hash hash hash 4/8 max=512 flags=0x0 pin=0 init=0",
				"pcpu_array pcpu_array percpu_array 4/8 max=2 flags=0x0 pin=0 init=0",
				"pcpu_hash pcpu_hash percpu_hash 4/8 max=512 flags=0x0 pin=0 init=0",
				"sized_array sized_array array 4/8 max=1 flags=0x0 pin=0 init=0",
				"events events ringbuf 0/0 max=4096 flags=0x0 pin=0 init=0",
				"lru lru lru_hash 4/8 max=128 flags=0x2 pin=0 init=0",
				"pinned_map pinned_map array 4/8 max=1 flags=0x0 pin=1 init=0",
				".rodata maps.rodata array 4/4 max=1 flags=0x480 pin=0 init=4",
				".bss maps.bss array 4/8 max=1 flags=0x400 pin=0 init=0",
			},
			core: 1,
		},
		{
			file:  "globals.bpf.o",
			progs: []string{`read_globals syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`},
			maps: []string{
				".rodata globals.rodata array 4/56 max=1 flags=0x480 pin=0 init=56",
				".data globals.data array 4/16 max=1 flags=0x400 pin=0 init=16",
				".data.custom .data.custom array 4/8 max=1 flags=0x400 pin=0 init=8",
				".rodata.custom .rodata.custom array 4/4 max=1 flags=0x480 pin=0 init=4",
				".bss globals.bss array 4/96 max=1 flags=0x400 pin=0 init=0",
			},
		},
		{
			file: "subprogs.bpf.o",
			progs: []string{
				`prog_a syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`,
				`prog_b syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`,
				`callbacks syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`,
			},
			subprogs: []string{"global_add", "sum_squares", "loop_cb", "each_cb", "square"},
			maps: []string{
				"vals vals array 4/8 max=4 flags=0x0 pin=0 init=0",
				".bss subprogs.bss array 4/48 max=1 flags=0x400 pin=0 init=0",
			},
			// .text comes first (section index order); sum_squares calls
			// square twice.
			calls: []string{
				"sum_squares->square", "sum_squares->square", "loop_cb->square",
				"prog_a->sum_squares", "prog_a->global_add", "prog_b->sum_squares", "prog_b->global_add",
				"callbacks->loop_cb", "callbacks->each_cb",
			},
		},
		{
			file:  "kconfig.bpf.o",
			progs: []string{`read_kconfig syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`},
			maps: []string{
				".bss kconfig.bss array 4/48 max=1 flags=0x400 pin=0 init=0",
				".data kconfig.data array 4/4 max=1 flags=0x400 pin=0 init=4",
				".kconfig kconfig.kconfig array 4/34 max=1 flags=0x480 pin=0 init=0",
			},
			externs: []string{
				"kconfig CONFIG_BPFGEN_DOES_NOT_EXIST weak=true off=0 size=4 type=4 signed=true",
				"kconfig CONFIG_HZ weak=false off=4 size=4 type=4 signed=true",
				"kconfig CONFIG_TCP_CONG_CUBIC weak=false off=8 size=4 type=2 signed=false",
				"kconfig LINUX_KERNEL_VERSION weak=false off=12 size=4 type=4 signed=false",
				"kconfig CONFIG_BPF_SYSCALL weak=false off=16 size=1 type=1 signed=false",
				"kconfig CONFIG_IPV6 weak=true off=17 size=1 type=1 signed=false",
				"kconfig CONFIG_DEFAULT_HOSTNAME weak=false off=18 size=16 type=5 signed=false",
			},
		},
		{
			file:  "ksyms.bpf.o",
			progs: []string{`use_ksyms syscall syscall cgroup_inet_ingress "" autoload=true flags=0x10`},
			maps: []string{
				".rodata ksyms.rodata array 4/4 max=1 flags=0x480 pin=0 init=4",
				".bss ksyms.bss array 4/40 max=1 flags=0x400 pin=0 init=0",
				".data ksyms.data array 4/16 max=1 flags=0x400 pin=0 init=16",
			},
			externs: []string{
				"ksym bpf_prog_put weak=false func=false typeless=true kind=VAR",
				"ksym bpf_rcu_read_lock weak=true func=true typeless=false kind=FUNC",
				"ksym bpf_task_from_pid weak=false func=true typeless=false kind=FUNC",
				"ksym bpf_task_release weak=false func=true typeless=false kind=FUNC",
				"ksym bpfgen_no_such_kfunc weak=true func=true typeless=false kind=FUNC",
				"ksym bpfgen_no_such_symbol weak=true func=false typeless=true kind=VAR",
			},
			core: 2,
		},
		{
			file:  "iter.bpf.o",
			progs: []string{`dump_task iter/task tracing trace_iter "task" autoload=true flags=0x0`},
			maps: []string{
				".bss iter.bss array 4/8 max=1 flags=0x400 pin=0 init=0",
				".rodata iter.rodata array 4/25 max=1 flags=0x80 pin=0 init=25",
			},
			core: 8,
		},
		{
			file: "mapinmap.bpf.o",
			progs: []string{
				`tail_a xdp xdp xdp "" autoload=true flags=0x0`,
				`mim_lookup xdp xdp xdp "" autoload=true flags=0x0`,
				`tail_entry xdp xdp xdp "" autoload=true flags=0x0`,
			},
			maps: []string{
				"inner1 inner1 array 4/8 max=1 flags=0x0 pin=0 init=0",
				"inner2 inner2 array 4/8 max=1 flags=0x0 pin=0 init=0",
				"outer_arr outer_arr array_of_maps 4/4 max=4 flags=0x0 pin=0 init=0",
				"outer_hash outer_hash hash_of_maps 4/4 max=4 flags=0x0 pin=0 init=0",
				"jmp_table jmp_table prog_array 4/4 max=4 flags=0x0 pin=0 init=0",
				"outer_empty outer_empty array_of_maps 4/4 max=2 flags=0x0 pin=0 init=0",
				".bss mapinmap.bss array 4/40 max=1 flags=0x400 pin=0 init=0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			obj, err := object.Open("../testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if obj.License != "Dual BSD/GPL" {
				t.Errorf("license %q", obj.License)
			}
			var progs, subs, maps, exts, calls []string
			core := 0
			for _, f := range obj.Functions {
				core += len(f.CORERelos)
				if f.Subprog {
					subs = append(subs, f.Name)
				} else {
					progs = append(progs, progLine(f))
				}
				for _, r := range f.Relocs {
					if r.Kind == object.RelocCall || r.Kind == object.RelocFunc {
						calls = append(calls, f.Name+"->"+r.Func.Name)
					}
				}
			}
			for _, m := range obj.Maps {
				maps = append(maps, mapLine(m))
			}
			for _, e := range obj.Externs {
				exts = append(exts, externLine(e))
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s:\ngot:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
				}
			}
			check("programs", progs, tt.progs)
			check("sub-programs", subs, tt.subprogs)
			check("maps", maps, tt.maps)
			check("externs", exts, tt.externs)
			check("calls", calls, tt.calls)
			if core != tt.core {
				t.Errorf("%d CO-RE records, want %d", core, tt.core)
			}
		})
	}
}

// TestRelocations checks the relocations of minimal.bpf.o and the slots
// of mapinmap.bpf.o in detail.
func TestRelocations(t *testing.T) {
	obj, err := object.Open("../testdata/minimal.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	p := obj.Programs()[0]
	var got []string
	for _, r := range p.Relocs {
		if !p.Insns[r.Insn].IsLdImm64() {
			t.Errorf("relocation at instruction %d is not an ld_imm64", r.Insn)
		}
		got = append(got, fmt.Sprintf("%d:%d:%s+%d", r.Kind, r.Insn, obj.Maps[r.Map].Name, r.Offset))
	}
	// filter_pid (.rodata), calls (.bss), counts twice.
	kinds := map[string]object.RelocKind{".rodata": object.RelocMapValue, ".bss": object.RelocMapValue, "counts": object.RelocMap}
	seen := map[string]int{}
	for _, r := range p.Relocs {
		name := obj.Maps[r.Map].Name
		seen[name]++
		if kinds[name] != r.Kind {
			t.Errorf("reference to %s has kind %d, want %d", name, r.Kind, kinds[name])
		}
		if r.Offset != 0 {
			t.Errorf("reference to %s has offset %d, want 0", name, r.Offset)
		}
	}
	if seen[".rodata"] != 1 || seen[".bss"] != 1 || seen["counts"] != 2 {
		t.Errorf("relocations %v, want .rodata once, .bss once, counts twice", got)
	}

	obj, err = object.Open("../testdata/mapinmap.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string]string{}
	for _, m := range obj.Maps {
		var s []string
		for _, sl := range m.Slots {
			if sl.Prog != nil {
				s = append(s, fmt.Sprintf("%d=%s", sl.Index, sl.Prog.Name))
			} else {
				s = append(s, fmt.Sprintf("%d=%s", sl.Index, obj.Maps[sl.Map].Name))
			}
		}
		slots[m.Name] = strings.Join(s, ",")
		if m.Type.IsMapInMap() && m.Inner == nil {
			t.Errorf("map %s has no inner map", m.Name)
		}
	}
	for name, want := range map[string]string{"outer_arr": "0=inner1,2=inner2", "outer_hash": "1=inner2", "jmp_table": "0=tail_a", "outer_empty": ""} {
		if slots[name] != want {
			t.Errorf("map %s slots %q, want %q", name, slots[name], want)
		}
	}
}

func TestObjectNames(t *testing.T) {
	for _, tt := range []struct{ path, name, skel string }{
		{"testdata/minimal.bpf.o", "minimal", "minimal_bpf"},
		{"/x/a_very_long_object_name.o", "a_very_long_obj", "a_very_long_object_name"},
		{"plain", "plain", "plain"},
	} {
		if got := object.ObjectName(tt.path); got != tt.name {
			t.Errorf("ObjectName(%q) = %q, want %q", tt.path, got, tt.name)
		}
		if got := object.SkeletonObjectName(tt.path); got != tt.skel {
			t.Errorf("SkeletonObjectName(%q) = %q, want %q", tt.path, got, tt.skel)
		}
	}
}

func TestInternalMapNamesWithSkeletonName(t *testing.T) {
	raw := readFile(t, "../testdata/globals.bpf.o")
	obj, err := object.OpenBytes(object.SkeletonObjectName("globals.bpf.o"), raw)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range obj.Maps {
		got = append(got, m.KernelName)
	}
	// bpftool names the object "globals_bpf": 8 bytes of it before
	// .rodata/.data/.bss, custom sections alone.
	want := "globals_.rodata globals_.data .data.custom .rodata.custom globals_.bss"
	if strings.Join(got, " ") != want {
		t.Errorf("kernel names %q, want %q", strings.Join(got, " "), want)
	}
}

func readFileErr(path string) ([]byte, error) { return os.ReadFile(path) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
