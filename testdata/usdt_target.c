// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * usdt_target: the binary usdt.bpf.c's programs probe (built with gcc by
 * the Makefile, as PIE and as a fixed-address executable; both committed).
 * `usdt_target N` runs N rounds; round i fires
 *
 *   bpfgen:args     once, with arguments of every kind gcc writes:
 *                   i (-4@%reg), (signed char)-i (-1@%reg),
 *                   (unsigned short)(60000+i) (2@%reg),
 *                   0x123456789a*(i+1) (-8@%reg), r->b = 1000+i (-4@OFF(%reg)),
 *                   -9 (-4@$-9)
 *   bpfgen:site     at two sites (argument 1 at one, 2 at the other)
 *   bpfgen:guarded  only while its semaphore is set (usdt_guarded.c),
 *                   that is while a tracer is attached
 *
 * and prints how many rounds saw the semaphore set.
 */
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>

int guarded(int i);

struct rec {
	long a;
	volatile int b;
};

__attribute__((noinline)) void step(struct rec *r, int i)
{
	signed char c = (signed char)(-i);
	unsigned short s = (unsigned short)(60000 + i);
	long big = 0x123456789aL * (i + 1);

	STAP_PROBE6(bpfgen, args, i, c, s, big, r->b, -9);
}

__attribute__((noinline)) void site_one(void) { STAP_PROBE1(bpfgen, site, 1); }
__attribute__((noinline)) void site_two(void) { STAP_PROBE1(bpfgen, site, 2); }

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	struct rec *r = malloc(sizeof(*r));
	int seen = 0;

	if (!r)
		return 1;
	for (int i = 0; i < n; i++) {
		r->b = 1000 + i;
		step(r, i);
		site_one();
		site_two();
		seen += guarded(i);
	}
	printf("%d\n", seen);
	free(r);
	return 0;
}
