/* Shared by the bpfgen test objects. */
#ifndef BPFGEN_TESTDATA_COMMON_H
#define BPFGEN_TESTDATA_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/*
 * libbpf 1.1's headers predate bpf_ksym_exists(). Taking the address of a
 * __weak extern gives 0 when the loader could not resolve it.
 */
#define ksym_present(sym) ((unsigned long)&(sym) != 0)

#endif
