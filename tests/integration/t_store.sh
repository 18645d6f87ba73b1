#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_store.sh - the SQLite store end to end: ingest the shared corpora with
# `--sink sqlite:DB`, then check the store against an independent reader
# (Python's json module over `roost normalize --control`): row counts,
# every documented view, FTS, stream deletes (also one that arrives before
# its post), idempotent re-ingest, CSV/JSONL export round trips, and that
# `roost query` cannot write.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then
    skip "store" "python3 not installed (scripts/deps.sh installs it)"
    finish
    exit $?
fi
if [ -z "$DATA" ] || [ ! -d "$DATA" ]; then
    skip "store: shared corpora" "ROOST_SHARED_DATA not set or missing"
    finish
    exit $?
fi

DB="$TMP/roost.db"
TERMS="vaccine,trump,happy new year"

# ---- the corpora --------------------------------------------------------------
files=()
for f in "$DATA"/tweets-corpus-*/*.jsonl \
    "$DATA"/twitter-v1-stream-samples/python-twitter/*.json* \
    "$DATA"/twitter-v1-stream-samples/tweet_parser/public_api_sample.jsonl \
    "$DATA"/twitter-v1-stream-samples/tweet_parser/original_format_examples.jsonl \
    "$DATA"/twitter-v1-stream-samples/hbc/status.json \
    "$DATA"/twitter-v1-stream-samples/hbc/status-deletion.json \
    "$DATA"/twitter-v1-search-sample/*.json \
    "$DATA"/bluesky-jetstream-samples/jetstream/*.jsonl; do
    [ -f "$f" ] && files+=("$f")
done
for f in "$DATA"/twitter-v2-samples/*/*.json; do
    case "$f" in */INDEX.json) continue ;; esac
    grep -q '"data"' "$f" && files+=("$f")
