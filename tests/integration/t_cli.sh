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
# The sinks and their options, from their option tables.
expect "help sink" "$ROOST" help sink
for k in sqlite pg jsonl csv; do
    grep -q "^  $k " "$TMP/out" && ok "help sink lists $k" ||
        fail "help sink lists $k" "$(cat "$TMP/out")"
done
expect "help sink sqlite" "$ROOST" help sink sqlite
for o in fts writer queue max-retries; do
    grep -q "^  $o " "$TMP/out" && ok "help sink sqlite: $o" ||
        fail "help sink sqlite: $o" "$(head -3 "$TMP/out")"
done
expect_exit "help for an unknown sink" 2 "$ROOST" help sink nope
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

# Regular files are mapped: a file whose size is an exact multiple of the
# page size, ending in a record without a newline, must give the same
# counts as the same bytes read from a pipe (the read() path).
page_file() { # page_file PATH SIZE: 40 tweets, then one padded to SIZE
    local i pad
    : >"$1"
    for i in $(seq 1 40); do
        printf '{"id_str":"%d","text":"hi #a%d #b","user":{"id_str":"9","screen_name":"u"}}\n' \
            "$i" $((i % 3)) >>"$1"
    done
    local last='{"id_str":"99","text":"last #b %s","user":{"id_str":"9","screen_name":"u"}}'
    # shellcheck disable=SC2059
    pad=$(($2 - $(wc -c <"$1") - $(printf "$last" "" | wc -c)))
    # shellcheck disable=SC2059
    printf "$last" "$(head -c "$pad" /dev/zero | tr '\0' x)" >>"$1"
}
for size in 4096 8192; do
    page_file "$TMP/page$size.jsonl" "$size"
    if [ "$(wc -c <"$TMP/page$size.jsonl")" -ne "$size" ]; then
        fail "page-sized file $size" "size $(wc -c <"$TMP/page$size.jsonl")"
        continue
    fi
    "$ROOST" check "$TMP/page$size.jsonl" >"$TMP/a" 2>&1
    if grep -q '^records:  41$' "$TMP/a" && grep -q '^posts:    41 ' "$TMP/a" &&
        grep -q '^invalid:  0$' "$TMP/a"; then
        ok "check on a $size-byte file"
    else
        fail "check on a $size-byte file" "$(cat "$TMP/a")"
    fi
    cat "$TMP/page$size.jsonl" | "$ROOST" check >"$TMP/b" 2>&1
    cmp -s "$TMP/a" "$TMP/b" && ok "check $size: file and pipe agree" ||
        fail "check $size: file and pipe agree" "$(diff "$TMP/a" "$TMP/b")"
    "$ROOST" top hashtags "$TMP/page$size.jsonl" >"$TMP/a" 2>&1
    if grep -qE '^\| +b\| +41\|$' "$TMP/a" &&
        grep -qE '^\| +a1\| +14\|$' "$TMP/a" &&
        grep -q '^top: 41 posts, 4 distinct hashtags, 0 invalid' "$TMP/a"; then
        ok "top on a $size-byte file"
    else
        fail "top on a $size-byte file" "$(cat "$TMP/a")"
    fi
    cat "$TMP/page$size.jsonl" | "$ROOST" top hashtags >"$TMP/b" 2>&1
    cmp -s "$TMP/a" "$TMP/b" && ok "top $size: file and pipe agree" ||
        fail "top $size: file and pipe agree" "$(diff "$TMP/a" "$TMP/b")"
done
# One JSON text filling a page exactly, for --json-only.
printf '{"t":"%s"}' "$(head -c 4088 /dev/zero | tr '\0' y)" >"$TMP/page.json"
expect "json-only on a page-sized file" "$ROOST" check --json-only "$TMP/page.json"
grep -q ': valid json$' "$TMP/out" && ok "page-sized json is valid" ||
    fail "page-sized json is valid" "$(cat "$TMP/out")"
