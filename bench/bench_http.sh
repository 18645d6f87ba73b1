#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench_http.sh - the HTTP API under load: wrk on loopback for a bounded
# time against /api/v1/top/hashtags and /api/v1/posts of a `roost serve`,
# while `roost collect` keeps filling the same SQLite store with the
# simulator at a live rate. Prints requests/s and p99 latency per endpoint.
# Usage: bench/bench_http.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
build=${1:-build/release}
secs=${2:-10}
conns=${3:-32}
top=$(cd "$(dirname "$0")/.." && pwd)
roost="$top/$build/roost"
if ! command -v wrk >/dev/null; then
    echo "SKIP bench_http: wrk not installed (apt-get install wrk)"
    exit 0
fi
if [ ! -x "$roost" ]; then
    echo "SKIP bench_http: $roost not built"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_http.XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

db="$tmp/bench.db"
# a store with history (an hour of event time at a low rate, 50k posts),
# then a live collector on top of it
"$roost" simulate --count 50000 --seed 11 >"$tmp/seed.jsonl"
"$roost" ingest --sink "sqlite:$db" "$tmp/seed.jsonl" >/dev/null 2>&1
"$roost" collect --source "simulate?speed=1x&rate=500&seed=12" \
    --archive "$tmp/arch" --sink "sqlite:$db" --quiet >"$tmp/collect.log" 2>&1 &
pids="$pids $!"
"$roost" serve --db "$db" --listen 127.0.0.1:0 --quiet >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
url=""
for _ in $(seq 100); do
    url=$(head -1 "$tmp/serve.log" | grep -o 'http://[0-9.:]*' || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "FAIL: serve did not start"; cat "$tmp/serve.log"; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit:  $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "store:   $("$roost" query --db "$db" --format csv 'SELECT count(*) FROM posts' | tail -1) posts at start, collect adding ~500/s"
echo "wrk:     ${secs}s, 2 threads, $conns connections, loopback"
echo
for path in "/api/v1/top/hashtags?window=1h&limit=10" "/api/v1/posts?limit=50"; do
    wrk -t2 -c"$conns" -d"${secs}s" --latency "$url$path" >"$tmp/wrk.out" 2>&1 || true
    rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")
    errs=$(grep -E 'Non-2xx|Socket errors' "$tmp/wrk.out" | tr '\n' ' ' || true)
    printf '%-44s %10s req/s   p99 %8s  %s\n' "$path" "${rps:-?}" "${p99:-?}" "$errs"
done
echo
echo "store:   $("$roost" query --db "$db" --format csv 'SELECT count(*) FROM posts' | tail -1) posts at the end"
