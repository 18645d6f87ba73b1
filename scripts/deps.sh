#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# deps.sh - install the Debian packages roost needs, and only those missing.
#
# Idempotent: a second run installs nothing. As root it runs apt-get; as
# another user it prints the exact command to run and fails.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
set -euo pipefail

want=${1:-all}

build_pkgs=(gcc make cmake pkg-config libzstd-dev zlib1g-dev libsqlite3-dev sqlite3
    libpq-dev libcurl4-openssl-dev libwebsockets-dev libssl-dev
    libmicrohttpd-dev)
# time: /usr/bin/time, which bench/run (and t_bench.sh) reads peak RSS from
test_pkgs=(clang libclang-rt-14-dev python3 postgresql chromium time)

pkgs=("${build_pkgs[@]}")
case "$want" in
build) ;;
test | all) pkgs+=("${test_pkgs[@]}") ;;
*)
    echo "deps.sh: unknown set '$want' (build, test, all)" >&2
    exit 2
    ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages; run as root:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine.
apt-get update -qq || true
$cmd
