#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_jsontestsuite.sh - `roost check --json-only` over the whole of
# JSONTestSuite's test_parsing: every y_ accepted (exit 0), every n_
# rejected (exit 1), and i_ files never crash (exit 0 or 1).
. "$(dirname "$0")/lib.sh"

dir=json-test-suite/test_parsing
if need_data "$dir" "jsontestsuite cli"; then
    y_ok=0 y_n=0 n_ok=0 n_n=0 i_acc=0 i_rej=0 bad=0
    for f in "$DATA/$dir"/*.json; do
        b=$(basename "$f")
        timeout 10 "$ROOST" check --json-only "$f" >/dev/null 2>&1
        rc=$?
        case "$b" in
        y_*)
            y_n=$((y_n + 1))
            [ $rc -eq 0 ] && y_ok=$((y_ok + 1)) || { echo "  y rejected: $b ($rc)"; }
            ;;
        n_*)
            n_n=$((n_n + 1))
            [ $rc -eq 1 ] && n_ok=$((n_ok + 1)) || { echo "  n accepted: $b ($rc)"; }
            ;;
        i_*)
            case $rc in
            0) i_acc=$((i_acc + 1)) ;;
            1) i_rej=$((i_rej + 1)) ;;
            *)
                bad=$((bad + 1))
                echo "  i crashed: $b ($rc)"
                ;;
            esac
            ;;
        esac
    done
    echo "info: jsontestsuite (cli): y accepted $y_ok/$y_n, n rejected $n_ok/$n_n, i accepted $i_acc rejected $i_rej"
    [ $y_ok -eq $y_n ] && [ $y_n -gt 0 ] && ok "all y_ accepted" || fail "all y_ accepted" "$y_ok/$y_n"
    [ $n_ok -eq $n_n ] && [ $n_n -gt 0 ] && ok "all n_ rejected" || fail "all n_ rejected" "$n_ok/$n_n"
    [ $bad -eq 0 ] && ok "no i_ crash" || fail "no i_ crash" "$bad crashed"
fi
finish