done
for f in "$DATA"/mastodon-samples/rest-*/*.json; do
    grep -q '"content"' "$f" && files+=("$f")
done
if [ ${#files[@]} -eq 0 ]; then
    skip "store: shared corpora" "no corpus files under $DATA"
    finish
    exit $?
fi

# ingest_each DB [SPEC-OPTIONS]: one file per run, in order, so "the first
# copy of a post wins" means the same for the store and the oracle (ingest
# reads its files concurrently).
ingest_each() {
    local db=$1 opts=${2:-} f
    for f in "${files[@]}"; do
        "$ROOST" ingest --sink "sqlite:$db$opts" "$f" \
            >>"$TMP/ingest.out" 2>>"$TMP/ingest.err" || return 1
    done
}

# ingest_all DB [SPEC-OPTIONS]: every file, at most 60 per run.
ingest_all() {
    local db=$1 opts=${2:-} i
    for ((i = 0; i < ${#files[@]}; i += 60)); do
        "$ROOST" ingest --sink "sqlite:$db$opts" "${files[@]:i:60}" \
            >>"$TMP/ingest.out" 2>>"$TMP/ingest.err" || return 1
    done
}

"$ROOST" normalize --control "${files[@]}" >"$TMP/norm.jsonl" 2>/dev/null
if ingest_each "$DB" "?terms=$(echo "$TERMS" | sed 's/ /%20/g')"; then
    ok "ingest ${#files[@]} corpus files into sqlite"
else
    fail "ingest into sqlite" "$(tail -3 "$TMP/ingest.err")"
fi
[ -s "$TMP/ingest.out" ] && fail "ingest with --sink prints no JSON" \
    "$(head -c 200 "$TMP/ingest.out")" || ok "ingest with --sink prints no JSON"

# q SQL: one JSON line per row.
q() { "$ROOST" query --db "$DB" --format jsonl "$1"; }

# ---- the independent reader ----------------------------------------------------
cat >"$TMP/oracle.py" <<'EOF'
import json, sys
from datetime import datetime, timezone

def ms(iso):
    if iso is None:
        return None
    d = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=timezone.utc).timestamp() * 1000 + 0.5)

posts, order, deletes = {}, [], set()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if "control" in r:
        if r["control"] == "delete" and r["post_id"]:
            deletes.add(r["post_id"])
        continue
    p = posts.get(r["id"])
    if p is None:
        r["ms"] = ms(r["created_at"])
        posts[r["id"]] = r
        order.append(r["id"])
    elif not r["referenced"]:
        p["referenced"] = False

terms = sys.argv[2].split(",")
live = [posts[i] for i in order if i not in deletes and not posts[i]["referenced"]]
newest = max(p["ms"] for p in posts.values() if p["ms"] is not None)

def fold_cp(c):
    # roost's documented simple folding (parse/tokenize.h): ASCII,
    # Latin-1, Latin Extended-A, Greek and Cyrillic capitals only.
    if c < 0x80:
        return c + 32 if 65 <= c <= 90 else c
    if 0xC0 <= c <= 0xDE and c != 0xD7:
        return c + 32
    if 0x100 <= c <= 0x17F:
        if 0x139 <= c <= 0x148 or 0x179 <= c <= 0x17E:
            return c + 1 if c & 1 else c
        if c in (0x130, 0x131, 0x138, 0x149, 0x17F):
            return c
        return c if c & 1 else c + 1
    if 0x391 <= c <= 0x3AB and c != 0x3A2:
        return c + 32
    if 0x410 <= c <= 0x42F:
        return c + 32
    if 0x400 <= c <= 0x40F:
        return c + 80
    return c

def fold(s):
    return "".join(chr(fold_cp(ord(ch))) for ch in s)

def tagsets(p):
    return sorted({fold(t) for t in p["hashtags"]})

def top(rows, key):
    return sorted(rows, key=key)

out = {}
out["counts"] = {
    "posts": len(posts),
    "hashtags": sum(len(posts[i]["hashtags"]) for i in order),
    "mentions": sum(len(posts[i]["mentions"]) for i in order),
    "deleted": sum(1 for i in order if i in deletes),
    "live": len([i for i in order if i not in deletes]),
}
out["live_posts"] = [p["id"] for p in sorted(
    (p for p in live if p["ms"] is not None and p["ms"] >= newest - 60000),
    key=lambda p: (-p["ms"], p["id"]))]
n = {}
for p in live:
    if p["ms"] is not None and p["ms"] >= newest - 3600000:
        for t in tagsets(p):
            n[t] = n.get(t, 0) + 1
out["top_hashtags_1h"] = [[t, c] for t, c in sorted(n.items(), key=lambda x: (-x[1], x[0]))]
b = {}
for p in live:
    if p["ms"] is not None:
        b[p["ms"] // 2000] = b.get(p["ms"] // 2000, 0) + 1
out["post_rate_2s"] = [[k * 2, c] for k, c in sorted(b.items(), reverse=True)]
tagn = {}
for p in live:
    for t in tagsets(p):
        tagn[t] = tagn.get(t, 0) + 1
tag = sorted(tagn.items(), key=lambda x: (-x[1], x[0]))[0][0]
out["tag"] = tag
inf = {}
for p in live:
    if tag in tagsets(p) and p["author"]["id"] is not None:
        a = inf.setdefault(p["author"]["id"], [None, 0])
        f = p["author"]["followers"]
        if f is not None and (a[0] is None or f > a[0]):
            a[0] = f
        a[1] += 1
out["hashtag_influencers"] = [[k, v[0], v[1]] for k, v in sorted(
    inf.items(), key=lambda x: (x[1][0] is None, -(x[1][0] or 0), x[0]))]
rel = {}
for p in live:
    ts = tagsets(p)
    if tag in ts:
        for t in ts:
            if t != tag:
                rel[t] = rel.get(t, 0) + 1
out["related_hashtags"] = [[t, c] for t, c in sorted(rel.items(), key=lambda x: (-x[1], x[0]))]
per = {}
for p in live:
    if p["author"]["id"] is not None:
        per[p["author"]["id"]] = per.get(p["author"]["id"], 0) + 1
out["posts_per_user"] = [[k, c] for k, c in sorted(per.items(), key=lambda x: (-x[1], x[0]))]
tm = [[t, sum(1 for p in live if t.lower() in p["text"].lower())] for t in terms]
out["term_mentions"] = sorted(tm, key=lambda x: (-x[1], x[0]))
out["live_ids"] = [i for i in order if i not in deletes]
json.dump(out, sys.stdout)
EOF
# want KEY: the oracle's value as one JSON text.
want() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$TMP/want.json" "$1"; }

# check NAME KEY SQL PYEXPR: rows of SQL (as dicts r) mapped by PYEXPR must
# equal the oracle's KEY.
check() {
    local name=$1 key=$2 sql=$3 expr=$4 got exp
    got=$(q "$sql" | python3 -c "import json,sys
rows=[json.loads(l) for l in sys.stdin]
print(json.dumps([$expr for r in rows]))" 2>&1)
    exp=$(want "$key")
    if [ "$got" = "$exp" ]; then
        ok "$name"
    else
        fail "$name" "got $(echo "$got" | head -c 400) want $(echo "$exp" | head -c 400)"
    fi
}

# ---- counts equal normalize ---------------------------------------------------------
counts() {
    q "SELECT (SELECT count(*) FROM posts) AS posts,
              (SELECT count(*) FROM hashtags) AS hashtags,
              (SELECT count(*) FROM mentions) AS mentions,
              (SELECT count(*) FROM posts WHERE deleted = 1) AS deleted,
              (SELECT count(*) FROM posts WHERE deleted = 0) AS live"
}
counts_check() {
    local got exp
    got=$(counts | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())))')
exp=$(want counts)
if [ "$got" = "$exp" ]; then
    ok "posts, hashtags, mentions, deletes equal normalize's ($1: $exp)"
else
    fail "counts equal normalize ($1)" "store $got, normalize $exp"
fi
}

# views DB NORM LABEL: every documented view of DB against the oracle.
views() {
    local DB=$1 label=$3
    python3 "$TMP/oracle.py" "$2" "$TERMS" >"$TMP/want.json" ||
        fail "oracle ($label)" "python reader failed"
    counts_check "$label"
    check "live_posts: the last minute before the newest post ($label)" \
        live_posts "SELECT id FROM live_posts" 'r["id"]'
    check "top_hashtags_1h ($label)" top_hashtags_1h \
        "SELECT * FROM top_hashtags_1h" '[r["tag"], r["posts"]]'
    check "post_rate_2s ($label)" post_rate_2s \
        "SELECT * FROM post_rate_2s" \
        '[int(__import__("calendar").timegm(__import__("time").strptime(r["bucket"], "%Y-%m-%dT%H:%M:%SZ"))), r["posts"]]'
    local tag
    tag=$(want tag | python3 -c 'import json,sys; print(json.load(sys.stdin))')
    check "hashtag_influencers for #$tag ($label)" hashtag_influencers \
        "SELECT * FROM hashtag_influencers WHERE tag = '$tag'" \
        '[r["author_id"], r["followers"], r["posts"]]'
    check "related_hashtags for #$tag ($label)" related_hashtags \
        "SELECT related, posts FROM related_hashtags WHERE tag = '$tag'" \
        '[r["related"], r["posts"]]'
    check "posts_per_user ($label)" posts_per_user \
        "SELECT * FROM posts_per_user" '[r["author_id"], r["posts"]]'
    check "term_mentions, terms= option ($label)" term_mentions \
        "SELECT * FROM term_mentions" '[r["term"], r["posts"]]'
}

# One stream over one time range, where every window has rows; then all
# corpora together (the newest post is a 2023 Bluesky one: the windows
# hold few rows, as documented).
covid=$(ls "$DATA"/tweets-corpus-covid-analysis/*.jsonl | head -1)
"$ROOST" normalize --control "$covid" >"$TMP/norm-covid.jsonl" 2>/dev/null
"$ROOST" ingest --sink "sqlite:$TMP/covid.db?terms=$(echo "$TERMS" | sed 's/ /%20/g')" \
    "$covid" 2>>"$TMP/ingest.err"
views "$TMP/covid.db" "$TMP/norm-covid.jsonl" "covid stream"
views "$DB" "$TMP/norm.jsonl" "all corpora"
got=$("$ROOST" query --db "$DB" 'SELECT * FROM posts_per_user' 2>&1)
if echo "$got" | head -1 | grep -q '^+-' && echo "$got" | grep -q 'only showing top 20 rows'; then
    ok "table output like show()"
else
    fail "table output like show()" "$(echo "$got" | head -5)"
fi

# ---- full-text search --------------------------------------------------------------------
"$ROOST" search --db "$DB" --format jsonl --limit 100000 '"happy new year"' >"$TMP/s1" 2>"$TMP/s1.err"
n_hit=$(wc -l <"$TMP/s1")
bad=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "[" not in r["snippet"] or "happy" not in r["snippet"].lower():
        print(r["id"]); break' "$TMP/s1")
if [ "$n_hit" -gt 0 ] && [ -z "$bad" ]; then
    ok "search finds a phrase ($n_hit hits, highlighted)"
else
    fail "search finds a phrase" "$n_hit hits, bad $bad: $(cat "$TMP/s1.err")"
fi
victim=$(head -1 "$TMP/s1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["id"])')

# ---- a stream delete removes the post from search and views ------------------------------
printf '{"delete":{"status":{"id":%s,"id_str":"%s","user_id":1,"user_id_str":"1"},"timestamp_ms":"1609486200000"}}\n' \
    "$victim" "$victim" >"$TMP/del.jsonl"
"$ROOST" ingest --sink "sqlite:$DB" "$TMP/del.jsonl" 2>>"$TMP/ingest.err"
"$ROOST" search --db "$DB" --format jsonl --limit 100000 '"happy new year"' >"$TMP/s2"
if grep -q "\"$victim\"" "$TMP/s2"; then
    fail "a stream delete removes the post from search" "$victim still found"
elif [ "$(q "SELECT deleted FROM posts WHERE id = '$victim'")" = '{"deleted":1}' ] &&
    [ "$(wc -l <"$TMP/s2")" -eq $((n_hit - 1)) ]; then
    ok "a stream delete removes the post from search"
else
    fail "a stream delete" "$(q "SELECT deleted FROM posts WHERE id = '$victim'"), $(wc -l <"$TMP/s2") hits"
fi

# A delete that arrives before its post still wins.
cat >"$TMP/early.jsonl" <<'EOF'
{"delete":{"status":{"id":999000000000000001,"id_str":"999000000000000001","user_id":7,"user_id_str":"7"},"timestamp_ms":"1609486200000"}}
EOF
cat >"$TMP/late.jsonl" <<'EOF'
{"created_at":"Fri Jan 01 07:30:00 +0000 2021","id":999000000000000001,"id_str":"999000000000000001","text":"zyzzyva early tombstone #roosttest","user":{"id":7,"id_str":"7","screen_name":"roost_t","name":"t","followers_count":1},"entities":{"hashtags":[{"text":"roosttest","indices":[24,34]}],"user_mentions":[],"urls":[]},"lang":"en"}
EOF
"$ROOST" ingest --sink "sqlite:$DB" "$TMP/early.jsonl" 2>>"$TMP/ingest.err"
"$ROOST" ingest --sink "sqlite:$DB" "$TMP/late.jsonl" 2>>"$TMP/ingest.err"
hits=$("$ROOST" search --db "$DB" --format jsonl zyzzyva | wc -l)
if [ "$(q "SELECT deleted FROM posts WHERE id = '999000000000000001'")" = '{"deleted":1}' ] &&
    [ "$hits" -eq 0 ]; then
    ok "a delete before its post: stored deleted, never searchable"
else
    fail "a delete before its post" "$(q "SELECT deleted FROM posts WHERE id = '999000000000000001'") hits=$hits"
fi

# ---- idempotent re-ingest ---------------------------------------------------------------------
snapshot() {
    q "SELECT (SELECT count(*) FROM posts) p, (SELECT count(*) FROM hashtags) h,
              (SELECT count(*) FROM mentions) m, (SELECT count(*) FROM urls) u,
              (SELECT count(*) FROM media) md, (SELECT count(*) FROM post_refs) r,
              (SELECT count(*) FROM authors) a, (SELECT count(*) FROM control_events) c,
              (SELECT count(*) FROM posts_fts) f"
}
before=$(snapshot)
ingest_all "$DB"
"$ROOST" ingest --sink "sqlite:$DB" "$TMP/del.jsonl" "$TMP/early.jsonl" "$TMP/late.jsonl" 2>>"$TMP/ingest.err"
after=$(snapshot)
if [ "$before" = "$after" ]; then
    ok "re-ingesting the same files adds no rows"
else
    fail "re-ingest is idempotent" "before $before after $after"
fi

# ---- export round trips -------------------------------------------------------------------------
q "SELECT id FROM posts WHERE deleted = 0 ORDER BY seq" |
    python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in sys.stdin]' >"$TMP/ids.want"
"$ROOST" export --db "$DB" --format csv --out "$TMP/posts.csv" 2>"$TMP/exp.err"
python3 -c 'import csv,sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    print(r["id"])' "$TMP/posts.csv" >"$TMP/ids.csv" 2>"$TMP/csv.err"
if cmp -s "$TMP/ids.want" "$TMP/ids.csv" && [ -s "$TMP/ids.csv" ]; then
    ok "export csv round-trips through python csv ($(wc -l <"$TMP/ids.csv") rows, ids)"
else
    fail "export csv round trip" "$(wc -l <"$TMP/ids.want") vs $(wc -l <"$TMP/ids.csv"): $(cat "$TMP/csv.err" "$TMP/exp.err" | head -c 300)"
fi
hdr=$(head -1 "$TMP/posts.csv")
want_hdr=$(sed -n 's/^ *X(\([a-z_]*\)).*/\1/p' "$TOP/src/store/csv_columns.h" | paste -sd,)
[ "$hdr" = "$want_hdr" ] && ok "csv header is the stable column list" ||
    fail "csv header" "$hdr"
