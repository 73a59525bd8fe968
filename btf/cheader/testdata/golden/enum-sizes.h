#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

enum byte_e {
	B0 = 0,
} __attribute__((mode(byte)));

enum word_e {
	W1 = 1ULL,
} __attribute__((mode(word)));

enum word32_e {
	W2 = 2,
} __attribute__((mode(word)));

struct hint {
	enum byte_e e;
	unsigned char next;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
