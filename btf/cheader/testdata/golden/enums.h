#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

enum u32e {
	U_MAX = 4294967295,
};

enum s32e {
	S_MIN = -2147483648,
	S_ONE = 1,
};

enum big {
	BIG = 18446744073709551615ULL,
	SMALL = 2ULL,
};

enum sbig {
	SBIG_MIN = -9223372036854775808LL,
};

enum fwd_e;

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