"$ROOST" export --db "$DB" --format jsonl --out "$TMP/posts.jsonl" 2>>"$TMP/exp.err"
python3 -c 'import json,sys
norm = {}
for l in open(sys.argv[2], encoding="utf-8"):
    r = json.loads(l)
    if "control" not in r and r["id"] not in norm:
        norm[r["id"]] = r
keys = ["text", "created_at", "lang", "hashtags", "mentions", "urls", "refs", "counts", "geo", "platform", "format"]
n = 0
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    n += 1
    o = norm.get(r["id"])
    if o is None:
        continue
    for k in keys:
        if r[k] != o[k]:
            sys.exit("post %s: %s differs: %r vs %r" % (r["id"], k, r[k], o[k]))
    if list(r.keys()) != list(o.keys())[:len(r.keys())] and set(r.keys()) != set(o.keys()):
        sys.exit("post %s: keys %s" % (r["id"], list(r.keys())))
print(n)' "$TMP/posts.jsonl" "$TMP/norm.jsonl" >"$TMP/jl.out" 2>&1
if [ "$(cat "$TMP/jl.out")" = "$(wc -l <"$TMP/ids.want")" ]; then
    ok "export jsonl: post-model fields equal normalize's"
else
    fail "export jsonl" "$(head -c 400 "$TMP/jl.out")"
