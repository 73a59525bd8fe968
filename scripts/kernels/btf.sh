#!/usr/bin/env bash
# btf.sh LABEL... — extracts the BTF of each fetched kernel (fetch.sh) from
# its compressed image, once: $CACHE/k/LABEL/vmlinux.btf is the raw .BTF
# section, what /sys/kernel/btf/vmlinux shows in that kernel. btf/cheader's
# tests write a vmlinux.h from it.
set -euo pipefail

CACHE=${BPFGEN_KERNEL_CACHE:-$HOME/.cache/bpfgen/kernels}
here=$(dirname "$0")

extract() {
	local label=$1 dir=$CACHE/k/$1
	if [ -s "$dir/vmlinux.btf" ]; then
		return 0
	fi
	"$here/fetch.sh" "$label"
	local img tmp
	img=$(readlink -f "$dir/vmlinuz")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	# A bzImage holds the ELF vmlinux compressed: try each compressed
	# stream's magic where it occurs until one unpacks to an ELF file.
	local magic tool off
	for pair in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18'; do
		tool=${pair%%:*}
		magic=${pair#*:}
		for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -5); do
			tail -c +$((off + 1)) "$img" | $tool -dc >"$tmp/vmlinux" 2>/dev/null || true
			if [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				llvm-objcopy-19 -O binary --only-section=.BTF "$tmp/vmlinux" "$dir/vmlinux.btf.tmp"
				mv "$dir/vmlinux.btf.tmp" "$dir/vmlinux.btf"
				echo "kernels: $label: BTF in $dir/vmlinux.btf ($tool)" >&2
				return 0
			fi
		done
	done
	echo "kernels: $label: no ELF kernel found in $img" >&2
	return 1
}

for l in "$@"; do extract "$l"; done
