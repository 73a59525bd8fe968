package abi

import "testing"

func TestSectionAttachKind(t *testing.T) {
	for sec, want := range map[string]AttachKind{
		"tp/syscalls/sys_enter_getpid": AttachTracepoint, "tracepoint/a/b": AttachTracepoint, "?tp/x/y": AttachTracepoint,
		"raw_tp/sys_enter": AttachRawTracepoint, "raw_tracepoint.w/x": AttachRawTracepoint,
		"tp_btf/sched_switch": AttachTracing, "fentry/do_unlinkat": AttachTracing, "lsm.s/bprm": AttachTracing, "freplace/f": AttachTracing,
		"iter/task": AttachIter, "iter.s/task": AttachIter,
		"xdp": AttachByCaller, "tc": AttachByCaller, "cgroup_skb/ingress": AttachByCaller, "uprobe": AttachByCaller,
		"syscall": AttachByCaller, "": AttachByCaller, "?": AttachByCaller, "fentryx/f": AttachByCaller,
	} {
		if got := SectionAttachKind(sec); got != want {
			t.Errorf("SectionAttachKind(%q) = %v, want %v", sec, got, want)
		}
	}
}
