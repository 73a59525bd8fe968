// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * core: CO-RE relocations.
 *
 * tp/syscalls/sys_enter_getpid (only for the process target_pid; 0 = none)
 * reads the current task with BPF_CORE_READ: out_pid (thread id),
 * out_tgid, out_parent_tgid (real_parent->tgid), out_comm (comm) and bumps
 * tp_runs.
 *
 * The syscall program core_consts records relocations that resolve to
 * constants and bumps const_runs:
 *   field_pid_exists = 1       (task_struct.pid)
 *   field_missing_exists = 0   (task_struct___bpfgen.bpfgen_no_such_field)
 *   type_task_exists = 1       (struct task_struct)
 *   type_missing_exists = 0    (struct bpfgen_no_such_type)
 *   comm_size = 16             (sizeof task_struct.comm)
 *   enum_ringbuf = 27          (BPF_MAP_TYPE_RINGBUF)
 *   enum_ringbuf_exists = 1
 *   enum_missing_exists = 0    (enum bpf_map_type___bpfgen.BPFGEN_NO_SUCH_MAP_TYPE)
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_pid = 0;

__s32 out_pid = 0;
__s32 out_tgid = 0;
__s32 out_parent_tgid = 0;
char out_comm[16] = {};
__u64 tp_runs = 0;

__u32 field_pid_exists = 0;
__u32 field_missing_exists = 0;
__u32 type_task_exists = 0;
__u32 type_missing_exists = 0;
__u32 comm_size = 0;
__u64 enum_ringbuf = 0;
__u32 enum_ringbuf_exists = 0;
__u32 enum_missing_exists = 0;
__u64 const_runs = 0;

/* A flavour of task_struct with a field that no kernel has. */
struct task_struct___bpfgen {
	int bpfgen_no_such_field;
} __attribute__((preserve_access_index));

/* A type that no kernel has. */
struct bpfgen_no_such_type {
	int x;
};

/* A flavour of an enum with a value that no kernel has. */
enum bpf_map_type___bpfgen {
	BPFGEN_NO_SUCH_MAP_TYPE = 1000,
};

SEC("tp/syscalls/sys_enter_getpid")
int read_task(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (!target_pid || (bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;

	out_pid = BPF_CORE_READ(task, pid);
	out_tgid = BPF_CORE_READ(task, tgid);
	out_parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&out_comm, task, comm);
	tp_runs++;
	return 0;
}

SEC("syscall")
int core_consts(void *ctx)
{
	struct task_struct *t = 0;
	struct task_struct___bpfgen *tb = 0;

	field_pid_exists = bpf_core_field_exists(t->pid);
	field_missing_exists = bpf_core_field_exists(tb->bpfgen_no_such_field);
	type_task_exists = bpf_core_type_exists(struct task_struct);
	type_missing_exists = bpf_core_type_exists(struct bpfgen_no_such_type);
	comm_size = bpf_core_field_size(t->comm);
	enum_ringbuf = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	enum_ringbuf_exists = bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	enum_missing_exists = bpf_core_enum_value_exists(enum bpf_map_type___bpfgen,
							 BPFGEN_NO_SUCH_MAP_TYPE);
	const_runs++;
	return 0;
}
