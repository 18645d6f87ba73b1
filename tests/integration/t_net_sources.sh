#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_net_sources.sh - `roost collect` from the network sources against the
# fake servers of tests/servers: Jetstream (with a dropped connection),
# Mastodon SSE and GitHub events, all at once into one archive and one
# normalized post stream; then a wrong Mastodon token: one clear error,
# a bounded number of retries, and the collector ends by itself; then
# Mastodon's multiplexed WebSocket (two streams, a dropped connection).
. "$(dirname "$0")/lib.sh"

need_data bluesky-jetstream-samples/jetstream/expected_v1.jsonl \
    "network sources" || { finish; exit $?; }
need_data mastodon-samples/streaming-sse "network sources" ||
    { finish; exit $?; }
if ! "$ROOST" help source 2>/dev/null | grep -q "^  jetstream" ||
    ! "$ROOST" help source 2>/dev/null | grep -q "^  github"; then
    skip "network sources" "roost built without libwebsockets/libcurl"
    finish
    exit $?
fi

SERVERS="$TOP/tests/servers"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME ARGS...: run a fake server, set $port.
start() {
    local name=$1
    shift
    # A fresh file per server: reading a previous server's port while the
    # shell has not yet truncated the file would talk to the wrong server.
    local pf
    pf=$(mktemp "$TMP/$name.XXXXXX")
    python3 "$SERVERS/$name" --lifetime 60 "$@" >"$pf" &
    pids+=($!)
    port=
    for _ in $(seq 300); do
        port=$(awk '/^PORT/ { print $2 }' "$pf" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    return 1
}

# wait_lines FILE N SECS
wait_lines() {
    local i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
        [ $i -ge $(($3 * 10)) ] && return 1
    done
    return 0
}

start fake_jetstream.py --drop-after 50 && js_port=$port
start fake_mastodon.py --token sekrit && ma_port=$port
start fake_github.py --initial 10 --per-poll 5 --total 30 && gh_port=$port

js="jetstream:ws://127.0.0.1:$js_port/subscribe?time-scale=0.01"
ma="mastodon:http://127.0.0.1:$ma_port?stream=public&time-scale=0.01"
gh="github:http://127.0.0.1:$gh_port/events?interval=100ms"

# posts: 18 Bluesky posts, 17 Mastodon statuses (15 updates + 1 edit +
# the status a notification does not repeat), 30 GitHub events
MASTODON_TOKEN=sekrit "$ROOST" collect --source "$js" --source "$ma" \
    --source "$gh" --archive "$TMP/arch" --out "$TMP/posts.jsonl" \
    --quiet 2>"$TMP/collect.err" &
cpid=$!
n_js=$(python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    c = json.loads(l).get("commit", {})
    n += c.get("collection") == "app.bsky.feed.post" and \
        c.get("operation") != "delete"
print(n)' "$DATA/bluesky-jetstream-samples/jetstream/expected_v1.jsonl")
want=$((n_js + 16 + 30))
wait_lines "$TMP/posts.jsonl" "$want" 20
sleep 0.5
kill -TERM $cpid
wait $cpid
rc=$?
[ $rc -eq 0 ] && ok "collect from three network sources stops cleanly" ||
    fail "collect from three network sources stops cleanly" \
        "exit $rc: $(head -c 300 "$TMP/collect.err")"

count() { grep -c "\"platform\":\"$1\"" "$TMP/posts.jsonl"; }
[ "$(count bluesky)" -ge "$n_js" ] &&
    ok "jetstream posts in the normalized stream" ||
    fail "jetstream posts" "$(count bluesky) of $n_js"
[ "$(count mastodon)" -ge 16 ] && ok "mastodon posts in the stream" ||
    fail "mastodon posts" "$(count mastodon)"
[ "$(count github)" -eq 30 ] && ok "github events as posts, once each" ||
    fail "github events" "$(count github) of 30"
# Mastodon's recordings repeat statuses (edit, notification) on purpose:
# only Bluesky and GitHub ids must be unique
dups=$(grep -E '"platform":"(bluesky|github)"' "$TMP/posts.jsonl" |
    grep -o '^{"id":"[^"]*"' | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] && ok "no duplicate across the jetstream reconnect" ||
    fail "no duplicate across the jetstream reconnect" "$dups ids twice"

"$ROOST" archive cat "$TMP/arch" >"$TMP/arch.jsonl" 2>/dev/null
js_events=$(grep -c '"time_us"' "$TMP/arch.jsonl")
[ "$js_events" -eq 152 ] &&
    ok "every jetstream event archived exactly once" ||
    fail "every jetstream event archived exactly once" "$js_events of 152"
grep -q '{"roost_gap":{"source":"jetstream"' "$TMP/arch.jsonl" &&
    ok "gap record archived for the dropped connection" ||
    fail "gap record archived" "none"
grep -q '^{"event":"update","payload":"{' "$TMP/arch.jsonl" &&
    ok "mastodon events archived with their names" ||
    fail "mastodon events archived with their names" "none"
"$ROOST" normalize --control "$TMP/arch.jsonl" 2>/dev/null |
    grep -q '"control":"gap"' && ok "gap normalizes to a control event" ||
    fail "gap normalizes to a control event" "no gap control event"
# The gap names its platform, so per-platform views can show it.
gap_line=$("$ROOST" normalize --control "$TMP/arch.jsonl" 2>/dev/null |
    grep '"control":"gap"' | grep '"jetstream"' | head -1)
case "$gap_line" in
*'"platform":"bluesky"'*) ok "jetstream gap carries platform bluesky" ;;
*) fail "jetstream gap carries platform bluesky" "${gap_line:-no gap line}" ;;
esac

