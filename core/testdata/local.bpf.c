// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * local: CO-RE relocations for the core package's unit tests, resolved
 * against target.bpf.o's BTF (see core_test.go for the expected values).
 * Each program holds the records of one case. Types named like the
 * target's with a ___suffix are flavours; types that are exact copies of
 * the target's ("twins") must relocate to the compiler's own values.
 * Nothing here is loaded: the programs only need to compile.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define PAI __attribute__((preserve_access_index))
#define FIELD(kind, s, f) __builtin_preserve_field_info(((s *)0)->f, BPF_FIELD_##kind)

/* Not the target's layout. */
struct task {
	int pid;
	int tgid;
	char comm[16];
	struct task *parent;
	unsigned int flags;
	int grid[2][3];
} PAI;

typedef struct task task_t;

struct task___v1 { int tgid; int pid; } PAI;
struct task___old { int renamed_old; int pid; } PAI;
struct task___sz { unsigned int ticks; int counter; } PAI;
struct task___badtype { struct { int x; } pid; } PAI;
struct task___arr { char comm[32]; } PAI;

struct anon___l { int c; } PAI;
struct anon___l2 { union { int c; long d; }; } PAI;

/* Twins of the target's types. */
struct anon {
	int a;
	union {
		struct {
			int b;
			int c;
		};
		long d;
	};
} PAI;

struct bits {
	unsigned int a : 3;
	int b : 5;
	unsigned int c : 20;
	char e;
	unsigned long long d : 40;
} PAI;

struct __attribute__((packed)) pbits {
	unsigned char p : 4;
	unsigned char q : 6;
} PAI;

struct flex {
	int n;
	int data[];
} PAI;

/* Bitfields in another layout. */
struct bits___l {
	int b : 5;
	char e;
	unsigned int c : 20;
	unsigned long long d : 40;
} PAI;

struct wide___l { unsigned long long z : 60; } PAI;

struct multi___l { int x; } PAI;
struct amb___l { int x; } PAI;
struct prune___l { int a; int b; int c; } PAI;
struct kinds { int i; } PAI;
struct nosuch { int i; } PAI;

enum kstate { KS_SLEEPING = 7, KS_MISSING = 9, KS_DEAD___y = 5 };
enum ksigned { KSN_NEG = -1 };
enum kuns { KU_BIG = 5 };
enum kbig { KBIG_HI = 1ULL << 40 };
enum kbig___m { KBIG_NONE = 1ULL << 41 };
enum kstate___x { KS_RUNNING, KS_ZOMBIE };

struct sig___l { enum kstate u; enum ksigned s; } PAI;

/* Type matches. */
enum kstate___ok { KS_SLEEPING___ok, KS_RUNNING___ok };
struct tm {
	struct task *owner;
	int pid;
	enum kstate___ok state;
};
struct task___other { int whatever; };
struct tm___ptr { struct task___other *owner; };
struct tm___bad { unsigned int pid; };
struct tm___enum { enum kstate___x state; };
typedef int (*handler_t)(struct task *, long);
typedef int (*handler_t___bad)(struct task *);

#define PROG(name) SEC("syscall") int name(void *ctx)

PROG(off_pid) { return FIELD(BYTE_OFFSET, struct task, pid); }
PROG(off_flavour) { return FIELD(BYTE_OFFSET, struct task___v1, pid); }
PROG(off_comm3) { return FIELD(BYTE_OFFSET, struct task, comm[3]); }
PROG(off_grid) { return FIELD(BYTE_OFFSET, struct task, grid[1][2]); }
PROG(size_comm) { return FIELD(BYTE_SIZE, struct task, comm); }
PROG(size_grid_row) { return FIELD(BYTE_SIZE, struct task, grid[1]); }
PROG(exists_pid) { return FIELD(EXISTS, struct task___old, pid); }
PROG(exists_renamed) { return FIELD(EXISTS, struct task___old, renamed_old); }
PROG(off_renamed) { return FIELD(BYTE_OFFSET, struct task___old, renamed_old); }
PROG(read_renamed) { return ((struct task___old *)ctx)->renamed_old; }
PROG(read_pid) { return ((struct task___v1 *)ctx)->pid; }
PROG(read_ticks) { return ((struct task___sz *)ctx)->ticks; }
PROG(read_counter) { return ((struct task___sz *)ctx)->counter; }
PROG(exists_badtype) { return FIELD(EXISTS, struct task___badtype, pid); }
PROG(off_arr_oob) { return FIELD(BYTE_OFFSET, struct task___arr, comm[20]); }
PROG(off_anon) { return FIELD(BYTE_OFFSET, struct anon___l, c); }
PROG(off_anon_local) { return FIELD(BYTE_OFFSET, struct anon___l2, c); }
PROG(signed_pid) { return FIELD(SIGNED, struct task, pid); }
PROG(signed_flags) { return FIELD(SIGNED, struct task, flags); }
PROG(signed_enum) { return FIELD(SIGNED, struct sig___l, s); }
PROG(signed_uenum) { return FIELD(SIGNED, struct sig___l, u); }
PROG(signed_array) { return FIELD(SIGNED, struct task, comm[1]); }