fi
"$ROOST" export --db "$DB" --format jsonl --flatten >"$TMP/flat.jsonl" 2>>"$TMP/exp.err"
if python3 -c 'import json,sys
n = 0
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    assert not r["referenced"]
    rp = r["referenced_posts"]
    for k in ("retweet_of", "quote_of"):
        if rp[k] is not None:
            assert rp[k]["id"] == r["refs"][k], r["id"]
            n += 1
assert n > 0' "$TMP/flat.jsonl" 2>"$TMP/flat.err"; then
    ok "export --flatten inlines referenced posts"
else
    fail "export --flatten" "$(tail -2 "$TMP/flat.err")"
fi

# ---- roost query cannot write ---------------------------------------------------------------------
sum_before=$(sha256sum "$DB" | cut -d' ' -f1)
rows_before=$(snapshot)
refused=0
for sql in "DELETE FROM posts" "UPDATE posts SET text = ''" "DROP TABLE posts" \
    "CREATE TABLE x (a)" "INSERT INTO tracked_terms VALUES ('x')" \
    "PRAGMA user_version = 99" "PRAGMA journal_mode = DELETE" \
    "ATTACH '$TMP/other.db' AS o" "VACUUM"; do
    if "$ROOST" query --db "$DB" "$sql" >/dev/null 2>"$TMP/w.err"; then
        fail "write refused: $sql" "exit 0"
    elif ! grep -qi 'read-only\|not authorized\|readonly' "$TMP/w.err"; then
        fail "write refused clearly: $sql" "$(cat "$TMP/w.err")"
    else
        refused=$((refused + 1))
    fi
