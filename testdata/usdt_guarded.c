// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The semaphore-guarded probe of usdt_target: a file of its own because
 * <sys/sdt.h> gives every probe of a file a semaphore when asked for one.
 * The kernel increments bpfgen_guarded_semaphore while a uprobe with it
 * as reference counter is attached.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short bpfgen_guarded_semaphore __attribute__((section(".probes")));

__attribute__((noinline)) int guarded(int i)
{
	if (__builtin_expect(bpfgen_guarded_semaphore, 0)) {
		STAP_PROBE1(bpfgen, guarded, i);
		return 1;
	}
	return 0;
}
