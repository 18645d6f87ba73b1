#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_collect.sh - the collect pipeline end to end with the real binary:
# file follow mode, a TCP server with concurrent clients, simulate -> TCP
# -> collect, a slow consumer that spills, kill -9 recovery, replay.
. "$(dirname "$0")/lib.sh"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_lines FILE N SECS: until FILE has at least N lines.
wait_lines() {
    local i=0
    while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
        [ $i -ge $(($3 * 10)) ] && return 1
    done
    return 0
}

archived() { # DIR: number of records in the archive
    "$ROOST" archive stats "$1" 2>/dev/null | awk '/^records/ { print $2 }'
}

# ---- simulate -> file -> ingest/normalize agree ----------------------------
"$ROOST" simulate --count 3000 --seed 11 >"$TMP/sim.jsonl"
n_sim=$(wc -l <"$TMP/sim.jsonl")
[ "$n_sim" -eq 3000 ] && ok "simulate --count writes exactly N records" ||
    fail "simulate --count" "$n_sim lines"
"$ROOST" normalize "$TMP/sim.jsonl" >"$TMP/norm.out" 2>/dev/null
"$ROOST" ingest "$TMP/sim.jsonl" >"$TMP/ingest.out" 2>"$TMP/ingest.err"
cmp -s "$TMP/norm.out" "$TMP/ingest.out" && ok "ingest output equals normalize" ||
    fail "ingest output equals normalize" "$(wc -l <"$TMP/norm.out") vs $(wc -l <"$TMP/ingest.out"): $(tail -2 "$TMP/ingest.err")"

# ---- file follow mode picks up new files -------------------------------------
mkdir -p "$TMP/in"
head -n 100 "$TMP/sim.jsonl" >"$TMP/in/a.jsonl"
"$ROOST" collect --source "file:$TMP/in?follow=true&poll-interval=100ms" \
    --archive "$TMP/arch-follow" --out "$TMP/follow.out" --quiet 2>"$TMP/follow.err" &
pid=$!
want_a=$(head -n 100 "$TMP/sim.jsonl" | "$ROOST" normalize 2>/dev/null | wc -l)
wait_lines "$TMP/follow.out" "$want_a" 10
sed -n '101,300p' "$TMP/sim.jsonl" >"$TMP/in/b.tmp" && mv "$TMP/in/b.tmp" "$TMP/in/b.jsonl"
want_ab=$(head -n 300 "$TMP/sim.jsonl" | "$ROOST" normalize 2>/dev/null | wc -l)
if wait_lines "$TMP/follow.out" "$want_ab" 10; then
    ok "follow mode picks up a new file"
else
    fail "follow mode picks up a new file" "$(wc -l <"$TMP/follow.out") of $want_ab"
fi
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM stops collect cleanly" || fail "SIGTERM stops collect cleanly" "exit $rc"
[ "$(archived "$TMP/arch-follow")" = 300 ] && ok "follow: 300 records archived" ||
    fail "follow: 300 records archived" "$(archived "$TMP/arch-follow")"

# ---- TCP server source: 3 concurrent clients, nothing lost -------------------
port=$(free_port)
"$ROOST" collect --source "tcp://127.0.0.1:$port?mode=server" \
    --archive "$TMP/arch-tcp" --out "$TMP/tcp.out" --quiet 2>"$TMP/tcp.err" &
pid=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
done
for c in 1 2 3; do
    (
        exec 3<>/dev/tcp/127.0.0.1/$port
        for i in $(seq 2000); do echo "client $c line $i #tag$c"; done >&3
        exec 3>&-
    ) &
done
wait_lines "$TMP/tcp.out" 6000 20
kill -TERM $pid
wait $pid
n=$(archived "$TMP/arch-tcp")
[ "$n" = 6000 ] && ok "tcp server: 3 clients x 2000 lines archived" ||
    fail "tcp server: 3 clients x 2000 lines archived" "$n"
