#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct decls {
	volatile int * const cp;
	int * restrict rp;
	int __attribute__((btf_type_tag("user"))) *tagged;
	double grid[2][3];
	double (*pgrid)[2][3];
};

typedef __builtin_va_list __gnuc_va_list;

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
