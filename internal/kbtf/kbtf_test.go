package kbtf

import "testing"

func TestRunningKernel(t *testing.T) {
	if vmlinux() == nil {
		t.Skip("no readable /sys/kernel/btf/vmlinux")
	}
	tests := []struct {
		got, want bool
		what      string
	}{
		{HasMember("bpf_attr", "prog_flags"), true, "bpf_attr.prog_flags (in an anonymous struct)"},
		{HasMember("bpf_attr", "bpfgen_no_such_field"), false, "bpf_attr.bpfgen_no_such_field"},
		{HasMember("task_struct", "pid"), true, "task_struct.pid"},
		{HasEnumValue("bpf_prog_type", "BPF_PROG_TYPE_XDP"), true, "BPF_PROG_TYPE_XDP"},
		{HasEnumValue("bpf_prog_type", "BPF_PROG_TYPE_BPFGEN"), false, "BPF_PROG_TYPE_BPFGEN"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}
