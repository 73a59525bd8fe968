// A small BPF object for the btf package's tests: global data in .data,
// .rodata and .bss (DATASECs), a BTF-defined map, bitfields, enums,
// sub-programs (several func_info records) and CO-RE relocations.
// Rebuild with `make` in this directory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
} __attribute__((preserve_access_index));

enum color { RED, GREEN = 5, BLUE = -1 };
enum big { BIG = 0x1122334455667788ULL };

struct packed_bits {
	unsigned int a : 3;
	unsigned int b : 13;
	int c;
	enum color col;
	enum big bg;
	float f;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct packed_bits);
} values SEC(".maps");

int counter = 1;
volatile const int limit = 42;
long zeroed;
char buf[16];

static __noinline int add(int a, int b)
{
	return a + b + limit;
}

static __noinline int mul(int a, int b)
{
	return a * b;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 key = 0;
	struct packed_bits *v;
	int pid = BPF_CORE_READ(t, pid);

	if (bpf_core_field_exists(t->flags))
		counter = add(counter, pid);
	v = bpf_map_lookup_elem(&values, &key);
	if (v)
		v->c = mul(v->c, 3);
	zeroed++;
	buf[0] = bpf_core_type_size(struct task_struct);
	return 0;
}

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return add(1, 2) > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
