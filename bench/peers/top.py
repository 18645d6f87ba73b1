#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# top.py - the Python-standard-library peer for bench/run: json + Counter.
# Usage: top.py T0|T1|T2|T3 FILE   (prints "key<TAB>count" lines, top 20)
import json
import re
import sys
from collections import Counter

task, path = sys.argv[1], sys.argv[2]
WORD = re.compile(r"[^\W]+(?:'[^\W]+)*")
DROP = re.compile(r"https?://\S+|@\w+")
UNESC = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def posts(f):
    for line in f:
        if not line.strip():
            continue
        d = json.loads(line)
        if "user" in d and "id_str" in d:
            yield d


with open(path, encoding="utf-8") as f:
    if task == "T0":
        n = sum(1 for line in f if line.strip() and json.loads(line) is not None)
        print("records\t%d" % n)
        sys.exit(0)
    c = Counter()
    for d in posts(f):
        if task == "T1":
            ents = (d.get("extended_tweet") or {}).get("entities") or d.get("entities") or {}
            for h in ents.get("hashtags", []):
                c[h["text"].lower()] += 1
        elif task == "T2":
            c[d["user"]["screen_name"].lower()] += 1
        elif task == "T3":
            t = (d.get("extended_tweet") or {}).get("full_text") or d.get("text", "")
            for a, b in UNESC:
                t = t.replace(a, b)
            t = DROP.sub(" ", t.lower().replace("\u2019", "'"))
            for w in WORD.findall(t.replace("#", " ").replace("_", "_")):
                c[w] += 1
for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:20]:
    print("%s\t%d" % (k, v))
