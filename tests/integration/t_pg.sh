#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_pg.sh - the PostgreSQL sink against a real PostgreSQL 15 server.
#
# Starts a throw-away server on loopback (initdb in a temp dir, run as the
# `postgres` user when we are root: PostgreSQL refuses root), then runs
# test_sink_pg (the sink API: schema, idempotency, deletes, reconnect, and
# the corpus through PostgreSQL and SQLite with equal counts) and, when the
# binary has `--sink`, `roost ingest` into both stores twice and compares
# their counts. The server is stopped on exit. Without PostgreSQL the test
# prints a visible SKIP line.
set -u
. "$(dirname "$0")/lib.sh"

PGBIN=${ROOST_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_TEST=${ROOST_PG_TEST:-$(dirname "$ROOST")/tests/test_sink_pg}

if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    skip "postgresql" "PostgreSQL 15 not installed ($PGBIN/initdb; scripts/deps.sh installs it)"
    finish
    exit $?
fi

# as_pg CMD...: run as the postgres user when we are root.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    skip "postgresql" "running as root and there is no postgres user"
    finish
    exit $?
fi

PGROOT=$(mktemp -d /tmp/roost-pg.XXXXXX)
chmod 755 "$PGROOT"
[ "$(id -u)" -eq 0 ] && chown postgres "$PGROOT"
PGDATA="$PGROOT/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop_pg() {
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1
    rm -rf "$PGROOT" "$TMP"
}
trap stop_pg EXIT

if ! as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust \
        --no-sync >"$PGROOT/initdb.log" 2>&1; then
    skip "postgresql" "initdb failed: $(tail -3 "$PGROOT/initdb.log" | tr '\n' ' ')"
    finish
    exit $?
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/server.log" -w -t 30 \
        -o "-k $PGROOT -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off" \
        start >/dev/null 2>&1; then
    skip "postgresql" "server did not start: $(tail -3 "$PGROOT/server.log" | tr '\n' ' ')"
    finish
    exit $?
fi
ok "postgresql 15 started on 127.0.0.1:$PORT"
export ROOST_PG_URL="postgresql://postgres@127.0.0.1:$PORT"

# ---- the sink API --------------------------------------------------------------
if [ -x "$PG_TEST" ]; then
    if "$PG_TEST" >"$TMP/unit.out" 2>&1 && ! grep -q '^skip' "$TMP/unit.out"; then
        ok "test_sink_pg: $(tail -1 "$TMP/unit.out")"
        grep '^  .* pg .* sqlite ' "$TMP/unit.out"
    elif grep -q '^FAIL' "$TMP/unit.out"; then
        fail "test_sink_pg" "$(grep -m3 FAIL "$TMP/unit.out" | tr '\n' ' ')"
        grep -v '^ok ' "$TMP/unit.out" | head -20
    else
        skip "test_sink_pg" "$(grep -m1 '^SKIP' "$TMP/unit.out")"
    fi
else
    skip "test_sink_pg" "$PG_TEST not built"
fi

# ---- roost ingest into both stores ----------------------------------------------
pgq() {
    as_pg "$PGBIN/psql" -h "$PGROOT" -p "$PORT" -U postgres -d "$1" -Atc "$2"
}

if "$ROOST" ingest --sink x 2>&1 | grep -q "unknown option '--sink'"; then
    skip "ingest --sink" "this roost has no ingest --sink yet"
elif need_data tweets-corpus-covid-analysis "ingest --sink pg"; then
    pgq postgres "CREATE DATABASE roost_ingest" >/dev/null
    corpus="$DATA/tweets-corpus-covid-analysis/sample-stream-2021-01-01T0729Z.jsonl"
    for round in 1 2; do
        rm -rf "$TMP/arch$round"
        if ! "$ROOST" ingest --archive "$TMP/arch$round" --out "$TMP/out$round" \
                --sink "sqlite:$TMP/store.db" \
                --sink "pg:$ROOST_PG_URL/roost_ingest?batch=5000" \
                "$corpus" >"$TMP/ingest.out" 2>"$TMP/ingest.err"; then
            fail "ingest --sink sqlite --sink pg (round $round)" \
                "$(tail -3 "$TMP/ingest.err")"
        fi
    done
    same=1
    for t in posts authors hashtags mentions urls media post_refs control_events; do
        a=$(pgq roost_ingest "SELECT count(*) FROM $t")
        b=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM "+sys.argv[2]).fetchone()[0])' "$TMP/store.db" "$t")
        echo "  $t: pg $a sqlite $b"
        [ "$a" = "$b" ] || same=0
    done
    n=$("$ROOST" normalize "$corpus" 2>/dev/null | python3 -c 'import sys, json; print(len({json.loads(l)["id"] for l in sys.stdin if l.startswith("{\"id\"")}))')
    a=$(pgq roost_ingest "SELECT count(*) FROM posts")
    [ "$same" = 1 ] && ok "ingest twice: pg counts equal sqlite's" ||
        fail "ingest twice: pg counts equal sqlite's" "see the table above"
    [ "$a" = "$n" ] && ok "pg posts ($a) = distinct normalized ids" ||
        fail "pg posts = distinct normalized ids" "pg $a, normalize $n"
fi

finish
