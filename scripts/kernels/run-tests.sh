#!/bin/sh
# run-tests.sh WORK OUT — runs every package's test binary listed in
# WORK/packages (lines "IMPORTPATH DIR BINARY") one at a time, from the
# package's directory as `go test` does, and writes OUT/pkgs/N.out (the
# binary's -test.v=test2json output) and OUT/pkgs/N.rc ("EXIT SECONDS").
# Runs in the guests' chroot and on the host alike; plain POSIX sh.
set -u
WORK=$1
OUT=$2
TIMEOUT=${BPFGEN_KERNEL_TEST_TIMEOUT:-40m}

export CI=true BPFGEN_REQUIRE_KERNEL=1
export HOME=${HOME:-/root}
export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export GOCACHE=$WORK/gocache GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
# Under emulation the Go runtime preempts goroutines far more often, and
# each preemption signal is sent with tgkill(getpid(), ...): behaviour
# checks that count getpid calls would see them.
export GODEBUG=asyncpreemptoff=1
ulimit -l unlimited 2>/dev/null || echo "run-tests: cannot raise RLIMIT_MEMLOCK" >&2

# Tests that do not depend on the kernel and cost minutes under emulation:
# cmd/bpfgen's TestSameOutputOtherArch runs bpfgen for three CPU
# architectures under qemu-user to compare the generator's output. `make
# test` runs it on the host; the matrix is about kernels. btf/cheader's
# TestKernels compiles the test objects against two headers of every
# kernel's BTF with clang: on the host it covers every kernel in the cache
# (matrix.sh extracts their BTF with btf.sh), in a guest it would take an
# hour of emulated clang.
SKIP='^(TestSameOutputOtherArch|TestKernels)$'

mkdir -p "$OUT/pkgs"
echo "uname $(uname -r)" >"$OUT/started"
n=0
while read -r pkg dir bin; do
	n=$((n + 1))
	name=$(echo "$pkg" | tr / _)
	echo "=== kernels: package $pkg" >&2
	start=$(date +%s)
	(cd "$dir" && exec "$bin" -test.paniconexit0 -test.v=test2json -test.count=1 -test.timeout="$TIMEOUT" -test.skip="$SKIP") \
		>"$OUT/pkgs/$name.out" 2>&1 </dev/null
	rc=$?
	end=$(date +%s)
	echo "$rc $((end - start))" >"$OUT/pkgs/$name.rc"
	echo "=== kernels: package $pkg exit $rc in $((end - start))s" >&2
	sync
done <"$WORK/packages"
echo "$n" >"$OUT/done"
sync
