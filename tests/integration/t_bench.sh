#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_bench.sh - the benchmark harness still runs and its peers still agree:
# bench/run on the 2k smoke corpus, one round, roost against the Python
# peer (always here) and jq (when installed; the harness installs nothing
# for tools it is not asked to run). Timings are not checked: performance
# lives in bench/, never in a test.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then
    skip bench "python3 not installed (the peer every task has)"
    finish
    exit $?
fi
tools=roost,roost-full,roost-mt,python
command -v jq >/dev/null && tools=$tools,jq

export ROOST_BENCH_OUT="$TMP/bench"
for format in v1 v2 jetstream; do
    if ! "$TOP/bench/run" --size 2k --rounds 1 --format "$format" \
        --roost "$ROOST" --tools "$tools" >"$TMP/$format.md" \
        2>"$TMP/$format.err"; then
        fail "bench $format: runs" "$(tail -c 300 "$TMP/$format.err")"
        continue
    fi
    ok "bench $format: runs"
    # Every task has a roost row; T4 and T5 are roost's alone.
    missing=""
    for task in T0 T1 T2 T3 T4 T5; do
        grep -q "^| $task | roost | [0-9]" "$TMP/$format.md" || missing="$missing $task"
    done
    if [ -z "$missing" ]; then
        ok "bench $format: a roost row per task"
    else
        fail "bench $format: a roost row per task" "no row for$missing"
    fi
    for task in T0 T1 T2 T3; do
        if grep -q "^| $task | python | [0-9].* | same |$" "$TMP/$format.md"; then
            ok "bench $format: python $task gives roost's answer"
        else
            fail "bench $format: python $task gives roost's answer" \
                "$(grep "$task | python\|$task python" "$TMP/$format.md" | head -3)"
        fi
    done
    if grep -q "DIFFERS\|failed:" "$TMP/$format.md"; then
        fail "bench $format: every tool agrees" \
            "$(grep "DIFFERS\|failed:" "$TMP/$format.md" | head -3)"
    else
        ok "bench $format: every tool agrees"
    fi
done
# Corpora are compared across machines by their SHA-256: building one
# again, elsewhere, must give the same bytes.
if ROOST_BENCH_OUT="$TMP/again" "$TOP/bench/corpus" --size 2k --format v1 \
    --roost "$ROOST" >/dev/null 2>&1 &&
    cmp -s "$TMP/bench/corpus-v1-2k.jsonl" "$TMP/again/corpus-v1-2k.jsonl" &&
    cmp -s "$TMP/bench/corpus-v1-2k.jsonl.sha256" \
        "$TMP/again/corpus-v1-2k.jsonl.sha256"; then
    ok "bench: the corpus is the same when built again"
else
    fail "bench: the corpus is the same when built again" \
        "$(ls -l "$TMP/bench" "$TMP/again" 2>&1 | head -5)"
fi
finish
