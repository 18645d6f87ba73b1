#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_stream.sh - continuous queries end to end: `roost stream` agrees with
# `roost top` and with SQLite over the stored posts; windows emit; bad
# queries and configs name line:col / file:line; `roost run` runs a
# config; kill -9 at 10 random moments during a run over a fixed input
# changes nothing in the final result (exactly once); the same holds for a
# result written into the store (--out sqlite:).
. "$(dirname "$0")/lib.sh"

Q="SELECT tag_lower, COUNT(*) AS n FROM hashtags GROUP BY tag_lower ORDER BY n DESC, tag_lower LIMIT 20"
strip_late() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l); d.pop("late_dropped", None); print(json.dumps(d, sort_keys=True))
' "$1"; }

"$ROOST" simulate --count 4000 --seed 42 >"$TMP/sim.jsonl"

# ---- stream == top ---------------------------------------------------------
"$ROOST" stream "$Q" --source "simulate?count=4000&seed=42" --format jsonl \
    --snapshot "$TMP/live.jsonl" >"$TMP/live.out" 2>"$TMP/live.err"
"$ROOST" top hashtags --limit 20 --format tsv "$TMP/sim.jsonl" 2>/dev/null |
    awk -F'\t' '{ printf "{\"n\": %s, \"tag_lower\": \"%s\"}\n", $2, $1 }' >"$TMP/top.jsonl"
if [ -s "$TMP/live.jsonl" ] &&
   [ "$(strip_late "$TMP/live.jsonl" | python3 -c 'import sys,json;[print(json.loads(l)["tag_lower"], json.loads(l)["n"]) for l in sys.stdin]')" = \
     "$(python3 -c 'import sys,json;[print(json.loads(l)["tag_lower"], json.loads(l)["n"]) for l in open(sys.argv[1])]' "$TMP/top.jsonl")" ]; then
    ok "stream top hashtags over simulate equals roost top"
else
    fail "stream top hashtags over simulate equals roost top" "$(head -3 "$TMP/live.jsonl") / $(head -3 "$TMP/top.jsonl") $(tail -2 "$TMP/live.err")"
fi

# ---- stream == SQLite over the stored posts ----------------------------------
# The store's live_hashtags view holds the rows of the hashtags stream table
# (no referenced copies; deleted posts stay, as the stream counted them), and
# the engine knows it by that name, so the very same query text runs on both
# sides.
LQ="SELECT tag_lower, COUNT(*) AS n FROM live_hashtags GROUP BY tag_lower ORDER BY n DESC, tag_lower LIMIT 20"
if "$ROOST" help query >/dev/null 2>&1; then
    "$ROOST" ingest --sink "sqlite:$TMP/db.sqlite" --out /dev/null "$TMP/sim.jsonl" 2>/dev/null
    "$ROOST" stream "$LQ" --source "simulate?count=4000&seed=42" --format jsonl \
        --snapshot "$TMP/live2.jsonl" >/dev/null 2>"$TMP/live2.err"
    "$ROOST" query "$LQ" --db "$TMP/db.sqlite" --format jsonl >"$TMP/sql.jsonl" 2>"$TMP/sql.err"
    if [ -s "$TMP/sql.jsonl" ] && [ "$(strip_late "$TMP/live2.jsonl")" = "$(strip_late "$TMP/sql.jsonl")" ] &&
       [ "$(strip_late "$TMP/live2.jsonl")" = "$(strip_late "$TMP/live.jsonl")" ]; then
        ok "the same top-hashtags SQL gives identical results live and over the store"
    else
        fail "the same top-hashtags SQL live and over the store" "$(head -2 "$TMP/live2.jsonl") / $(head -2 "$TMP/sql.jsonl") $(head -c 200 "$TMP/sql.err")"
    fi

    # ---- query results into the store ----------------------------------------
    "$ROOST" stream "$Q" --source "simulate?count=4000&seed=42" --name top \
        --trigger 100ms --out "sqlite:$TMP/db.sqlite" >/dev/null 2>"$TMP/qs.err"
    "$ROOST" query "SELECT * FROM latest_query_results WHERE query='top'" --db "$TMP/db.sqlite" \
        --format jsonl >"$TMP/qs.jsonl" 2>>"$TMP/qs.err"
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(json.loads(l)["row_json"]), sort_keys=True))
' "$TMP/qs.jsonl" >"$TMP/qs-rows.jsonl" 2>>"$TMP/qs.err"
    if [ -s "$TMP/qs-rows.jsonl" ] && [ "$(strip_late "$TMP/qs-rows.jsonl")" = "$(strip_late "$TMP/live.jsonl")" ]; then
        ok "--out sqlite: latest_query_results shows the live query's result"
    else
        fail "--out sqlite: latest_query_results" "$(head -2 "$TMP/qs.jsonl") $(tail -2 "$TMP/qs.err")"
    fi
