// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * target: the "kernel" of the core package's unit tests. Its BTF is the
 * target that local.bpf.o's CO-RE records are resolved against; nothing
 * here is loaded. Every type is kept in BTF by a global variable.
 *
 * Layouts (byte offsets) the tests rely on are noted beside the fields.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

struct task {
	long pad;              /* 0 */
	int pid;               /* 8 */
	int tgid;              /* 12 */
	char comm[16];         /* 16 */
	struct task *parent;   /* 32 */
	unsigned int flags;    /* 40 */
	long long counter;     /* 48: signed, 8 bytes */
	unsigned long ticks;   /* 56: unsigned, 8 bytes */
	int renamed_new;       /* 64 */
	int grid[2][3];        /* 68 */
};                             /* size 96 */

typedef struct task task_t;

/* Members reached through anonymous structs and unions. */
struct anon {
	int a;                 /* 0 */
	union {                /* 8 */
		struct {
			int b; /* 8 */
			int c; /* 12 */
		};
		long d;        /* 8 */
	};
};

/* Bitfields. */
struct bits {
	unsigned int a : 3;        /* bits 0..2 */
	int b : 5;                 /* bits 3..7, signed */
	unsigned int c : 20;       /* bits 8..27 */
	char e;                    /* byte 4 */
	unsigned long long d : 40; /* bits 64..103 */
};

/* A bitfield that straddles its own type's unit. */
struct __attribute__((packed)) pbits {
	unsigned char p : 4;   /* bits 0..3 */
	unsigned char q : 6;   /* bits 4..9 */
};

/* A flexible array member. */
struct flex {
	int n;                 /* 0 */
	int data[];            /* 4 */
};

/* Two flavours that agree on x, and two that do not. */
struct multi { int y; int x; };          /* x at 4 */
struct multi___2 { int z; int x; };      /* x at 4 */
struct amb { int x; };                   /* x at 0, size 4 */
struct amb___2 { long w; int x; };       /* x at 8, size 16 */

/* Candidate pruning: b is only in prune, c only in prune___2. */
struct prune { int a; int b; };
struct prune___2 { int a; int c; };

/* Kinds: a union and a struct of the same name. */
union kinds { int i; long l; };

enum kstate { KS_RUNNING = 0, KS_SLEEPING = 1, KS_DEAD___x = 64 };
enum ksigned { KSN_NEG = -5, KSN_POS = 3 };
enum kuns { KU_BIG = 0x80000000u };
enum kbig { KBIG_HI = 0x1122334455667788ULL, KBIG_LO = 2 };

/* Signedness of enum fields. */
struct sig {
	enum ksigned s;
	enum kstate u;
};

/* A bitfield no 64-bit load covers. */
struct __attribute__((packed)) wide {
	unsigned char pad;
	unsigned long long z : 60; /* bits 8..67 */
};

/* Type matches. */
struct tm {
	int pid;
	long pad;
	struct task *owner;
	enum kstate state;
};

typedef int (*handler_t)(struct task *, long);

struct task task_v;
task_t task_t_v;
struct anon anon_v;
struct bits bits_v;
struct pbits pbits_v;
struct flex flex_v;
struct multi multi_v;
struct multi___2 multi2_v;
struct amb amb_v;
struct amb___2 amb2_v;
struct prune prune_v;
struct prune___2 prune2_v;
union kinds kinds_v;
enum kstate kstate_v;
enum ksigned ksigned_v;
enum kbig kbig_v;
enum kuns kuns_v;
struct sig sig_v;
struct wide wide_v;
struct tm tm_v;
handler_t handler_v;
u32 u32_v;
u64 u64_v;
