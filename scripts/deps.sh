#!/usr/bin/env bash
# Installs what bpfgen's build, tests and benchmarks need, only when missing,
# and mounts bpffs and tracefs when they are not mounted. Idempotent.
set -euo pipefail

pkgs=()
command -v clang-19 >/dev/null || pkgs+=(clang-19)
command -v llvm-strip-19 >/dev/null || pkgs+=(llvm-19)
command -v bpftool >/dev/null || pkgs+=(bpftool)
[ -f /usr/include/bpf/skel_internal.h ] || pkgs+=(libbpf-dev)
command -v gcc >/dev/null || pkgs+=(gcc)
# testdata/usdt_target's probes are <sys/sdt.h>'s.
echo '#include <sys/sdt.h>' | gcc -E -x c - >/dev/null 2>&1 || pkgs+=(systemtap-sdt-dev)
# cmd/bpfgen runs its linux/386 and linux/s390x builds under qemu-user.
command -v qemu-s390x >/dev/null && command -v qemu-i386 >/dev/null || pkgs+=(qemu-user)
if [ ${#pkgs[@]} -gt 0 ]; then
	echo "deps: installing ${pkgs[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

if [ "$(id -u)" = 0 ]; then
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
fi
