// Times a libbpf skeleton of one object: <SKEL>__open_and_load followed by
// <SKEL>__destroy, in a loop, with clock_gettime(CLOCK_MONOTONIC). Built
// once per object and flavour by bench/cmd/bench:
//
//   light:   gcc -O2 -include errno.h -include X.lskel.h -DSKEL=X skel_bench.c
//   regular: gcc -O2 -include X.skel.h -DSKEL=X -DREGULAR skel_bench.c -lbpf
//
// Usage: skel_bench N. One untimed-as-steady first load (reported as
// "first_ns": the cost in a fresh process), then N timed loads. Prints one
// JSON object on stdout: {"first_ns":..,"ns":[..],"peak_rss_kb":..}.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef REGULAR
#include <bpf/libbpf.h>
#endif

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(suffix) CAT(SKEL, suffix)
#define STR2(x) #x
#define STR(x) STR2(x)

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// one loads and destroys the skeleton once and returns the elapsed time,
// or -1 when the load fails.
static long long one(void)
{
	long long t0 = now_ns();
	struct SKEL *skel = FN(__open_and_load)();
	if (!skel)
		return -1;
	FN(__destroy)(skel);
	return now_ns() - t0;
}

// peak_rss_kb is VmHWM from /proc/self/status: the peak RSS of this
// process's own address space (ru_maxrss would include the parent's
// memory before exec).
static long peak_rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#ifdef REGULAR
// Silence libbpf's warnings (the Go contenders print nothing either), but
// keep its errors.
static int print_errors(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}
#endif

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
#ifdef REGULAR
	libbpf_set_print(print_errors);
#endif
	long long first = one();
	if (first < 0) {
		fprintf(stderr, "skel_bench: %s__open_and_load failed: %s\n", STR(SKEL), strerror(errno));
		return 1;
	}
	long long *ns = calloc(n > 0 ? n : 1, sizeof(*ns));
	if (!ns)
		return 1;
	for (int i = 0; i < n; i++) {
		ns[i] = one();
		if (ns[i] < 0) {
			fprintf(stderr, "skel_bench: load %d failed: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("{\"first_ns\":%lld,\"ns\":[", first);
	for (int i = 0; i < n; i++)
		printf("%s%lld", i ? "," : "", ns[i]);
	printf("],\"peak_rss_kb\":%ld}\n", peak_rss_kb());
	return 0;
}
