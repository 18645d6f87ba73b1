#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo.sh - the main job: the built-in firehose at a realistic rate, with a
# trending burst every few minutes -> raw archive -> SQLite store -> a named
# continuous query printing Spark-style blocks of the top hashtags every
# few seconds -> the live dashboard on http://127.0.0.1:8080/ (one
# process: `roost run` with `http` in its config).
#
# Usage: scripts/demo.sh [ROOST_BINARY]
#   ROOST_DEMO_PORT   dashboard port (default 8080)
#   ROOST_DEMO_RATE   posts per second (default 300)
#   ROOST_DEMO_SECONDS  stop after this many seconds (default: until Ctrl-C)
set -euo pipefail

roost=${1:-build/release/roost}
top=$(cd "$(dirname "$0")/.." && pwd)
port=${ROOST_DEMO_PORT:-8080}
rate=${ROOST_DEMO_RATE:-300}
dir="$top/build/demo"
rm -rf "$dir"
mkdir -p "$dir"

cat >"$dir/demo.conf" <<CONF
# Written by scripts/demo.sh; see docs/CONFIG.md.
[pipeline]
archive = $dir/archive
dead_letter = $dir/dead-letters.jsonl
trigger = 5s
http = 127.0.0.1:$port

[source firehose]
spec = simulate?rate=$rate&speed=1x&burst-every=180&start=now&seed=$(date +%s)

[sink store]
spec = sqlite:$dir/roost.db

[query top_hashtags]
sql = SELECT tag_lower AS hashtag, COUNT(*) AS posts FROM hashtags
      GROUP BY tag_lower ORDER BY posts DESC, hashtag LIMIT 10
output = table
rows = 10
CONF

pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$roost" run "$dir/demo.conf" &
pids+=($!)
sleep 1
echo
echo "roost demo: $rate posts/s from the built-in firehose"
echo "  dashboard:  http://127.0.0.1:$port/"
echo "  archive:    $dir/archive   (roost archive stats $dir/archive)"
echo "  store:      $dir/roost.db  (roost query 'SELECT * FROM top_hashtags_1h' --db $dir/roost.db)"
echo "  Ctrl-C stops it"
echo
if [ -n "${ROOST_DEMO_SECONDS:-}" ]; then
    sleep "$ROOST_DEMO_SECONDS"
else
    wait "${pids[0]}"
fi
