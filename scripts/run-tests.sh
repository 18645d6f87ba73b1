#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-tests.sh - run every test of a build and print one closing line.
#
# Usage: scripts/run-tests.sh BUILD_DIR
# Runs each unit test binary (its own process; each test inside forks),
# each fuzz replay over its corpus and regressions, and each integration
# script against the real binary. Logs go to BUILD_DIR/test-logs/. The last
# line is "N passed, N failed[, N skipped]", which CI reads.
set -u

build=${1:?usage: run-tests.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
logs="$build/test-logs"
rm -rf "$logs"
mkdir -p "$logs"

if [ -z "${ROOST_SHARED_DATA:-}" ] && [ -d "$top/../shared/data" ]; then
    ROOST_SHARED_DATA=$(cd "$top/../shared/data" && pwd)
fi
export ROOST_SHARED_DATA=${ROOST_SHARED_DATA:-}
[ -n "$ROOST_SHARED_DATA" ] ||
    echo "SKIP shared data: ../shared/data not found; data-driven tests skip"
export ROOST_BIN="$build/roost"
export ROOST_TOP="$top"
export ROOST_TEST_TMP="$build/test-tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$ROOST_TEST_TMP"

passed=0
failed=0
skipped=0
failed_names=()

# add_counts LOG NAME: read the closing line of one runner's log.
add_counts() {
    local log=$1 name=$2 rc=$3 line p f s
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $name: no summary line (exit $rc)"
        tail -n 20 "$log" | sed 's/^/    /'
        failed=$((failed + 1))
        failed_names+=("$name")
        return
    fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + ${s:-0}))
    if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
        if [ "$f" -eq 0 ]; then
            failed=$((failed + 1)) # crashed after its summary
        fi
        failed_names+=("$name")
        echo "FAIL $name ($line, exit $rc)"
        grep -E '^(FAIL|ERROR|==[0-9]+==|.*runtime error)' "$log" | head -20 |
            sed 's/^/    /'
    else
        printf '%-28s %s\n' "$name" "$line"
    fi
    # Surface SKIPs and reported figures (lines with a colon-tagged count).
    grep -E '^(SKIP|skip |info:)' "$log" | sed 's/^/    /'
}

echo "== unit tests"
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    (cd "$ROOST_TEST_TMP" && timeout 300 "$t") >"$logs/$name.log" 2>&1
    add_counts "$logs/$name.log" "$name" $?
done

echo "== fuzz corpus replay"
for t in "$build"/fuzz/*_replay; do
    [ -x "$t" ] || continue
    name=$(basename "$t" _replay)
    target=${name#fuzz_}
    timeout 300 "$t" "$top/tests/fuzz/corpus/$target" \
        "$top/tests/fuzz/regress/$target" >"$logs/$name.log" 2>&1
    add_counts "$logs/$name.log" "$name" $?
done

echo "== integration tests"
for t in "$top"/tests/integration/t_*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    timeout 900 bash "$t" >"$logs/$name.log" 2>&1
    add_counts "$logs/$name.log" "$name" $?
done

echo
if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]} (logs in $logs)"
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
