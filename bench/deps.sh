#!/usr/bin/env bash
# Installs what the benchmark harness needs beyond scripts/deps.sh, only
# when missing: rsvg-convert (turns the SVG chart into
# bench/load_ratios.png), libbpf and gcc. Idempotent; the harness skips
# the PNG when rsvg-convert cannot be installed. (The generators are timed
# by the harness itself, interleaved, not with hyperfine.)
set -euo pipefail

pkgs=()
command -v rsvg-convert >/dev/null || pkgs+=(librsvg2-bin)
[ -f /usr/include/bpf/libbpf.h ] || pkgs+=(libbpf-dev)
command -v gcc >/dev/null || pkgs+=(gcc)
if [ ${#pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench deps: missing ${pkgs[*]} (run as root to install them)" >&2
		exit 0
	fi
	echo "bench deps: installing ${pkgs[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${pkgs[@]}" >/dev/null || echo "bench deps: could not install ${pkgs[*]}; continuing without" >&2
fi
