#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct outer {
	union {
		int a;
		long int b;
	};
	struct {
		int x;
	} named;
	enum {
		RED = 0,
		BLUE = 1,
	} colour;
	struct {
		int x;
	} *p;
	struct {
		union {
			int a;
			long int b;
		} deep;
	};
};

typedef struct {
	int lo;
	int hi;
} pair_t;

enum {
	MINUS_ONE = -1,
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
