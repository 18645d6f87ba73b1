#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_x_stream.sh - the X sources with the real binary against
# tests/servers/fake_x.py on loopback: `roost collect --source x2:...`
# through disconnects (gap records, backfill overlap removed, nothing lost
# or duplicated), the exact HTTP backoff sequence of x1 (time scaled),
# a wrong token's one clear error and bounded retry, credentials file
# permissions, and `roost rules` round-trip. Every wait is bounded.
. "$(dirname "$0")/lib.sh"

need_data tweets-corpus-covid-analysis "x stream" || { finish; exit $?; }
need_data twitter-v2-samples "x stream" || { finish; exit $?; }

FAKE="$TOP/tests/servers/fake_x.py"
fake_pid=""

# start_fake DIR ARGS...: run the fake, set $port.
start_fake() {
    local dir=$1
    shift
    mkdir -p "$dir"
    python3 "$FAKE" --dir "$dir" --lifetime 60 "$@" >"$dir/port" 2>"$dir/err" &
    fake_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^PORT //p' "$dir/port")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    return 1
}

stop_fake() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    fake_pid=""
}
trap 'stop_fake; rm -rf "$TMP"' EXIT

# wait_lines FILE N SECS
wait_lines() {
    local i=0
    while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
        [ $i -ge $(($3 * 10)) ] && return 1
    done
    return 0
}

creds() { # FILE BEARER
    printf 'consumer_key = ck-test\nconsumer_secret = cs-test\naccess_token = at-test\naccess_token_secret = ats-test\nbearer_token = %s\n' "$2" >"$1"
    chmod 600 "$1"
}
creds "$TMP/x.conf" bearer-test

# ---- x2 through a mid-record cut and a disconnect: every post once ---------
start_fake "$TMP/f1" --count 100 --script "cut:30,disc:30,hold" --overlap 5 ||
    fail "fake x server starts" "$(cat "$TMP/f1/err")"
"$ROOST" collect --source "x2:http://127.0.0.1:$port/2/tweets/search/stream?credentials=$TMP/x.conf&backfill=2&time-scale=0.001" \
    --archive "$TMP/arch" --out "$TMP/posts.jsonl" --control --quiet 2>"$TMP/c1.err" &
cpid=$!
wait_lines "$TMP/f1/sent.log" 110 20
sleep 1
kill -TERM $cpid
wait $cpid
rc=$?
stop_fake
[ $rc -eq 0 ] && ok "collect x2 stops cleanly" || fail "collect x2 stops cleanly" "exit $rc: $(tail -3 "$TMP/c1.err")"
# top-level posts (not the referenced ones they carry), by id
top_ids() { # FILE
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if "control" not in d and not d.get("referenced"):
        print(d["id"])' "$1"
}
top_ids "$TMP/posts.jsonl" | sort >"$TMP/ids"
n_ids=$(wc -l <"$TMP/ids")
n_uniq=$(sort -u "$TMP/ids" | wc -l)
sort -u "$TMP/f1/sent.log" >"$TMP/sent"
want=$(wc -l <"$TMP/sent")
[ "$n_uniq" -eq "$n_ids" ] && ok "x2: no post duplicated across reconnects ($n_ids)" ||
    fail "x2: no post duplicated" "$n_ids ids, $n_uniq unique"
missing=$(comm -23 "$TMP/sent" <(sort -u "$TMP/ids") | wc -l)
[ "$missing" -eq 0 ] && [ "$want" -eq 100 ] && ok "x2: no post lost (100 of 100)" ||
    fail "x2: no post lost" "$missing of $want missing"
"$ROOST" archive cat "$TMP/arch" >"$TMP/arch.txt" 2>/dev/null
n_gap=$(grep -c '"roost_gap"' "$TMP/arch.txt")
[ "$n_gap" -eq 2 ] && ok "x2: two gap records archived" || fail "x2: gap records archived" "$n_gap"
grep '"roost_gap"' "$TMP/arch.txt" | grep -q '"last_id":"[0-9]*","first_id":"[0-9]*"' &&
    ok "x2: gap records name the ids around the gap" ||
    fail "x2: gap ids" "$(grep roost_gap "$TMP/arch.txt" | head -2)"
[ "$(grep -c '"control":"gap"' "$TMP/posts.jsonl")" -eq 2 ] && ok "x2: gaps normalize to GAP control events" ||
    fail "x2: GAP control events" "$(grep -c control "$TMP/posts.jsonl")"
grep -q 'backfill_minutes=2' "$TMP/f1/attempts.log" && ok "x2: reconnects ask for backfill" ||
    fail "x2: backfill asked" "$(head -5 "$TMP/f1/attempts.log")"

# ---- x1: the exact HTTP backoff sequence, time scaled by 0.01 ----------------
start_fake "$TMP/f2" --count 20 --script "503,503,503,503,hold"
timeout 30 "$ROOST" collect --source "x1:http://127.0.0.1:$port/1.1/statuses/filter.json?track=covid&credentials=$TMP/x.conf&time-scale=0.01" \
    --archive "$TMP/arch2" --out "$TMP/p2.jsonl" --quiet 2>"$TMP/c2.err" &
