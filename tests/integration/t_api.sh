#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_api.sh - `roost serve` end to end: ingest a simulated stream into a
# SQLite store, serve it on loopback and curl every endpoint. The numbers
# must equal what `roost query` says over the store's views; bad
# parameters give 400 JSON, unknown paths 404, an oversize body 413; a
# traversal attempt leaks nothing; a write over POST /api/v1/query fails
# and leaves the file byte-identical. Then 300 concurrent SSE clients
# must keep receiving updates while `roost collect` fills a live store.
. "$(dirname "$0")/lib.sh"

for tool in curl python3; do
    if ! command -v "$tool" >/dev/null; then
        skip "api" "$tool not installed (scripts/deps.sh installs it)"
        finish
        exit $?
    fi
done

DB="$TMP/api.db"
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# serve DB LOG: start `roost serve` on a free port; sets URL.
serve() {
    "$ROOST" serve --db "$1" --listen 127.0.0.1:0 --quiet >"$2" 2>&1 &
    PIDS="$PIDS $!"
    URL=""
    for _ in $(seq 100); do
        URL=$(head -1 "$2" | grep -o 'http://[0-9.:]*' || true)
        [ -n "$URL" ] && break
        sleep 0.1
    done
}

# json EXPR: evaluate a python expression over the JSON on stdin (j).
json() {
    python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# q SQL: `roost query` as CSV without the header.
q() {
    "$ROOST" query --db "$DB" --format csv "$1" | tail -n +2
}

"$ROOST" simulate --count 20000 --seed 7 >"$TMP/sim.jsonl"
expect "ingest into sqlite" \
    "$ROOST" ingest --sink "sqlite:$DB?terms=vote,election,bts" \
    "$TMP/sim.jsonl"

serve "$DB" "$TMP/serve.log"
if [ -z "$URL" ]; then
    fail "serve starts" "$(head -c 300 "$TMP/serve.log")"
    finish
    exit $?
fi
ok "serve prints its URL"

# ---- health and metrics ------------------------------------------------------
got=$(curl -s "$URL/health" | json 'j["status"], j["db"]')
case $got in "ok "*) ok "health" ;; *) fail "health" "$got" ;; esac

want=$(q "SELECT count(*) FROM posts WHERE deleted = 0 AND referenced = 0")
got=$(curl -s "$URL/metrics" | awk '$1 == "roost_store_posts" {print $2}')
[ "$got" = "$want" ] && ok "metrics: posts = query" ||
    fail "metrics: posts = query" "$got != $want"
curl -s "$URL/metrics" | grep -q '^roost_http_requests_total{code="2xx"} [1-9]' &&
    ok "metrics: http requests by code" ||
    fail "metrics: http requests by code" "no 2xx sample"

# ---- numbers equal the store's views -------------------------------------------
want=$(q "SELECT tag, posts FROM top_hashtags_1h LIMIT 10")
got=$(curl -s "$URL/api/v1/top/hashtags?window=1h&limit=10" |
    json '"\n".join("%s,%d" % (i["key"], i["count"]) for i in j["items"])')
[ -n "$want" ] && [ "$got" = "$want" ] && ok "top hashtags 1h = top_hashtags_1h" ||
    fail "top hashtags 1h = top_hashtags_1h" "$(echo "$got" | head -3) vs $(echo "$want" | head -3)"

want=$(q "SELECT author, posts FROM posts_per_user LIMIT 5" | cut -d, -f2)
got=$(curl -s "$URL/api/v1/top/authors?window=all&limit=5" |
    json '"\n".join(str(i["count"]) for i in j["items"])')
[ "$got" = "$want" ] && ok "top authors all = posts_per_user" ||
    fail "top authors all = posts_per_user" "$got vs $want"

want=$(q "SELECT term, posts FROM term_mentions ORDER BY term")
got=$(curl -s "$URL/api/v1/poll?window=all" |
    json '"\n".join("%s,%d" % (t["term"], t["count"]) for t in j["terms"])')
[ "$got" = "$want" ] && ok "poll (tracked terms) = term_mentions" ||
    fail "poll = term_mentions" "$got vs $want"

