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
WORD = re.compile(r"[^\W]+(?:'[^\W]+)*")
DROP = re.compile(r"https?://\S+|@\w+")
UNESC = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


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
            t = DROP.sub(" ", t.lower().replace("\u2019", "'"))
            for w in WORD.findall(t.replace("#", " ")):
                c[w] += 1
for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:20]:
    print("%s\t%d" % (k, v))
