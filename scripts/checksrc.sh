#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# checksrc.sh - mechanical rules of ../shared/STYLE.md that tools can check:
# banned functions, VLAs, SPDX lines, exits in the library, and layering
# (a layer includes only itself and the layers below it).
set -u
cd "$(dirname "$0")/.."

bad=0
say() {
    echo "checksrc: $*"
    bad=1
}

files=$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src include -name '*.[ch]')

for f in $files; do
    [ -f "$f" ] || continue
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier' ||
        say "$f: no SPDX line"
    # Banned calls, ignoring comments in a simple way.
    grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|alloca)\s*\(' "$f" |
        grep -vE '^\s*[0-9]+:\s*(/\*|\*)' | while IFS= read -r l; do
        echo "checksrc: $f:$l: banned function"
        echo x >>/tmp/checksrc.$$
    done
    case "$f" in
    src/cli/*) ;;
    *)
        grep -nE '\b(exit|abort)\s*\(' "$f" | grep -vE '^\s*[0-9]+:\s*(/\*|\*)' |
            while IFS= read -r l; do
                echo "checksrc: $f:$l: exit/abort outside the CLI"
                echo x >>/tmp/checksrc.$$
            done
        ;;
    esac
done
if [ -f /tmp/checksrc.$$ ]; then
    rm -f /tmp/checksrc.$$
    bad=1
fi

# Layering: rank of each layer; an include may not go up.
rank() {
    case "$1" in
    core) echo 0 ;;
    parse | source | store) echo 1 ;;
    engine | ml) echo 2 ;;
    serve) echo 3 ;;
    cli) echo 4 ;;
    *) echo -1 ;;
    esac
}
for f in $files; do
    case "$f" in src/*) ;; *) continue ;; esac
    layer=$(echo "$f" | cut -d/ -f2)
    r=$(rank "$layer")
    [ "$r" -ge 0 ] || continue
    for inc in $(grep -oE '#include "[a-z]+/' "$f" | sed -E 's/#include "([a-z]+)\//\1/'); do
        [ "$inc" = roost ] && continue
        ir=$(rank "$inc")
        [ "$ir" -ge 0 ] || continue
        if [ "$inc" != "$layer" ] && [ "$ir" -ge "$r" ]; then
            # parse/source/store are siblings: none may include another,
            # except that source and store may use parse (the post model).
            if [ "$inc" = parse ] && { [ "$layer" = source ] || [ "$layer" = store ]; }; then
                continue
            fi
            say "$f includes $inc/: layers depend only downward"
        fi
    done
done

# Every header compiles on its own (include what you use).
cc=${CC:-cc}
for h in $files; do
    case "$h" in *.h) ;; *) continue ;; esac
    inc=${h#src/}
    inc=${inc#include/}
    if ! printf '#include "%s"\nint roost__hdr_check;\n' "$inc" |
        $cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall \
            -Werror -fsyntax-only -Iinclude -Isrc -x c - 2>/tmp/hdr.$$; then
        say "$h does not compile on its own: $(head -3 /tmp/hdr.$$)"
    fi
    rm -f /tmp/hdr.$$
done

if [ "$bad" -ne 0 ]; then
    exit 1
fi
echo "checksrc: ok"
