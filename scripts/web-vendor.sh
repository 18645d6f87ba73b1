#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# web-vendor.sh - fetch the dashboard's npm libraries (web/package.json,
# pinned by web/package-lock.json) and copy the few files the page loads
# into web/vendor/, which cmake/embed.cmake then embeds into the binary.
# No bundler: the files are the libraries' own browser builds.
#
# Never fails the build: when npm or the registry is unreachable it prints
# a WARNING and leaves web/vendor/ as it is (possibly empty); the page then
# shows its charts and map as plain tables. Files are rewritten only when
# they change, so an unchanged vendor step does not re-embed anything.
# Usage: scripts/web-vendor.sh [STAMP_FILE]
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
web="$top/web"
vendor="$web/vendor"
stamp=${1:-}

warn() {
    echo "WARNING: web-vendor: $*; the dashboard's charts and map degrade" \
        "to tables (rerun scripts/web-vendor.sh when npm can reach its" \
        "registry)" >&2
}

finish() {
    [ -n "$stamp" ] && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
    exit 0
}

# Several build trees share web/: one vendor step at a time.
mkdir -p "$vendor"
if command -v flock >/dev/null; then
    exec 9>"$vendor/.lock"
    flock 9
fi

if ! command -v npm >/dev/null; then
    warn "npm not found (apt-get install npm)"
    finish
fi

# node_modules is current when npm's own record is newer than the lock.
if [ -f "$web/node_modules/.package-lock.json" ] &&
    [ -f "$web/package-lock.json" ] &&
    [ "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ]; then
    :
else
    if [ -f "$web/package-lock.json" ]; then
        verb=ci
    else
        verb=install
    fi
    if ! (cd "$web" && npm "$verb" --no-audit --no-fund --loglevel=error \
        --fetch-retries=1 --fetch-timeout=20000 >"$vendor/.npm.log" 2>&1); then
        warn "npm $verb failed: $(grep -v 'Unknown user config' "$vendor/.npm.log" |
            tail -n 2 | tr '\n' ' ')"
        finish
    fi
fi

# SRC DST pairs: what the page loads.
files=(
    uplot/dist/uPlot.iife.min.js uPlot.iife.min.js
    uplot/dist/uPlot.min.css uPlot.min.css
    uplot/LICENSE LICENSE.uplot
    topojson-client/dist/topojson-client.min.js topojson-client.min.js
    topojson-client/LICENSE LICENSE.topojson-client
    world-atlas/land-110m.json land-110m.json
    world-atlas/LICENSE LICENSE.world-atlas
)
mkdir -p "$vendor"
missing=0
for ((i = 0; i < ${#files[@]}; i += 2)); do
    src="$web/node_modules/${files[i]}" dst="$vendor/${files[i + 1]}"
    if [ ! -f "$src" ]; then
        echo "web-vendor: missing $src" >&2
        missing=1
        continue
    fi
    cmp -s "$src" "$dst" || cp "$src" "$dst"
done
[ "$missing" -eq 0 ] || warn "some library files are missing"
finish
