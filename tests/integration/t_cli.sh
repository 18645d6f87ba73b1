#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_cli.sh - the command line: version, help, usage errors, exit codes.
. "$(dirname "$0")/lib.sh"

expect "version" "$ROOST" --version
grep -qE '^roost [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out" && ok "version format" ||
    fail "version format" "$(cat "$TMP/out")"
expect "help overview" "$ROOST" help
grep -q normalize "$TMP/out" && ok "help lists normalize" ||
    fail "help lists normalize" "missing"
for v in normalize check entities top; do
    expect "help $v" "$ROOST" help "$v"
    grep -q "usage: roost $v" "$TMP/out" && ok "help $v usage line" ||
        fail "help $v usage line" "$(head -1 "$TMP/out")"
done
expect_exit "no verb is a usage error" 2 "$ROOST"
expect_exit "unknown verb" 2 "$ROOST" frobnicate
expect_exit "unknown option" 2 "$ROOST" normalize --bogus
expect_exit "bad format name" 2 "$ROOST" normalize --format xml
expect_exit "missing file" 1 "$ROOST" normalize "$TMP/does-not-exist"
expect_exit "check --json-only needs one file" 2 "$ROOST" check --json-only
expect_exit "entities needs --text" 2 "$ROOST" entities

# stdin works, and '-' means stdin.
printf '{"id_str":"1","text":"hi #a","user":{"id_str":"9","screen_name":"u"}}\n' >"$TMP/one.jsonl"
"$ROOST" normalize <"$TMP/one.jsonl" >"$TMP/a" 2>/dev/null
"$ROOST" normalize - <"$TMP/one.jsonl" >"$TMP/b" 2>/dev/null
if [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b"; then
    ok "stdin and - agree"
else
    fail "stdin and - agree" "outputs differ or empty"
fi
finish