else
    skip "live top hashtags equal SQLite" "no roost query"
fi

"$ROOST" simulate --count 60000 --seed 9 >"$TMP/big.jsonl"

# ---- windows -------------------------------------------------------------------
"$ROOST" stream "SELECT window_start, COUNT(*) AS n FROM posts GROUP BY TUMBLE(created_at, INTERVAL '1' SECOND)" \
    --source "file:$TMP/big.jsonl" --format jsonl >"$TMP/win.jsonl" 2>"$TMP/win.err"
n_win=$(wc -l <"$TMP/win.jsonl")
sum_win=$(python3 -c 'import sys,json;print(sum(json.loads(l)["n"]+0 for l in open(sys.argv[1])))' "$TMP/win.jsonl")
n_posts=$("$ROOST" stream "SELECT COUNT(*) AS n FROM posts" --source "file:$TMP/big.jsonl" --format jsonl 2>/dev/null | tail -1 |
    python3 -c 'import sys,json;print(json.loads(sys.stdin.read())["n"])')
late=$(python3 -c 'import sys,json;print(max(json.loads(l)["late_dropped"] for l in open(sys.argv[1])))' "$TMP/win.jsonl")
if [ "$n_win" -gt 1 ] && [ "$((sum_win + late))" -eq "$n_posts" ]; then
    ok "tumbling windows: each window once; rows + late_dropped = posts ($n_win windows)"
else
    fail "tumbling windows" "$n_win windows, $sum_win rows + $late late vs $n_posts posts"
fi
"$ROOST" stream "SELECT tag FROM hashtags GROUP BY" --source "file:$TMP/sim.jsonl" >/dev/null 2>"$TMP/bad.err"
rc=$?
{ [ $rc -eq 2 ] && grep -q "1:" "$TMP/bad.err"; } && ok "a bad query: exit 2 with line:col" ||
    fail "a bad query: exit 2 with line:col" "exit $rc: $(cat "$TMP/bad.err")"

# ---- roost run ------------------------------------------------------------------
cat >"$TMP/p.conf" <<CONF
# test pipeline
[pipeline]
archive = $TMP/arch-run
trigger = 1s

[source sim]
spec = file:$TMP/sim.jsonl

[query tags]
sql = SELECT tag_lower, COUNT(*) AS n
      FROM hashtags GROUP BY tag_lower
      ORDER BY n DESC, tag_lower LIMIT 20
output = jsonl
path = $TMP/run-tags.jsonl
CONF
mkdir -p "$TMP/snap"
if "$ROOST" run "$TMP/p.conf" --snapshot-dir "$TMP/snap" >"$TMP/run.out" 2>"$TMP/run.err" &&
   [ "$(strip_late "$TMP/snap/tags.jsonl")" = "$(strip_late "$TMP/live.jsonl")" ]; then
    ok "roost run FILE.conf gives the same result"
else
    fail "roost run FILE.conf" "$(tail -3 "$TMP/run.err")"
fi
printf '[pipeline]\narchive = x\n[query q]\nsql = SELECT 1 FROM posts\nbogus = 1\n' >"$TMP/bad.conf"
"$ROOST" run "$TMP/bad.conf" >/dev/null 2>"$TMP/badc.err"
rc=$?
{ [ $rc -eq 2 ] && grep -q "bad.conf:5: unknown key 'bogus'" "$TMP/badc.err"; } &&
    ok "a bad config key: exit 2 with file:line" ||
    fail "a bad config key" "exit $rc: $(cat "$TMP/badc.err")"