for c in 1 2 3; do
    k=$(grep -c "\"client $c line" "$TMP/tcp.out")
    [ "$k" -eq 2000 ] || fail "tcp client $c complete" "$k lines"
done
ok "tcp server: every client's lines present"

# ---- roost simulate --port -> roost collect: exactly the generated count -----
port=$(free_port)
"$ROOST" simulate --count 5000 --seed 3 --port "$port" --once 2>/dev/null &
spid=$!
sleep 0.3
timeout 60 "$ROOST" collect --source "tcp://127.0.0.1:$port?once=true" \
    --archive "$TMP/arch-sim" --out "$TMP/sim-tcp.out" --quiet 2>"$TMP/sim-tcp.err"
rc=$?
wait $spid
[ $rc -eq 0 ] && ok "collect ends when the stream ends" || fail "collect ends when the stream ends" "exit $rc: $(tail -3 "$TMP/sim-tcp.err")"
[ "$(archived "$TMP/arch-sim")" = 5000 ] && ok "simulate -> tcp -> collect: 5000 of 5000" ||
    fail "simulate -> tcp -> collect" "$(archived "$TMP/arch-sim")"
"$ROOST" simulate --count 5000 --seed 3 | "$ROOST" normalize 2>/dev/null >"$TMP/sim-direct.out"
cmp -s "$TMP/sim-direct.out" "$TMP/sim-tcp.out" && ok "tcp path gives the same posts as a pipe" ||
    fail "tcp path gives the same posts" "$(wc -l <"$TMP/sim-direct.out") vs $(wc -l <"$TMP/sim-tcp.out")"

# ---- slow consumer + spill: the sender is never stalled ----------------------
port=$(free_port)
"$ROOST" simulate --count 20000 --seed 5 --port "$port" --once 2>/dev/null &
spid=$!
sleep 0.3
start=$(date +%s.%N)
"$ROOST" collect --source "tcp://127.0.0.1:$port?once=true" --policy spill \
    --queue-bytes 2MiB --process-delay-ms 40 --archive "$TMP/arch-spill" \
    --out "$TMP/spill.out" --quiet 2>"$TMP/spill.err" &
cpid=$!
wait $spid
sent=$(date +%s.%N)
wait $cpid
done_t=$(date +%s.%N)
[ "$(archived "$TMP/arch-spill")" = 20000 ] && ok "spill: count in = count out (20000)" ||
    fail "spill: count in = count out" "$(archived "$TMP/arch-spill")"
grep -qE 'spilled [1-9]' "$TMP/spill.err" && ok "spill: the queue spilled to disk" ||
    fail "spill: the queue spilled to disk" "$(tail -1 "$TMP/spill.err")"
awk -v s="$start" -v a="$sent" -v d="$done_t" 'BEGIN { exit !((a - s) * 2 < (d - s)) }' &&
    ok "spill: the sender finished long before the slow consumer" ||
    fail "spill: sender unstalled" "sent after $(awk -v s="$start" -v a="$sent" 'BEGIN{print a-s}') s, done after $(awk -v s="$start" -v d="$done_t" 'BEGIN{print d-s}') s"

# ---- kill -9 during a file ingest; restart; every record exactly once --------
"$ROOST" simulate --count 40000 --seed 9 >"$TMP/big.jsonl"
"$ROOST" normalize "$TMP/big.jsonl" >"$TMP/big.want" 2>/dev/null
run_collect() { # [--process-delay-ms N]: slow it so kills land mid-run
    exec "$ROOST" collect --source "file:$TMP/big.jsonl" --archive "$TMP/arch-crash" \
        --out "$TMP/crash.out" --dead-letter "$TMP/crash.dl" --quiet "$@" 2>>"$TMP/crash.err"
}
kills=0
for delay in 0.15 0.4 0.7 1.1; do
    run_collect --process-delay-ms 15 &
    pid=$!
    sleep "$delay"
    if kill -9 $pid 2>/dev/null; then
        kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null