# --syntax-only: valid JSON that is no post passes, broken JSON and bad
# UTF-8 fail with their lines, and nothing is normalized.
{
    printf '{"a":1}\n[1,2,3]\n'
    printf '{"id_str":"1","text":"hi #a","user":{"id_str":"9","screen_name":"u"}}\n'
    printf '{"a":1,}\n'
    printf '{"t":"\xff"}\n'
} >"$TMP/syn.jsonl"
expect_exit "syntax-only: bad records fail" 1 "$ROOST" check --syntax-only "$TMP/syn.jsonl"
grep -q '^records:  5$' "$TMP/out" && grep -q '^invalid:  2 (parse=1 utf8=1' "$TMP/out" &&
    grep -q '^posts:    0 ' "$TMP/out" && ok "syntax-only counts 5 records, 2 invalid, no posts" ||
    fail "syntax-only counts" "$(cat "$TMP/out")"
grep -q 'syn.jsonl:4:' "$TMP/out" && grep -q 'syn.jsonl:5:' "$TMP/out" &&
    ok "syntax-only names the bad lines" || fail "syntax-only names the bad lines" "$(cat "$TMP/out")"
head -2 "$TMP/syn.jsonl" >"$TMP/syn2.jsonl"
expect "syntax-only: JSON that is no post is valid" "$ROOST" check --syntax-only "$TMP/syn2.jsonl"
expect_exit "the same file fails a full check" 1 "$ROOST" check "$TMP/syn2.jsonl"
# top on several threads: a file over 16 MiB is cut at record boundaries;
# counts (and the summary, bad records included) equal one thread's, for
# LF and CRLF lines, and a big single array (no cut) still works.
"$ROOST" simulate --seed 3 --count 6000 >"$TMP/par.jsonl" 2>/dev/null
{ head -3000 "$TMP/par.jsonl"; printf '{"broken":\n{"a":1}\n'; tail -n +3001 "$TMP/par.jsonl"; } >"$TMP/par2.jsonl"
sed 's/$/\r/' "$TMP/par.jsonl" >"$TMP/parcr.jsonl"
{ printf '['; sed '$!s/$/,/' "$TMP/par.jsonl"; printf ']'; } >"$TMP/pararr.json"
for f in par2.jsonl parcr.jsonl pararr.json; do
    for k in hashtags authors; do
        "$ROOST" top "$k" --limit 50 --format tsv --threads 1 "$TMP/$f" >"$TMP/a" 2>&1
        "$ROOST" top "$k" --limit 50 --format tsv --threads 4 "$TMP/$f" >"$TMP/b" 2>&1
        if [ -s "$TMP/a" ] && grep -q '^top: ' "$TMP/a" && cmp -s "$TMP/a" "$TMP/b"; then
            ok "top $k --threads 4 equals one thread on $f"
        else
            fail "top $k --threads 4 equals one thread on $f" "$(diff "$TMP/a" "$TMP/b" | head -5)"
        fi
    done
done
"$ROOST" top hashtags --threads 4 "$TMP/par2.jsonl" 2>&1 >/dev/null | grep -q ', 2 invalid records' &&
    ok "top --threads counts the bad records once" ||
    fail "top --threads counts the bad records once" "$("$ROOST" top hashtags --threads 4 "$TMP/par2.jsonl" 2>&1 >/dev/null)"
expect_exit "top --threads 0 is a usage error" 2 "$ROOST" top hashtags --threads 0 "$TMP/par.jsonl"
# Empty files and FIFOs take the read() path.
: >"$TMP/empty.jsonl"
"$ROOST" check "$TMP/empty.jsonl" >"$TMP/a" 2>&1
grep -q '^records:  0$' "$TMP/a" && ok "check on an empty file" ||
    fail "check on an empty file" "$(cat "$TMP/a")"
rm -f "$TMP/fifo"
if mkfifo "$TMP/fifo" 2>/dev/null; then
    cat "$TMP/page4096.jsonl" >"$TMP/fifo" &
    "$ROOST" check "$TMP/fifo" >"$TMP/a" 2>&1
    wait
    grep -q '^records:  41$' "$TMP/a" && ok "check on a fifo" ||
        fail "check on a fifo" "$(cat "$TMP/a")"
else
    skip "check on a fifo" "mkfifo failed"
fi
finish
