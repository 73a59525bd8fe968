// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * maps: one BTF-defined map of each common kind. Both programs act only for
 * the process target_pid (0 = none, so a loaded-but-unconfigured object is
 * quiet).
 *
 * raw_tp/sys_enter, for every syscall of target_pid with id = syscall nr:
 *   array[0] += 1, hash[id] += 1, pcpu_array[0] += 1 (on the running CPU),
 *   pcpu_hash[id] += 1 (on the running CPU), sized_array[0] += 1.
 * tp/syscalls/sys_enter_getpid, for each getpid() of target_pid:
 *   getpid_seq += 1 (.bss), then a struct event {tgid, pid, seq} is
 *   reserved and submitted to `events`, lru[tgid] = seq and
 *   pinned_map[0] = seq.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_pid = 0;

__u64 getpid_seq = 0;

struct event {
	__u32 tgid;
	__u32 pid;
	__u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_map SEC(".maps");

/* Sizes without BTF key/value types. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} sized_array SEC(".maps");

static void bump(void *map, __u32 key)
{
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(map, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
}

SEC("raw_tp/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 id = ctx->args[1];
	__u32 zero = 0;
	__u64 *v;

	if ((bpf_get_current_pid_tgid() >> 32) != target_pid || !target_pid)
		return 0;

	v = bpf_map_lookup_elem(&array, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	bump(&hash, id);
	v = bpf_map_lookup_elem(&pcpu_array, &zero);
	if (v)
		*v += 1;
	bump(&pcpu_hash, id);
	v = bpf_map_lookup_elem(&sized_array, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0;
	struct event *e;
	__u64 seq;

	if (tgid != target_pid || !target_pid)
		return 0;

	seq = __sync_add_and_fetch(&getpid_seq, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->tgid = tgid;
		e->pid = (__u32)id;
		e->seq = seq;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_update_elem(&lru, &tgid, &seq, BPF_ANY);
	bpf_map_update_elem(&pinned_map, &zero, &seq, BPF_ANY);
	return 0;
}
