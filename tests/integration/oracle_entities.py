#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# oracle_entities.py - an independent reading (Python's json module) of the
# posts in one shared-data file: for each post, the id and the hashtags,
# mentions and URLs the platform delivered. Compared against
# `roost normalize` by t_shared_corpora.sh.
#
# Usage: oracle_entities.py FORMAT FILE ROOST_OUTPUT
#   FORMAT: v1 | v2 | jetstream | mastodon | mastodon-sse
# Prints a summary line; exits 1 on any mismatch.
import json
import sys


def v1_posts(obj, out, referenced=False):
    if isinstance(obj, list):
        for o in obj:
            v1_posts(o, out)
        return
    if not isinstance(obj, dict):
        return
    if "statuses" in obj and isinstance(obj["statuses"], list):
        for o in obj["statuses"]:
            v1_posts(o, out)
        return
    if "id_str" not in obj or "user" not in obj:
        return
    ext = obj.get("extended_tweet") or {}
    ents = ext.get("entities") or obj.get("entities")
    exp = None
    if ents is not None:
        exp = {
            "hashtags": [h["text"] for h in ents.get("hashtags", [])],
            "mentions": [m["screen_name"] for m in ents.get("user_mentions", [])],
            "urls": [u.get("expanded_url") or u["url"] for u in ents.get("urls", [])],
        }
    out.append((obj["id_str"], referenced, exp))
    for k in ("retweeted_status", "quoted_status"):
        if isinstance(obj.get(k), dict):
            v1_posts(obj[k], out, True)


def v2_posts(obj, out):
    if not isinstance(obj, dict) or "data" not in obj:
        return
    data = obj["data"]
    items = data if isinstance(data, list) else [data]
    for t in items:
        if not isinstance(t, dict) or "id" not in t or "text" not in t:
            continue
        ents = t.get("entities")
        exp = None
        if ents is not None and "note_tweet" not in t:
            exp = {
                "hashtags": [h["tag"] for h in ents.get("hashtags", [])],
                "mentions": [m["username"] for m in ents.get("mentions", [])],
                "urls": [u.get("expanded_url") or u["url"] for u in ents.get("urls", [])],
            }
        out.append((t["id"], False, exp))


def jetstream_posts(obj, out):
    if obj.get("kind") != "commit":
        return
    c = obj.get("commit", {})
    if c.get("collection") != "app.bsky.feed.post":
        return
    if c.get("operation") not in ("create", "update"):
        return
    rec = c.get("record", {})
    text = rec.get("text", "").encode("utf-8")
    tags, mentions, urls = [], [], []
    for f in rec.get("facets", []) or []:
        idx = f.get("index", {})
        s, e = idx.get("byteStart"), idx.get("byteEnd")
        for feat in f.get("features", []):
            t = feat.get("$type")
            if t == "app.bsky.richtext.facet#tag":
                tags.append(feat["tag"])
            elif t == "app.bsky.richtext.facet#link":
                urls.append(feat["uri"])
            elif t == "app.bsky.richtext.facet#mention":
                mentions.append(text[s:e].decode("utf-8").lstrip("@"))
    tags += rec.get("tags", []) or []
    embed = rec.get("embed") or {}
    ext = embed.get("external") or (embed.get("media") or {}).get("external")
    if isinstance(ext, dict) and ext.get("uri") and ext["uri"] not in urls:
        urls.append(ext["uri"])
    pid = "at://%s/app.bsky.feed.post/%s" % (obj["did"], c["rkey"])
    out.append((pid, False, {"hashtags": tags, "mentions": mentions, "urls": urls}))


def mastodon_posts(obj, out, referenced=False):
    if isinstance(obj, list):
        for o in obj:
            mastodon_posts(o, out)
        return
    if not isinstance(obj, dict):
        return
    if "statuses" in obj and isinstance(obj["statuses"], list):
        for o in obj["statuses"]:
            mastodon_posts(o, out)
        return
    if "content" not in obj or "account" not in obj or "id" not in obj:
        return  # edit-history items and other non-status shapes
    exp = {
        "hashtags": [t["name"] for t in obj.get("tags", [])],
        "mentions": [m["acct"] for m in obj.get("mentions", [])],
    }
    out.append((obj["id"], referenced, exp))
    if isinstance(obj.get("reblog"), dict):
        mastodon_posts(obj["reblog"], out, True)


def load_records(fmt, path):
    raw = open(path, "rb").read().decode("utf-8")
    if fmt == "mastodon-sse":
        recs, event = [], None
        for line in raw.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("update", "status.update"):
                recs.append(json.loads(line[5:].strip()))
        return recs
    s = raw.lstrip()
    if s.startswith("[") or not path.endswith(".jsonl"):
        try:
            return [json.loads(raw)]
        except ValueError:
            pass
    return [json.loads(l) for l in raw.splitlines() if l.strip()]


def main():
    fmt, path, got_path = sys.argv[1:4]
    expected = []
    for r in load_records(fmt, path):
        one = []
        {"v1": v1_posts, "v2": v2_posts, "jetstream": jetstream_posts,
         "mastodon": mastodon_posts, "mastodon-sse": mastodon_posts}[fmt](r, one)
        seen = set()  # a record emits each post id once
        for e in one:
            if e[0] not in seen:
                seen.add(e[0])
                expected.append(e)
    got = {}
    for line in open(got_path, encoding="utf-8"):
        p = json.loads(line)
        got.setdefault(p["id"], []).append(p)
    bad = 0
    checked = 0
    occurrence = {}
    for pid, referenced, exp in expected:
        k = occurrence.get(pid, 0)
        occurrence[pid] = k + 1
        if pid not in got or k >= len(got[pid]):
            bad += 1
            if bad <= 10:
                print("  missing post %s (referenced=%s)" % (pid, referenced))
            continue
        if exp is None:
            continue
        p = got[pid][k]
        for k, v in exp.items():
            if p.get(k) != v:
                bad += 1
                if bad <= 10:
                    print("  post %s %s: roost %r, payload %r" % (pid, k, p.get(k), v))
        checked += 1
    n_top = sum(1 for _, r, _ in expected if not r)
    print("%s: %d posts expected (%d top-level), %d entity sets compared, %d mismatches"
          % (path.split("/data/")[-1], len(expected), n_top, checked, bad))
    sys.exit(1 if bad else 0)


main()
