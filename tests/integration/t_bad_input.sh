#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_bad_input.sh - bad records are reported with line and reason, land in
# the dead-letter file with their bytes, are counted, and never stop the
# good records around them.
. "$(dirname "$0")/lib.sh"

good() {
    printf '{"id_str":"%s","text":"ok #t%s","created_at":"Sun Jun 06 23:50:12 +0000 2021","user":{"id_str":"9","screen_name":"u"}}\n' "$1" "$1"
}

in="$TMP/bad.jsonl"
{
    good 1                                      # line 1
    printf '{"id_str":"2","text":"trunc\n'      # line 2: truncated
    printf '{"id_str":"3","text":"bad \xff\xfe utf8"}\n' # line 3
    printf '{"id_str":"4","text":"'             # line 4: 5 MiB record
    head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
    printf '"}\n'
    head -c 3000 /dev/urandom | tr -d '\n' | LC_ALL=C tr '{' 'x' # line 5: garbage
    printf '\n'
    printf '{"hello":"world"}\n'                # line 6: json, not a post
    printf '[1,2,\n'                            # line 7: broken array
    good 8                                      # line 8
    printf '{"id_str":"9","text":"no newline at end'  # line 9: truncated EOF
} >"$in"

"$ROOST" normalize --dead-letter "$TMP/dl.jsonl" "$in" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && ok "normalize goes on (exit 0)" || fail "normalize goes on" "exit $rc"

n_out=$(wc -l <"$TMP/out")
[ "$n_out" -eq 2 ] && ok "both good posts printed" || fail "both good posts printed" "$n_out lines"
grep -q '"id":"1"' "$TMP/out" && grep -q '"id":"8"' "$TMP/out" &&
    ok "good posts are 1 and 8" || fail "good posts are 1 and 8" "$(cut -c1-80 "$TMP/out")"

n_dl=$(wc -l <"$TMP/dl.jsonl" 2>/dev/null || echo 0)
[ "$n_dl" -ge 6 ] && ok "dead letters written ($n_dl)" || fail "dead letters written" "$n_dl"

# Each bad line is reported on stderr with its line number.
for l in 2 3 4 5 6 9; do
    grep -qE ":$l: " "$TMP/err" && ok "line $l reported" ||
        fail "line $l reported" "$(head -c 600 "$TMP/err")"
done
grep -qE ':3: utf8' "$TMP/err" && ok "invalid utf-8 classified" ||
    fail "invalid utf-8 classified" "$(grep ':3:' "$TMP/err")"
grep -qE ':4: limit' "$TMP/err" && ok "5 MiB record hits the size limit" ||
    fail "5 MiB record hits the size limit" "$(grep ':4:' "$TMP/err")"
grep -q 'invalid' "$TMP/err" && ok "summary printed" || fail "summary printed" "no summary"

# Dead letters are JSON lines carrying reason and raw bytes (b64 when the
# bytes are not UTF-8); python's json module reads every one.
if command -v python3 >/dev/null; then
    python3 - "$TMP/dl.jsonl" <<'PY' && ok "dead letters are valid json with raw bytes" || fail "dead letters are valid json with raw bytes" "see above"
import json, sys, base64
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert d["reason"], d
    assert "raw" in d or "raw_b64" in d, d
    if d["line"] == 3:
        raw = base64.b64decode(d["raw_b64"])
        assert b"\xff\xfe" in raw, raw
    n += 1
assert n >= 6, n
PY
else
    skip "dead letters are valid json" "python3 not installed"
fi

# check: same input, exit 1, every invalid listed with its line.
"$ROOST" check "$in" >"$TMP/chk" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "check exits 1 on invalid input" || fail "check exits 1 on invalid input" "exit $rc"
grep -qE '^records: +9' "$TMP/chk" && ok "check counts 9 records" || fail "check counts 9 records" "$(cat "$TMP/chk")"
grep -qE '^invalid: +7' "$TMP/chk" && ok "check counts 7 invalid" || fail "check counts 7 invalid" "$(grep invalid "$TMP/chk")"
good 1 >"$TMP/good.jsonl"
expect_exit "check exits 0 on valid input" 0 "$ROOST" check "$TMP/good.jsonl"

# A configurable record limit.
expect_exit "tiny --max-record-bytes flags the good record" 1 \
    "$ROOST" check --max-record-bytes 64 "$TMP/good.jsonl"
finish