cpid=$!
for _ in $(seq 200); do
    [ "$(top_ids "$TMP/p2.jsonl" 2>/dev/null | wc -l)" -ge 20 ] && break
    sleep 0.1
done
kill -TERM $cpid
wait $cpid
stop_fake
# attempts: 5 signed requests; gaps 50, 100, 200, 400 ms (+ jitter)
times=$(awk '$2 ~ /statuses/ { print $1 }' "$TMP/f2/attempts.log")
gaps=$(printf '%s\n' $times | awk 'NR > 1 { printf "%d ", $1 - prev } { prev = $1 }')
echo "info: x1 503 backoff gaps (ms): $gaps"
printf '%s\n' $gaps | awk 'BEGIN { split("50 100 200 400", w, " ") }
    { d = $1; e = w[NR]; if (d < e || d > e + 150) bad = 1; n++ }
    END { exit !(n == 4 && !bad) }' &&
    ok "x1: 503 backs off 5 s doubling (x0.01): 50 100 200 400 ms" ||
    fail "x1: 503 backoff sequence" "gaps $gaps"
grep -c 'auth:ok' "$TMP/f2/attempts.log" | grep -q '^5$' &&
    ok "x1: every attempt's OAuth signature verified by the server" ||
    fail "x1: OAuth signatures" "$(grep -v auth:ok "$TMP/f2/attempts.log" | head -3)"
[ "$(top_ids "$TMP/p2.jsonl" | sort -u | wc -l)" -eq 20 ] && ok "x1: 20 posts normalized" ||
    fail "x1: posts normalized" "$(top_ids "$TMP/p2.jsonl" | wc -l)"

# ---- a wrong token: one clear error, bounded retry, then the source ends ----
creds "$TMP/bad.conf" not-the-token
start_fake "$TMP/f3"
start=$(date +%s)
timeout 30 "$ROOST" collect --source "x2:http://127.0.0.1:$port/2/tweets/search/stream?credentials=$TMP/bad.conf&time-scale=0.001&auth-retries=2" \
    --archive "$TMP/arch3" --quiet 2>"$TMP/c3.err" &
cpid=$!
for _ in $(seq 100); do
    [ "$(wc -l <"$TMP/f3/attempts.log" 2>/dev/null || echo 0)" -ge 3 ] && break
    sleep 0.1
done
sleep 1
n_att=$(wc -l <"$TMP/f3/attempts.log")
kill -TERM $cpid 2>/dev/null
wait $cpid
stop_fake
[ "$n_att" -eq 3 ] && ok "wrong token: 3 attempts (1 + 2 retries), no tight loop" ||
    fail "wrong token: bounded retry" "$n_att attempts"
[ "$(grep -c 'refused the credentials' "$TMP/c3.err")" -eq 1 ] &&
    ok "wrong token: one clear error" || fail "wrong token: one clear error" "$(cat "$TMP/c3.err")"
grep -q 'not-the-token' "$TMP/c3.err" && fail "token never logged" "found in stderr" ||
    ok "wrong token: the token is never logged"

# ---- credentials file permissions -------------------------------------------
chmod 644 "$TMP/x.conf"
timeout 10 "$ROOST" collect --source "x2:http://127.0.0.1:9/s?credentials=$TMP/x.conf" \
    --archive "$TMP/arch4" --quiet 2>"$TMP/c4.err"
rc=$?
[ $rc -ne 0 ] && grep -q 'mode 0644' "$TMP/c4.err" &&
    ok "a group/world-readable credentials file is refused" ||
    fail "credentials permissions" "exit $rc: $(cat "$TMP/c4.err")"
chmod 600 "$TMP/x.conf"

# ---- roost rules round-trip ----------------------------------------------------
start_fake "$TMP/f5"
api="http://127.0.0.1:$port"
"$ROOST" rules dry-run --api "$api" --credentials "$TMP/x.conf" 'covid lang:en#covid' >"$TMP/r0" 2>&1
"$ROOST" rules add --api "$api" --credentials "$TMP/x.conf" 'covid lang:en#covid' 'new year' >"$TMP/r1" 2>&1
"$ROOST" rules list --api "$api" --credentials "$TMP/x.conf" >"$TMP/r2" 2>&1
id=$(grep -o '"id": "[0-9]*", "value": "new year"' "$TMP/r2" | grep -o '[0-9]\+' | head -1)
"$ROOST" rules delete --api "$api" --credentials "$TMP/x.conf" "$id" >"$TMP/r3" 2>&1
"$ROOST" rules list --api "$api" --credentials "$TMP/x.conf" >"$TMP/r4" 2>&1
stop_fake
grep -q '"tag": "covid"' "$TMP/r2" && grep -q '"deleted": 1' "$TMP/r3" &&
    grep -q 'covid lang:en' "$TMP/r4" && ! grep -q 'new year' "$TMP/r4" &&
    grep -q '"created": 1' "$TMP/r0" &&
    ok "rules: dry-run, add, list, delete round-trip" ||
    fail "rules round-trip" "$(cat "$TMP/r0" "$TMP/r2" "$TMP/r3" "$TMP/r4" | head -c 600)"
finish