#define BITFIELD(name, s, f)                                  \
	PROG(name)                                            \
	{                                                     \
		return FIELD(BYTE_OFFSET, s, f) +             \
		       FIELD(BYTE_SIZE, s, f) * 10 +          \
		       FIELD(LSHIFT_U64, s, f) * 100 +        \
		       FIELD(RSHIFT_U64, s, f) * 1000 +       \
		       FIELD(SIGNED, s, f) * 10000;           \
	}
BITFIELD(bits_b, struct bits___l, b)
BITFIELD(bits_c, struct bits___l, c)
BITFIELD(bits_d, struct bits___l, d)
BITFIELD(bits_e, struct bits___l, e)
PROG(bits_wide) { return FIELD(BYTE_OFFSET, struct wide___l, z); }
PROG(read_bitfield) { return BPF_CORE_READ_BITFIELD((struct bits___l *)ctx, c); }

/* Twins: every value must be the compiler's own. */
BITFIELD(twin_bits_a, struct bits, a)
BITFIELD(twin_bits_b, struct bits, b)
BITFIELD(twin_bits_c, struct bits, c)
BITFIELD(twin_bits_d, struct bits, d)
BITFIELD(twin_bits_e, struct bits, e)
BITFIELD(twin_pbits_p, struct pbits, p)
BITFIELD(twin_pbits_q, struct pbits, q)
PROG(twin_anon) { return FIELD(BYTE_OFFSET, struct anon, c) + FIELD(BYTE_OFFSET, struct anon, d) + FIELD(BYTE_SIZE, struct anon, d); }
PROG(twin_flex) { return FIELD(BYTE_OFFSET, struct flex, data[5]) + ((struct flex *)ctx)->data[2]; }
PROG(twin_read_anon) { return ((struct anon *)ctx)->c + ((struct anon *)ctx)->b; }

PROG(enum_value) { return bpf_core_enum_value(enum kstate, KS_SLEEPING); }
PROG(enum_flavoured_value) { return bpf_core_enum_value(enum kstate, KS_DEAD___y); }
PROG(enum_missing_exists) { return bpf_core_enum_value_exists(enum kstate, KS_MISSING); }
PROG(enum_present_exists) { return bpf_core_enum_value_exists(enum kstate, KS_SLEEPING); }
PROG(enum_missing_value) { return bpf_core_enum_value(enum kstate, KS_MISSING); }
PROG(enum_signed) { return bpf_core_enum_value(enum ksigned, KSN_NEG); }
PROG(enum_unsigned_big) { return bpf_core_enum_value(enum kuns, KU_BIG); }
PROG(enum64_value) { return bpf_core_enum_value(enum kbig, KBIG_HI) >> 32; }
PROG(enum64_missing) { return bpf_core_enum_value(enum kbig___m, KBIG_NONE) >> 32; }

PROG(type_exists) { return bpf_core_type_exists(struct task___v1); }
PROG(type_missing) { return bpf_core_type_exists(struct nosuch); }
PROG(type_wrong_kind) { return bpf_core_type_exists(struct kinds); }
PROG(type_size) { return bpf_core_type_size(struct task___v1); }
PROG(type_size_missing) { return bpf_core_type_size(struct nosuch); }
PROG(type_id_local) { return bpf_core_type_id_local(struct task); }
PROG(type_id_target) { return bpf_core_type_id_kernel(struct task); }
PROG(type_id_typedef) { return bpf_core_type_id_kernel(task_t); }
PROG(matches_tm) { return bpf_core_type_matches(struct tm); }
PROG(matches_ptr) { return bpf_core_type_matches(struct tm___ptr); }
PROG(matches_bad) { return bpf_core_type_matches(struct tm___bad); }
PROG(matches_enum) { return bpf_core_type_matches(struct tm___enum); }
PROG(matches_handler) { return bpf_core_type_matches(handler_t); }
PROG(matches_handler_bad) { return bpf_core_type_matches(handler_t___bad); }
PROG(exists_handler_bad) { return bpf_core_type_exists(handler_t___bad); }

PROG(off_multi) { return FIELD(BYTE_OFFSET, struct multi___l, x); }
PROG(off_amb) { return FIELD(BYTE_OFFSET, struct amb___l, x); }
PROG(size_amb) { return bpf_core_type_size(struct amb___l); }
PROG(prune_b) { return FIELD(BYTE_OFFSET, struct prune___l, b); }
PROG(prune_c) { return FIELD(EXISTS, struct prune___l, c); }
