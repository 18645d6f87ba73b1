#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-normalize.sh - normalize throughput on a large v1.1 JSONL file.
#
# The corpus is the real minute of the 1% sample stream from ../shared/data
# repeated to ~200 MB (never committed; rebuilt in bench/out/). Reports the
# in-memory engine figures (bench_normalize) and the whole-process rate of
# `roost normalize > /dev/null` and `roost check`.
# Usage: bench/run-normalize.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/../shared/data/tweets-corpus-covid-analysis/sample-stream-2021-01-01T0729Z.jsonl"
out="$top/bench/out"
mkdir -p "$out"
if [ ! -f "$src" ]; then
    echo "SKIP bench: $src not found (../shared/data is needed for the corpus)"
    exit 0
fi
big="$out/v1-large.jsonl"
if [ ! -f "$big" ]; then
    for _ in $(seq 12); do cat "$src"; done >"$big"
fi
size=$(stat -c %s "$big")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit:  $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "corpus:  $big ($((size / 1000000)) MB, $(wc -l <"$big") lines)"
echo
echo "== in memory, one core (bench_normalize)"
taskset -c 0 "$build/bench/bench_normalize" "$big" 3
echo
echo "== whole process, one core"
for cmd in "normalize" "check --quiet"; do
    s=$(date +%s.%N)
    taskset -c 0 "$build/roost" $cmd "$big" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" -v b="$size" -v c="roost $cmd" \
        'BEGIN { printf "%-22s %8.1f MB/s (%.2f s)\n", c, b / 1e6 / (e - s), e - s }'
done