# ---- crash test: kill -9 at 10 random moments ------------------------------------
CQ="SELECT tag_lower, window_start, COUNT(*) AS n, APPROX_COUNT_DISTINCT(author_id) AS authors FROM hashtags GROUP BY tag_lower, HOP(created_at, INTERVAL '10' MINUTE, INTERVAL '5' MINUTE) ORDER BY n DESC, tag_lower LIMIT 5"
run_crash() { # ARCHIVE SNAPSHOT OUT
    "$ROOST" stream "$CQ" --source "file:$TMP/big.jsonl" --archive "$1" \
        --checkpoint-interval 50ms --format jsonl --out "$3" --snapshot "$2" \
        >/dev/null 2>>"$TMP/crash.err"
}
run_crash "$TMP/arch-ref" "$TMP/ref.jsonl" "$TMP/ref-out.jsonl"
kills=0
for i in $(seq 1 10); do
    (exec "$ROOST" stream "$CQ" --source "file:$TMP/big.jsonl" \
        --archive "$TMP/arch-crash" --checkpoint-interval 50ms --format jsonl \
        --out "$TMP/crash-out.jsonl" --snapshot "$TMP/crash.jsonl" \
        >/dev/null 2>>"$TMP/crash.err") &
    pid=$!
    sleep "0.$(( RANDOM % 6 ))$(( RANDOM % 10 ))"
    if kill -9 $pid 2>/dev/null; then
        kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null
done
run_crash "$TMP/arch-crash" "$TMP/crash.jsonl" "$TMP/crash-out.jsonl"
if [ -s "$TMP/ref.jsonl" ] && cmp -s "$TMP/ref.jsonl" "$TMP/crash.jsonl"; then
    ok "kill -9 x$kills during a run: final result equals an uninterrupted run"
else
    fail "kill -9 x$kills: final result equals an uninterrupted run" "$(diff "$TMP/ref.jsonl" "$TMP/crash.jsonl" | head -5) $(tail -2 "$TMP/crash.err")"
fi
if cmp -s <(sort "$TMP/ref-out.jsonl") <(sort "$TMP/crash-out.jsonl"); then
    ok "kill -9: every window row written to the result file exactly once"
else
    fail "kill -9: result file exactly once" "$(wc -l <"$TMP/ref-out.jsonl") vs $(wc -l <"$TMP/crash-out.jsonl")"
fi

# ---- kill -9 with the result in the store ----------------------------------------
store_run() { # ARCHIVE DB
    "$ROOST" stream "$Q" --source "file:$TMP/big.jsonl" --archive "$1" --name top \
        --checkpoint-interval 50ms --trigger 20ms --out "sqlite:$2" >/dev/null 2>>"$TMP/scrash.err"
}
latest() {
    "$ROOST" query "SELECT row_json FROM latest_query_results WHERE query='top'" \
        --db "$1" --format csv 2>>"$TMP/scrash.err"
}
store_run "$TMP/arch-sref" "$TMP/sref.db"
for i in $(seq 1 5); do
    (exec "$ROOST" stream "$Q" --source "file:$TMP/big.jsonl" --archive "$TMP/arch-scrash" \
        --name top --checkpoint-interval 50ms --trigger 20ms --out "sqlite:$TMP/scrash.db" \
        >/dev/null 2>>"$TMP/scrash.err") &
    pid=$!
    sleep "0.$(( RANDOM % 4 ))$(( RANDOM % 10 ))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
done
store_run "$TMP/arch-scrash" "$TMP/scrash.db"
# Each emission is one whole result table: 20 rows, never 40 (a duplicate).
bad=$("$ROOST" query "SELECT count(*) FROM (SELECT seq FROM query_results GROUP BY seq HAVING count(*) <> 20)" \
    --db "$TMP/scrash.db" --format csv 2>>"$TMP/scrash.err" | tail -1)
if [ -n "$(latest "$TMP/sref.db")" ] && [ "$(latest "$TMP/sref.db")" = "$(latest "$TMP/scrash.db")" ] && [ "$bad" = 0 ]; then
    ok "kill -9 with --out sqlite: the store's latest result equals an uninterrupted run"
else
    fail "kill -9 with --out sqlite:" "bad emissions: $bad; $(tail -2 "$TMP/scrash.err")"
fi
finish
