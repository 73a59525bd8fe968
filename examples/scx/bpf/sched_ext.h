/* The kernel's struct sched_ext_ops as Linux 7.3.4 (Debian's
 * 7.3.4+deb13-amd64) has it, from its BTF (bpftool btf dump ... format c),
 * and the few constants a global FIFO needs. testdata/vmlinux.h predates
 * sched_ext. bpfgen lays a struct_ops value out as the object declares its
 * struct when the generating machine's kernel has none, and the loader
 * checks that layout against the target's kernel before using it. */
#ifndef BPFGEN_SCHED_EXT_H
#define BPFGEN_SCHED_EXT_H

struct scx_init_task_args;
struct scx_exit_task_args;
struct scx_dump_ctx;
struct scx_cgroup_init_args;
struct scx_sub_attach_args;
struct scx_sub_detach_args;
struct scx_cmask;
struct scx_exit_info;
struct scx_cpu_acquire_args;
struct scx_cpu_release_args;
struct cpumask;
struct cgroup;

struct sched_ext_ops {
	s32 (*select_cpu)(struct task_struct *, s32, u64);
	void (*enqueue)(struct task_struct *, u64);
	void (*dequeue)(struct task_struct *, u64);
	void (*dispatch)(s32, struct task_struct *);
	void (*tick)(struct task_struct *);
	void (*runnable)(struct task_struct *, u64);
	void (*running)(struct task_struct *);
	void (*stopping)(struct task_struct *, bool);
	void (*quiescent)(struct task_struct *, u64);
	bool (*yield)(struct task_struct *, struct task_struct *);
	bool (*core_sched_before)(struct task_struct *, struct task_struct *);
	void (*set_weight)(struct task_struct *, u32);
	void (*set_cpumask)(struct task_struct *, const struct cpumask *);
	void (*update_idle)(s32, bool);
	s32 (*init_task)(struct task_struct *, struct scx_init_task_args *);
	void (*exit_task)(struct task_struct *, struct scx_exit_task_args *);
	void (*enable)(struct task_struct *);
	void (*disable)(struct task_struct *);
	void (*dump)(struct scx_dump_ctx *);
	void (*dump_cpu)(struct scx_dump_ctx *, s32, bool);
	void (*dump_task)(struct scx_dump_ctx *, struct task_struct *);
	s32 (*cgroup_init)(struct cgroup *, struct scx_cgroup_init_args *);
	void (*cgroup_exit)(struct cgroup *);
	s32 (*cgroup_prep_move)(struct task_struct *, struct cgroup *, struct cgroup *);
	void (*cgroup_move)(struct task_struct *, struct cgroup *, struct cgroup *);
	void (*cgroup_cancel_move)(struct task_struct *, struct cgroup *, struct cgroup *);
	void (*cgroup_set_weight)(struct cgroup *, u32);
	void (*cgroup_set_bandwidth)(struct cgroup *, u64, u64, u64);
	void (*cgroup_set_idle)(struct cgroup *, bool);
	s32 (*sub_attach)(struct scx_sub_attach_args *);
	void (*sub_detach)(struct scx_sub_detach_args *);
	void (*sub_caps_updated)(const struct scx_cmask *, u64);
	void (*sub_ecaps_updated)(s32, u64, u64);
	void (*cpu_online)(s32);
	void (*cpu_offline)(s32);
	s32 (*init_cids)(void);
	s32 (*init)(void);
	void (*exit)(struct scx_exit_info *);
	u32 dispatch_max_batch;
	u64 flags;
	u32 timeout_ms;
	u32 exit_dump_len;
	u64 hotplug_seq;
	u32 cid_shard_size;
	u32 rescue_bandwidth_ppt;
	u32 rescue_quantum_us;
	u64 sub_cgroup_id;
	char name[128];
	void *priv;
	void (*cpu_acquire)(s32, struct scx_cpu_acquire_args *);
	void (*cpu_release)(s32, struct scx_cpu_release_args *);
};

/* The global dispatch queue, and the default time slice (20 ms). */
#define SCX_DSQ_GLOBAL ((1ULL << 63) | 1)
#define SCX_SLICE_DFL 20000000ULL

#endif
