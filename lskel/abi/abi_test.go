package abi

import "testing"

func TestSectionAttachKind(t *testing.T) {
	for sec, want := range map[string]AttachKind{
		"tp/syscalls/sys_enter_getpid": AttachTracepoint, "tracepoint/a/b": AttachTracepoint, "?tp/x/y": AttachTracepoint,
		"raw_tp/sys_enter": AttachRawTracepoint, "raw_tracepoint.w/x": AttachRawTracepoint,
		"tp_btf/sched_switch": AttachTracing, "fentry/do_unlinkat": AttachTracing, "lsm.s/bprm": AttachTracing, "freplace/f": AttachTracing,
		"iter/task": AttachIter, "iter.s/task": AttachIter,
		"xdp": AttachByCaller, "tc": AttachByCaller, "cgroup_skb/ingress": AttachByCaller, "uprobe": AttachByCaller,
		"uprobe/libc.so.6:getpid": AttachUprobe, "uretprobe//bin/sh:main+4": AttachUprobe, "uprobe.s/libc.so.6:malloc": AttachUprobe,
		"uretprobe.s/x:y": AttachUprobe, "uprobe/no_symbol": AttachByCaller, "uprobe/:f": AttachByCaller, "uprobe/x:": AttachByCaller,
		"kprobe/do_sys_openat2": AttachKprobe, "kretprobe/f+0": AttachKprobe, "ksyscall/getpid": AttachKprobe, "kretsyscall/getpid": AttachKprobe,
		"kprobe": AttachByCaller, "kprobe/": AttachByCaller, "ksyscall": AttachByCaller,
		"kprobe.multi/bpf_fentry_test*": AttachKprobeMulti, "kretprobe.multi/f": AttachKprobeMulti, "kprobe.multi": AttachByCaller,
		"usdt/usdt_target:bpfgen:args": AttachUSDT, "?usdt.s//lib/libc.so.6:libc:setjmp": AttachUSDT,
		"usdt": AttachByCaller, "usdt/bin:name": AttachByCaller, "usdt/bin::name": AttachByCaller,
		"uprobe.multi/usdt_target:site_*": AttachUprobeMulti, "uretprobe.multi.s//bin/x:f?": AttachUprobeMulti,
		"uprobe.session/x:f": AttachUprobeMulti, "uprobe.multi": AttachByCaller, "uprobe.multi/x": AttachByCaller,
		"kprobe.session/bpf_fentry_test*": AttachKprobeMulti,
		"syscall":                         AttachByCaller, "": AttachByCaller, "?": AttachByCaller, "fentryx/f": AttachByCaller,
	} {
		got := SectionAttachKind(sec)
		if want >= AttachUprobe {
			if got != AttachByCaller {
				t.Errorf("SectionAttachKind(%q) = %v, want AttachByCaller", sec, got)
			}
			got = ProbeAttachKind(sec)
		} else if probe := ProbeAttachKind(sec); probe != AttachByCaller {
			t.Errorf("ProbeAttachKind(%q) = %v, want AttachByCaller", sec, probe)
		}
		if got != want {
			t.Errorf("SectionAttachKind(%q) = %v, want %v", sec, got, want)
		}
	}
}
