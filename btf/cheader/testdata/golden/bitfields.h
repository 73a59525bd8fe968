#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct flags {
	unsigned int a: 3;
	unsigned int b: 5;
	char: 4;
	unsigned int c: 4;
	char: 8;
	unsigned char d;
	long long unsigned int e: 40;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
