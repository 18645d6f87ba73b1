#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo.sh - the main job, as far as roost goes today: check a stream of
# real (or bundled sample) posts, normalize it, and show the top hashtags,
# mentions and words as Spark-style tables.
#
# Usage: scripts/demo.sh [ROOST_BINARY]
set -euo pipefail

roost=${1:-build/release/roost}
top=$(cd "$(dirname "$0")/.." && pwd)
real="$top/../shared/data/tweets-corpus-covid-analysis/sample-stream-2021-01-01T0729Z.jsonl"
if [ -f "$real" ]; then
    input=$real
    what="one real minute of the 1% sample stream (2021-01-01 07:29 UTC)"
else
    input="$top/examples/sample-v1.jsonl"
    what="the bundled synthetic sample (examples/sample-v1.jsonl)"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

banner() {
    echo
    echo "-------------------------------------------"
    echo "$1"
    echo "-------------------------------------------"
}

echo "roost demo: $what"
banner "roost check"
"$roost" check "$input" || true

banner "roost normalize (first 3 posts of $(basename "$input"))"
start=$(date +%s.%N)
"$roost" normalize --control "$input" >"$out/posts.jsonl"
end=$(date +%s.%N)
head -n 3 "$out/posts.jsonl" | cut -c 1-300
size=$(stat -c %s "$input")
awk -v s="$start" -v e="$end" -v b="$size" -v n="$(wc -l <"$out/posts.jsonl")" \
    'BEGIN { t = e - s; printf "%d lines out, %.1f MB in %.3f s (%.0f MB/s, whole process)\n", n, b / 1e6, t, b / 1e6 / t }'

banner "Time: $(date -u +%FT%TZ)  top hashtags"
"$roost" top hashtags --limit 10 "$input"
banner "top mentions"
"$roost" top mentions --limit 5 "$input"
banner "top words"
"$roost" top words --limit 10 "$input"
echo
echo "next: roost help; the live dashboard arrives with the Show issue."