done
if [ "$refused" -eq 9 ] && [ "$sum_before" = "$(sha256sum "$DB" | cut -d' ' -f1)" ] &&
    [ "$rows_before" = "$(snapshot)" ] && [ ! -e "$TMP/other.db" ]; then
    ok "writes through roost query fail clearly and change nothing"
else
    fail "writes through roost query change nothing" "$refused refused"
fi
expect_exit "query on a missing store fails" 1 "$ROOST" query --db "$TMP/none.db" "SELECT 1"
[ ! -e "$TMP/none.db" ] && ok "query never creates a store" || fail "query never creates a store" "created"

# ---- a store without FTS, then FTS added later ----------------------------------------------------
"$ROOST" ingest --sink "sqlite:$TMP/nofts.db?fts=false" "${files[0]}" 2>>"$TMP/ingest.err"
expect_exit "search without FTS fails clearly" 1 "$ROOST" search --db "$TMP/nofts.db" vaccine
"$ROOST" ingest --sink "sqlite:$TMP/nofts.db" "${files[0]}" 2>>"$TMP/ingest.err"
n=$("$ROOST" search --db "$TMP/nofts.db" --format jsonl --limit 5 vaccine 2>/dev/null | wc -l)
[ "$n" -gt 0 ] && ok "fts=true on an existing store builds the index" ||
    fail "fts added later" "$n hits"

finish