want=$(q "SELECT bucket, posts FROM post_rate_2s LIMIT 3" | sort)
got=$(curl -s "$URL/api/v1/rate?step=2s&window=5m" |
    json '"\n".join("%s,%d" % (p["t"][:19] + "Z", p["count"]) for p in j["points"] if p["count"])' |
    sort | tail -3)
[ "$got" = "$want" ] && ok "rate 2s = post_rate_2s" ||
    fail "rate 2s = post_rate_2s" "$got vs $want"

tag=$(q "SELECT tag FROM top_hashtags_1h LIMIT 1")
want=$(q "SELECT posts FROM top_hashtags_1h WHERE tag = '$tag'")
got=$(curl -s "$URL/api/v1/hashtag/$tag?window=1h" |
    json 'j["count"], len(j["related"]) > 0, len(j["influencers"]) > 0, len(j["posts"]) > 0')
[ "$got" = "$want True True True" ] && ok "hashtag view: count, related, influencers, posts" ||
    fail "hashtag view" "$got (want $want True True True)"

want=$(q "SELECT id FROM posts WHERE deleted = 0 AND referenced = 0 ORDER BY created_at DESC, seq DESC LIMIT 5")
got=$(curl -s "$URL/api/v1/posts?limit=5" | json '"\n".join(p["id"] for p in j["posts"])')
[ "$got" = "$want" ] && ok "posts: newest first" || fail "posts: newest first" "$got"
last=$(curl -s "$URL/api/v1/posts?limit=1" | json 'j["last_id"]')
got=$(curl -s "$URL/api/v1/posts?since=$last" | json 'len(j["posts"])')
[ "$got" = "0" ] && ok "posts: nothing since last_id" || fail "posts since" "$got"
got=$(curl -s "$URL/api/v1/posts?hashtag=%23$tag&limit=3" |
    json 'all("'"$tag"'" in [h.lower() for h in p["hashtags"]] for p in j["posts"]) and len(j["posts"]) == 3')
[ "$got" = "True" ] && ok "posts: ?hashtag=" || fail "posts: ?hashtag=" "$got"

want=$(q "SELECT count(*) FROM posts WHERE lat IS NOT NULL AND deleted = 0 AND referenced = 0")
got=$(curl -s "$URL/api/v1/geo?window=all&limit=5000" | json 'len(j["points"])')
[ "$got" = "$want" ] && ok "geo: every geotagged post" || fail "geo" "$got vs $want"

got=$(curl -s "$URL/api/v1/search?q=vote&limit=3" |
    json 'len(j["results"]), all("vote" in r["post"]["text"].lower() for r in j["results"])')
[ "$got" = "3 True" ] && ok "search (FTS)" || fail "search" "$got"

want=$("$ROOST" query --db "$DB" --format json "SELECT tag, posts FROM top_hashtags_1h LIMIT 4" |
    json 'json.dumps([[r["tag"], r["posts"]] for r in j])')
got=$(curl -s -XPOST "$URL/api/v1/query" -d '{"sql":"SELECT tag, posts FROM top_hashtags_1h","limit":4}' |
    json 'json.dumps(j["rows"]), j["truncated"], j["columns"]')
[ "$got" = "$want True ['tag', 'posts']" ] && ok "POST query = roost query, truncated" ||
    fail "POST query" "$got vs $want"

