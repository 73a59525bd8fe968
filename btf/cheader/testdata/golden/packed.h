#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct hdr {
	char c;
	int v;
} __attribute__((packed));

struct tail {
	int v;
	char c;
	short: 0;
} __attribute__((packed));

struct gap {
	char c;
	long: 0;
	int v;
	long: 0;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
