# SPDX-License-Identifier: MIT
#
# lib.sh - helpers for integration tests: each test script sources this,
# calls `ok NAME` / `fail NAME WHY` / `skip NAME WHY` per check, and ends
# with `finish`, which prints the closing "N passed, N failed" line.

ROOST=${ROOST_BIN:?ROOST_BIN must point at the roost binary}
TOP=${ROOST_TOP:?ROOST_TOP must point at the source tree}
DATA=${ROOST_SHARED_DATA:-}
TMP=$(mktemp -d "${ROOST_TEST_TMP:-/tmp}/it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

n_pass=0
n_fail=0
n_skip=0

ok() {
    echo "ok $1"
    n_pass=$((n_pass + 1))
}

fail() {
    echo "FAIL $1: $2"
    n_fail=$((n_fail + 1))
}

skip() {
    echo "SKIP $1: $2"
    n_skip=$((n_skip + 1))
}

# expect NAME CMD...: the command must succeed.
expect() {
    local name=$1
    shift
    if "$@" >"$TMP/out" 2>"$TMP/err"; then
        ok "$name"
    else
        fail "$name" "exit $?: $(head -c 300 "$TMP/err")"
    fi
}

# expect_exit NAME CODE CMD...: the command must exit with CODE.
expect_exit() {
    local name=$1 code=$2 rc
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -eq "$code" ]; then
        ok "$name"
    else
        fail "$name" "exit $rc, wanted $code: $(head -c 300 "$TMP/err")"
    fi
}

need_data() {
    if [ -z "$DATA" ] || [ ! -e "$DATA/$1" ]; then
        skip "$2" "shared data $1 not found (ROOST_SHARED_DATA=${DATA:-unset})"
        return 1
    fi
    return 0
}

finish() {
    if [ "$n_skip" -gt 0 ]; then
        echo "$n_pass passed, $n_fail failed, $n_skip skipped"
    else
        echo "$n_pass passed, $n_fail failed"
    fi
    [ "$n_fail" -eq 0 ]
}