# ---- a wrong token: one clear error, bounded retries, then the end -------
start fake_mastodon.py --token sekrit --log "$TMP/ma401.log" && p401=$port
start_s=$(date +%s)
MASTODON_TOKEN=wrong timeout 20 "$ROOST" collect \
    --source "mastodon:http://127.0.0.1:$p401?auth-retries=2&time-scale=0.01" \
    --archive "$TMP/arch401" --quiet 2>"$TMP/401.err"
rc=$?
el=$(($(date +%s) - start_s))
[ $rc -ne 124 ] && [ $el -lt 15 ] && ok "wrong token: collect ends by itself" ||
    fail "wrong token: collect ends by itself" "exit $rc after ${el}s"
n_err=$(grep -c 'refused the token (HTTP 401)' "$TMP/401.err")
[ "$n_err" -eq 1 ] && ok "wrong token: one clear error" ||
    fail "wrong token: one clear error" "$n_err lines: $(head -c 300 "$TMP/401.err")"
n_req=$(grep -c streaming "$TMP/ma401.log")
[ "$n_req" -eq 3 ] && ok "wrong token: bounded retries (3 attempts)" ||
    fail "wrong token: bounded retries" "$n_req attempts"
if grep -q sekrit "$TMP/401.err" || grep -q wrong "$TMP/401.err"; then
    fail "token never logged" "$(cat "$TMP/401.err")"
else
    ok "token never logged"
fi


# ---- Mastodon's multiplexed WebSocket: two streams, one dropped connection
start fake_mastodon.py --token sekrit --drop-after 5 --log "$TMP/mw.log" &&
    mw_port=$port
mw="mastodon_ws:http://127.0.0.1:$mw_port?stream=public&tag=hoot"
MASTODON_TOKEN=sekrit "$ROOST" collect --source "$mw&time-scale=0.01" \
    --archive "$TMP/archmw" --out "$TMP/mw.jsonl" --quiet 2>"$TMP/mw.err" &
cpid=$!
wait_lines "$TMP/mw.jsonl" 17 20
sleep 0.5
kill -TERM $cpid
wait $cpid
rc=$?
[ $rc -eq 0 ] && ok "mastodon_ws: collect stops cleanly" ||
    fail "mastodon_ws: collect stops cleanly" \
        "exit $rc: $(head -c 300 "$TMP/mw.err")"
[ "$(grep -c '"platform":"mastodon"' "$TMP/mw.jsonl")" -eq 17 ] &&
    ok "mastodon_ws: statuses in the normalized stream" ||
    fail "mastodon_ws: statuses" "$(grep -c mastodon "$TMP/mw.jsonl") of 17"
"$ROOST" archive cat "$TMP/archmw" >"$TMP/archmw.jsonl" 2>/dev/null
n_ev=$(grep -c '^{"stream":\["public"\],"event":"' "$TMP/archmw.jsonl")
n_uniq=$(grep '^{"stream":' "$TMP/archmw.jsonl" | sort -u | wc -l)
[ "$n_ev" -eq 22 ] && [ "$n_uniq" -eq 22 ] &&
    ok "mastodon_ws: every event archived once across the drop" ||
    fail "mastodon_ws: every event archived once" "$n_ev events, $n_uniq unique"
[ "$(grep -c '^{"roost_gap":{"source":"mastodon_ws"' "$TMP/archmw.jsonl")" \
    -eq 1 ] && ok "mastodon_ws: gap record for the drop" ||
    fail "mastodon_ws: gap record for the drop" "none"
# the fake reads one subscribe at a time and drops during the first
[ "$(grep -c '^SUB .*"stream":"public"' "$TMP/mw.log")" -eq 2 ] &&
    grep -q '^SUB .*"stream":"hashtag","tag":"hoot"' "$TMP/mw.log" &&
    ok "mastodon_ws: resubscribed after the reconnect" ||
    fail "mastodon_ws: resubscribed" "$(grep SUB "$TMP/mw.log")"
n_norm=$("$ROOST" normalize "$TMP/archmw.jsonl" 2>/dev/null |
    grep -c '"platform":"mastodon"')
[ "$n_norm" -eq 17 ] && ok "mastodon_ws: archive normalizes" ||
    fail "mastodon_ws: archive normalizes" "$n_norm posts of 17"

finish
