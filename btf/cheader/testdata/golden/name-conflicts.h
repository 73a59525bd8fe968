#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct s {
	int x;
};

struct s___2 {
	int: 32;
	int y;
};

struct user {
	struct s one;
	struct s___2 two;
};

enum e1 {
	OK = 0,
};

enum e2 {
	OK___2 = 1,
};

typedef int OK___3;

struct s;

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
