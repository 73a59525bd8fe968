#!/usr/bin/env bash
# Runs bpfgen's benchmarks against libbpf and cilium/ebpf and writes
# bench/REPORT.md and bench/load_ratios.png (`make bench`). With --quick:
# one round, few loads, small objects, report under bench/out/quick/ (what
# the bench package's TestQuickRound runs). Needs root (it loads BPF).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
./scripts/deps.sh
./bench/deps.sh
exec go run ./bench/cmd/bench "$@"
