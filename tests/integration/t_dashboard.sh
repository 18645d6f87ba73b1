#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# t_dashboard.sh - the embedded dashboard in headless Chromium while the
# simulator runs: `roost collect` (simulate at 200 posts/s, real time) into
# a SQLite store, `roost serve` on it, then tests/web/dashboard.test.mjs
# (playwright-core) waits for the live feed and charts to update, clicks a
# hashtag, compares every number shown with the API's, and saves
# screenshots under $ROOST_TEST_TMP/dashboard (or build/test-logs/).
# Until `roost serve` exists it runs the page against tests/web/mock_api.mjs,
# which serves the same JSON shapes from simulated posts.
#
# Needs node, Debian's chromium (scripts/deps.sh test) and playwright-core,
# which it installs from npm into $ROOST_NODE_CACHE (build/web-test) when
# missing; without them it prints SKIP.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CACHE=${ROOST_NODE_CACHE:-$TOP/build/web-test}
OUT="${ROOST_TEST_TMP:-$TOP/build/test-logs}/dashboard"
PW_VERSION=1.65.1

if ! command -v node >/dev/null; then
    skip "dashboard" "node not installed (apt-get install nodejs npm)"
    finish
    exit $?
fi
if [ ! -x "$CHROMIUM" ]; then
    skip "dashboard" "chromium not installed (scripts/deps.sh test)"
    finish
    exit $?
fi
if [ ! -f "$CACHE/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$CACHE"
    if ! command -v npm >/dev/null ||
        ! timeout 180 npm install --prefix "$CACHE" --no-audit --no-fund \
            --loglevel=error "playwright-core@$PW_VERSION" \
            >"$TMP/npm.log" 2>&1; then
        skip "dashboard" "cannot install playwright-core from npm:" \
            "$(grep -v 'Unknown user config' "$TMP/npm.log" | tail -n 1)"
        finish
        exit $?
    fi
fi
if [ ! -f "$TOP/web/vendor/uPlot.iife.min.js" ]; then
    echo "info: web/vendor/ is empty (npm unreachable at build time):" \
        "the page shows tables instead of charts"
fi

rm -rf "$OUT"
mkdir -p "$OUT"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -CONT "$p" 2>/dev/null
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# free_port: a loopback port nobody listens on now.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http URL: until it answers (10 s).
wait_http() {
    local i
    for ((i = 0; i < 100; i++)); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    return 1
}

TOKEN=t$RANDOM$RANDOM
MOCK="$TOP/tests/web/mock_api.mjs"

# start_mock WEBDIR: a mock API on a free port, in $mock_port.
start_mock() {
    local log=$TMP/mock.$RANDOM.log i
    node "$MOCK" --web "$1" --posts "$TMP/posts.jsonl" --rate 200 \
        --token "$TOKEN" >"$log" 2>&1 &
    pids+=($!)
    mock_port=""
    for ((i = 0; i < 100; i++)); do
        mock_port=$(sed -n 's/^listening //p' "$log")
        [ -n "$mock_port" ] && return 0
        sleep 0.1
    done
    return 1
}

simulated_posts() {
    [ -s "$TMP/posts.jsonl" ] && return 0
    "$ROOST" simulate --rate 200 --count 40000 --geo-share 0.03 2>/dev/null |
        "$ROOST" normalize >"$TMP/posts.jsonl" 2>/dev/null
    [ -s "$TMP/posts.jsonl" ]
}

if "$ROOST" help serve >/dev/null 2>&1; then
    mode=roost
    PORT=$(free_port)
    "$ROOST" collect --source 'simulate?rate=200&speed=1x' \
        --archive "$TMP/archive" --sink "sqlite:$TMP/roost.db" --quiet \
        >"$TMP/collect.log" 2>&1 &
    collect_pid=$!
    pids+=("$collect_pid")
    for ((i = 0; i < 100; i++)); do
        [ -s "$TMP/roost.db" ] && break
        sleep 0.1
    done
    sleep 2 # a few seconds of posts before the page opens
    serve_token=()
    if "$ROOST" help serve 2>&1 | grep -q -- --token; then
        serve_token=(--token "$TOKEN")
    else
        TOKEN=""
    fi
    "$ROOST" serve --db "$TMP/roost.db" --listen "127.0.0.1:$PORT" \
        "${serve_token[@]}" >"$TMP/serve.log" 2>&1 &
    pids+=($!)
    BASE="http://127.0.0.1:$PORT/"
    PAUSE="kill -STOP $collect_pid"
    RESUME="kill -CONT $collect_pid"
    if wait_http "${BASE}health${TOKEN:+?token=$TOKEN}"; then
        ok "roost serve answers"
    else
        fail "roost serve answers" "$(tail -n 3 "$TMP/serve.log" "$TMP/collect.log")"
        finish
        exit $?
    fi
else
    mode=mock
    echo "info: no 'roost serve' verb yet: testing against tests/web/mock_api.mjs"
    if ! simulated_posts; then
        fail "simulated posts for the mock API" "roost simulate | normalize"
        finish
        exit $?
    fi
    start_mock "$TOP/web"
    PORT=$mock_port
    BASE="http://127.0.0.1:$PORT/"
    PAUSE="curl -sf -o /dev/null ${BASE}__mock/pause"
    RESUME="curl -sf -o /dev/null ${BASE}__mock/resume"
fi

# The page without its vendored libraries, to check it falls back to tables.
NOVENDOR=""
if simulated_posts; then
    mkdir -p "$TMP/web-novendor"
    cp "$TOP"/web/*.html "$TOP"/web/*.js "$TOP"/web/*.css "$TMP/web-novendor/"
    start_mock "$TMP/web-novendor" && NOVENDOR="http://127.0.0.1:$mock_port/"
fi

DASH_URL=$BASE DASH_TOKEN=$TOKEN DASH_OUT=$OUT DASH_PAUSE=$PAUSE \
    DASH_RESUME=$RESUME DASH_NOVENDOR_URL=$NOVENDOR PLAYWRIGHT_DIR=$CACHE \
    CHROMIUM=$CHROMIUM timeout 300 node "$TOP/tests/web/dashboard.test.mjs" \
    >"$TMP/dash.out" 2>"$TMP/dash.err"
rc=$?
cat "$TMP/dash.out"
n_pass=$((n_pass + $(grep -c '^ok ' "$TMP/dash.out")))
n_fail=$((n_fail + $(grep -c '^FAIL ' "$TMP/dash.out")))
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$TMP/dash.out"; then
    fail "dashboard test ($mode)" "exit $rc: $(tail -n 5 "$TMP/dash.err")"
fi
echo "info: dashboard tested against $mode; screenshots in $OUT"
finish
