#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_shared_corpora.sh - `roost normalize` over every file of ../shared/data
# that holds posts reproduces each post's delivered hashtags, mentions and
# URLs exactly, with ids equal to id_str. The expected values come from an
# independent reader (oracle_entities.py, Python's json module).
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then
    skip "shared corpora" "python3 not installed (scripts/deps.sh installs it)"
    finish
    exit $?
fi
if [ -z "$DATA" ] || [ ! -d "$DATA" ]; then
    skip "shared corpora" "ROOST_SHARED_DATA not set or missing"
    finish
    exit $?
fi

oracle="$(dirname "$0")/oracle_entities.py"

run() { # FORMAT FILE
    local fmt=$1 f=$2 name
    name=${f#"$DATA"/}
    if "$ROOST" normalize "$f" >"$TMP/got" 2>"$TMP/err" &&
        python3 "$oracle" "$fmt" "$f" "$TMP/got" >"$TMP/or" 2>&1; then
        ok "$name"
        sed 's/^/    /' "$TMP/or" | tail -n 1
    else
        fail "$name" "$(cat "$TMP/or" "$TMP/err" | head -c 1500)"
    fi
}

for f in "$DATA"/tweets-corpus-*/*.jsonl \
    "$DATA"/twitter-v1-stream-samples/python-twitter/*.json* \
    "$DATA"/twitter-v1-stream-samples/tweet_parser/public_api_sample.jsonl \
    "$DATA"/twitter-v1-stream-samples/tweet_parser/original_format_examples.jsonl \
    "$DATA"/twitter-v1-stream-samples/hbc/status.json \
    "$DATA"/twitter-v1-search-sample/*.json; do
    [ -f "$f" ] && run v1 "$f"
done
for f in "$DATA"/twitter-v2-samples/*/*.json; do
    case "$f" in */INDEX.json) continue ;; esac
    grep -q '"data"' "$f" || continue
    run v2 "$f"
done
for f in "$DATA"/bluesky-jetstream-samples/jetstream/*.jsonl; do
    [ -f "$f" ] && run jetstream "$f"
done
for f in "$DATA"/mastodon-samples/rest-*/*.json; do
    grep -q '"content"' "$f" || continue
    run mastodon "$f"
done
for f in "$DATA"/mastodon-samples/streaming-sse/*; do
    [ -f "$f" ] || continue
    grep -q '^event: update' "$f" || continue
    run mastodon-sse "$f"
done
finish