done
(run_collect)
rc=$?
echo "info: crash test killed collect $kills times before the final run"
[ $rc -eq 0 ] && ok "collect completes after kill -9" || fail "collect completes after kill -9" "exit $rc"
[ "$(archived "$TMP/arch-crash")" = 40000 ] && ok "crash: archive holds every record once (40000)" ||
    fail "crash: archive holds every record once" "$(archived "$TMP/arch-crash")"
cmp -s "$TMP/big.want" "$TMP/crash.out" && ok "crash: output is every post exactly once, in order" ||
    fail "crash: output exactly once" "$(wc -l <"$TMP/big.want") wanted, $(wc -l <"$TMP/crash.out") got"
[ "$kills" -ge 1 ] && ok "crash: at least one kill landed mid-run" || fail "crash: kills landed" "$kills"

# ---- replay twice: byte-identical ------------------------------------------
"$ROOST" replay "$TMP/arch-crash" >"$TMP/r1" 2>/dev/null
"$ROOST" replay "$TMP/arch-crash" >"$TMP/r2" 2>/dev/null
cmp -s "$TMP/r1" "$TMP/r2" && [ -s "$TMP/r1" ] && ok "replay twice: byte-identical" ||
    fail "replay twice: byte-identical" "differ or empty"
cmp -s "$TMP/r1" "$TMP/big.want" && ok "replay equals the live output" ||
    fail "replay equals the live output" "$(wc -l <"$TMP/r1")"
"$ROOST" replay "$TMP/arch-crash" --from 2000-01-01T00:00:00Z --to 2000-01-02T00:00:00Z >"$TMP/r3" 2>/dev/null
[ ! -s "$TMP/r3" ] && ok "replay --from/--to selects by receive time" || fail "replay time range" "$(wc -l <"$TMP/r3")"

# ---- archive inspection -----------------------------------------------------
expect "archive ls" "$ROOST" archive ls "$TMP/arch-crash"
grep -q 'seg-' "$TMP/out" && ok "archive ls lists segments" || fail "archive ls lists segments" "$(head -3 "$TMP/out")"
"$ROOST" archive cat "$TMP/arch-sim" 2>/dev/null | head -n 5000 >"$TMP/cat.out"
"$ROOST" simulate --count 5000 --seed 3 >"$TMP/sim3.jsonl"
cmp -s "$TMP/cat.out" "$TMP/sim3.jsonl" && ok "archive cat gives the received bytes back" ||
    fail "archive cat byte-exact" "$(head -c 200 "$TMP/cat.out")"

# ---- malformed input through collect: dead letters, processing goes on ------
{
    head -n 5 "$TMP/sim.jsonl"
    printf '{"truncated":\n'
    printf '{"bad":"\xff"}\n'
    head -c 2000000 /dev/zero | tr '\0' 'x'
    printf '\n'
    head -n 10 "$TMP/sim.jsonl" | tail -n 5
} >"$TMP/mixed.jsonl"
"$ROOST" collect --source "file:$TMP/mixed.jsonl" --archive "$TMP/arch-mixed" \
    --out "$TMP/mixed.out" --dead-letter "$TMP/mixed.dl" --quiet 2>"$TMP/mixed.err"
[ "$(wc -l <"$TMP/mixed.dl")" -eq 3 ] && ok "collect: 3 bad records dead-lettered" ||
    fail "collect: bad records dead-lettered" "$(wc -l <"$TMP/mixed.dl"): $(cut -c1-200 "$TMP/mixed.dl")"
grep -q '"error":"limit"' "$TMP/mixed.dl" && grep -q '"error":"utf8"' "$TMP/mixed.dl" &&
    ok "collect: dead letters carry their reason" || fail "dead letter reasons" "$(cut -c1-150 "$TMP/mixed.dl")"
want=$(head -n 10 "$TMP/sim.jsonl" | "$ROOST" normalize 2>/dev/null | wc -l)
[ "$(wc -l <"$TMP/mixed.out")" -eq "$want" ] && ok "collect: good records around bad ones all processed" ||
    fail "good records processed" "$(wc -l <"$TMP/mixed.out") of $want"
finish
