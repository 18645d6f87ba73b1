#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# top.py - the Python-standard-library peer for bench/run: json + Counter.
# Usage: top.py T0|T1|T2|T3 FILE [v1|v2|jetstream]
# (prints "key<TAB>count" lines, top 20)
import json
import re
import sys
from collections import Counter

task, path = sys.argv[1], sys.argv[2]
fmt = sys.argv[3] if len(sys.argv) > 3 else "v1"
UNESC = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))

# roost's word rule (src/parse/tokenize.c), not Python's \w: a word is a
# run of non-separators with inner apostrophes (' or U+2019, kept as ');
# separators are ASCII other than [A-Za-z0-9_] and the listed non-ASCII
# blocks (punctuation, symbols, emoji, variation selectors). At a word
# start, http(s):// URLs up to whitespace and @mentions (ASCII name,
# chained) are skipped. Case folding is roost_fold_cp, not str.lower():
# "İ" (U+0130) stays as it is where lower() would split off an "i".
SEP = ("\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\xa0-\xa9\xab-\xb4\xb6-\xb9"
       "\xbb-\xbf\xd7\xf7\u2000-\u206f\u3000-\u303f\uff00-\uff0f\uff1a-\uff20"
       "\ufeff\U0001f000-\U0001faff\u2190-\u2bff\ufe00-\ufe0f")
# The peers share this pattern, written for RE2 (DuckDB), which has no
# lookaround: a URL needs a byte after "http://" (taking it when it is
# whitespace is harmless), and a word takes the '@' right after it, since
# roost skips a mention only where no word is open ("a@b" is "a", "b").
TOKEN = re.compile(r"https?://(?:[^ \n\t\r]+|[ \n\t\r])|(?:@[A-Za-z0-9_]*)+"
                   r"|([^%s]+(?:['\u2019][^%s]+)*)@?" % (SEP, SEP))


def fold_cp(c):
    """roost_fold_cp for c < 0x450 (it maps nothing above)."""
    if c < 0x80:
        return c + 32 if 0x41 <= c <= 0x5A else c
    if 0xC0 <= c <= 0xDE and c != 0xD7:
        return c + 32
    if 0x100 <= c <= 0x17F:
        if 0x139 <= c <= 0x148 or 0x179 <= c <= 0x17E:
            return c + 1 if c & 1 else c
        if c == 0x178:
            return 0xFF
        if c in (0x130, 0x131, 0x138, 0x149, 0x17F):
            return c
        return c if c & 1 else c + 1
    if 0x391 <= c <= 0x3AB and c != 0x3A2:
        return c + 32
    if 0x410 <= c <= 0x42F:
        return c + 32
    if 0x400 <= c <= 0x40F:
        return c + 80
    return c


FOLD = {c: fold_cp(c) for c in range(0x450) if fold_cp(c) != c}
FOLD[0x2019] = ord("'")


def cut(w):
    """roost builds words in 256 bytes: a code point is kept while at most
    252 bytes precede it."""
    n = 0
    for i, ch in enumerate(w):
        if n > 252:
            return w[:i]
        n += len(ch.encode())
    return w


def posts(f):
    """(hashtags, author, text) of every original post, as roost counts."""
    for line in f:
        if not line.strip():
            continue
        d = json.loads(line)
        if fmt == "v1":
            if "user" in d and "id_str" in d:
                ext = d.get("extended_tweet") or {}
                ents = ext.get("entities") or d.get("entities") or {}
                yield ([h["text"] for h in ents.get("hashtags", [])],
                       d["user"]["screen_name"],
                       ext.get("full_text") or d.get("text", ""))
        elif fmt == "v2":
            p = d.get("data")
            if p:
                users = {u["id"]: u for u in d.get("includes", {}).get("users", [])}
                tags = [h["tag"] for h in p.get("entities", {}).get("hashtags", [])]
                yield (tags, users[p["author_id"]]["username"],
                       (p.get("note_tweet") or {}).get("text") or p.get("text", ""))
        else:
            c = d.get("commit") or {}
            if (d.get("kind") == "commit" and c.get("operation") == "create"
                    and c.get("collection") == "app.bsky.feed.post"):
                r = c.get("record") or {}
                tags = [x["tag"] for f in r.get("facets") or [] for x in f.get("features", [])
                        if x.get("$type") == "app.bsky.richtext.facet#tag"]
                yield (tags, d["did"], r.get("text", ""))


with open(path, encoding="utf-8") as f:
    if task == "T0":
        n = sum(1 for line in f if line.strip() and json.loads(line) is not None)
        print("records\t%d" % n)
        sys.exit(0)
    c = Counter()
    for tags, author, text in posts(f):
        if task == "T1":
            for h in tags:
                c[h.lower()] += 1
        elif task == "T2":
            c[author.lower()] += 1
        elif task == "T3":
            t = text
            for a, b in UNESC:
                t = t.replace(a, b)
            for m in TOKEN.finditer(t):
                if m.group(1):
                    c[m.group(1)] += 1
if task == "T3":  # fold once per distinct word, not once per post
    folded = Counter()
    for w, n in c.items():
        w = w.translate(FOLD)
        if len(w) > 63 and len(w.encode()) > 252:
            w = cut(w)
        folded[w] += n
    c = folded
for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:20]:
    print("%s\t%d" % (k, v))