# ---- bad requests ------------------------------------------------------------------
# status URL [curl args...]: prints "CODE has-error-json"
status() {
    local u=$1
    shift
    curl -s -o "$TMP/body" -w '%{http_code}' "$@" "$URL$u"
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(" json" if j.get("error") else " nojson")' \
        "$TMP/body" 2>/dev/null || echo " nojson"
}
check_status() {
    local name=$1 want=$2
    shift 2
    local got
    got=$(status "$@" | tr -d '\n')
    [ "$got" = "$want json" ] && ok "$name" || fail "$name" "got '$got', want $want"
}
check_status "unknown window: 400" 400 "/api/v1/top/hashtags?window=2h"
check_status "unknown top kind: 400" 400 "/api/v1/top/nonsense"
check_status "limit 0: 400" 400 "/api/v1/posts?limit=0"
check_status "limit over max: 400" 400 "/api/v1/posts?limit=501"
check_status "limit not a number: 400" 400 "/api/v1/top/words?limit=ten"
check_status "bad step: 400" 400 "/api/v1/rate?step=2x"
check_status "missing q: 400" 400 "/api/v1/search"
check_status "malformed JSON body: 400" 400 "/api/v1/query" -XPOST -d '{"sql":'
check_status "missing sql: 400" 400 "/api/v1/query" -XPOST -d '{"limit":3}'
check_status "query limit over max: 400" 400 "/api/v1/query" -XPOST -d '{"sql":"SELECT 1","limit":10001}'
check_status "unknown path: 404" 404 "/api/v1/nothing"
check_status "unknown query name: 404" 404 "/api/v1/queries/none"
check_status "GET on POST route: 405" 405 "/api/v1/query"
head -c 200000 /dev/zero | tr '\0' x >"$TMP/big"
check_status "oversize body: 413" 413 "/api/v1/query" -XPOST --data-binary "@$TMP/big"

for path in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc%2fpasswd \
    "/api/v1/hashtag/..%2f..%2fetc%2fpasswd"; do
    body=$(curl -s --path-as-is "$URL$path")
    case $body in
    *root:*) fail "traversal $path" "leaked /etc/passwd" ;;
    *) ok "traversal $path: nothing leaked" ;;
    esac
done

# ---- the SQL endpoint cannot write ---------------------------------------------------
before=$(sha256sum "$DB" | cut -d' ' -f1)
n_before=$(q "SELECT count(*) FROM posts")
for sql in "DELETE FROM posts" "DROP TABLE posts" "UPDATE posts SET text = 'x'" \
    "INSERT INTO tracked_terms VALUES ('x')" "ATTACH DATABASE '$TMP/x.db' AS x" \
    "PRAGMA query_only = 0" "CREATE TABLE t (x)" "SELECT 1; DELETE FROM posts"; do
    body=$(python3 -c 'import json,sys; print(json.dumps({"sql": sys.argv[1]}))' "$sql")
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' -XPOST "$URL/api/v1/query" -d "$body")
    if [ "$code" = 400 ] && grep -q '"error"' "$TMP/body"; then
        ok "write refused: $sql"
    else
        fail "write refused: $sql" "$code $(head -c 200 "$TMP/body")"
    fi
done
after=$(sha256sum "$DB" | cut -d' ' -f1)
[ "$before" = "$after" ] && [ "$(q "SELECT count(*) FROM posts")" = "$n_before" ] &&
    ok "store unchanged after write attempts" || fail "store unchanged" "file changed"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -XPOST "$URL/api/v1/query" \
    -d '{"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"}')
[ "$code" = 400 ] && grep -q 'time limit' "$TMP/body" && ok "runaway query stopped by the time limit" ||
    fail "time limit" "$code $(head -c 200 "$TMP/body")"

# ---- 300 SSE clients while collect fills a live store ---------------------------------
LIVE="$TMP/live.db"
"$ROOST" collect --source "simulate?speed=1x&rate=300&seed=9" --archive "$TMP/arch" \
    --sink "sqlite:$LIVE" --quiet >"$TMP/collect.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do
    [ -s "$LIVE" ] && "$ROOST" query --db "$LIVE" "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.1
done
serve "$LIVE" "$TMP/serve2.log"
if [ -z "$URL" ]; then
    fail "serve on a live store" "$(head -c 300 "$TMP/serve2.log") $(head -c 300 "$TMP/collect.log")"
else
    python3 "$TOP/tests/integration/sse_clients.py" "$URL" 300 10 >"$TMP/sse.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        ok "300 SSE clients keep receiving updates: $(tail -1 "$TMP/sse.out")"
    else
        fail "300 SSE clients" "$(tail -3 "$TMP/sse.out")"
    fi
    got=$(curl -s "$URL/metrics" | awk '$1 == "roost_sse_dropped_total" {print $2}')
    [ "$got" = "0" ] && ok "no SSE client dropped" || fail "SSE drops" "$got"
fi

finish
