#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fake_github.py - the GitHub events API for tests: GET /events and
# /repos/{owner}/{repo}/events. There is no recorded GitHub corpus in
# ../shared/data, so the events are built here, deterministically, in the
# documented shape (PushEvent, IssuesEvent, IssueCommentEvent,
# PullRequestEvent, WatchEvent, CreateEvent in turn).
#
# The feed is live: every request after the first publishes --per-poll
# more events (until --total). Answers are newest first, at most per_page,
# with ETag; If-None-Match with the current ETag gets 304. X-Poll-Interval
# is --poll-interval; X-RateLimit-Remaining counts down from --rate-limit
# (reset 1 s ahead). --fail N answers the first N requests with 503;
# --token T wants "Authorization: Bearer T" (else 401). --log FILE gets
# "TARGET inm=yes|no" per request.
import argparse
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslib  # noqa: E402

TYPES = ["PushEvent", "IssuesEvent", "IssueCommentEvent", "PullRequestEvent",
         "WatchEvent", "CreateEvent"]


def make_event(i, repo):
    t = TYPES[i % len(TYPES)]
    login = "user%d" % (i % 7)
    payload = {}
    base = "https://github.com/" + repo
    if t == "PushEvent":
        payload = {"ref": "refs/heads/main", "size": 2, "commits": [
            {"sha": "%040x" % (i * 2), "message": "fix #%d: tidy up" % i},
            {"sha": "%040x" % (i * 2 + 1),
             "message": "docs: thanks @user%d" % ((i + 1) % 7)}]}
    elif t == "IssuesEvent":
        payload = {"action": "opened", "issue": {
            "number": i, "title": "Crash on start %d" % i,
            "body": "See https://example.com/log/%d" % i,
            "html_url": "%s/issues/%d" % (base, i)}}
    elif t == "IssueCommentEvent":
        payload = {"action": "created", "issue": {"number": i - 1},
                   "comment": {"body": "Works for me, @%s" % login,
                               "html_url": "%s/issues/%d#c%d"
                               % (base, i - 1, i)}}
    elif t == "PullRequestEvent":
        payload = {"action": "opened", "number": i, "pull_request": {
            "title": "Add feature %d" % i, "body": "",
            "html_url": "%s/pull/%d" % (base, i)}}
    elif t == "CreateEvent":
        payload = {"ref": "v%d" % i, "ref_type": "tag",
                   "description": "A tidy repo"}
    return {"id": str(40000000000 + i), "type": t,
            "actor": {"id": 1000 + i % 7, "login": login,
                      "display_login": login,
                      "avatar_url": "https://avatars.example/%s" % login},
            "repo": {"id": 77, "name": repo,
                     "url": "https://api.github.com/repos/" + repo},
            "payload": payload, "public": True,
            "created_at": "2026-01-02T03:%02d:%02dZ" % (i // 60 % 60, i % 60)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--initial", type=int, default=10)
    ap.add_argument("--per-poll", type=int, default=5)
    ap.add_argument("--total", type=int, default=40)
    ap.add_argument("--poll-interval", type=int, default=0)
    ap.add_argument("--rate-limit", type=int, default=5000)
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--token")
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=60)
    args = ap.parse_args()
    st = {"requests": 0, "published": args.initial,
          "remaining": args.rate_limit}

    def handle(sock, n):
        req = wslib.read_request(sock)
        if req is None:
            return
        wslib.log_line(args.log, "%s inm=%s" % (
            req.target, "yes" if "if-none-match" in req.headers else "no"))
        parts = req.path.strip("/").split("/")
        if parts == ["events"]:
            repo = "octo/hello"
        elif len(parts) == 4 and parts[0] == "repos" and parts[3] == "events":
            repo = parts[1] + "/" + parts[2]
        else:
            wslib.send_response(sock, 404, "Not Found")
            return
        if args.token and \
                req.headers.get("authorization") != "Bearer " + args.token:
            wslib.send_response(sock, 401, "Unauthorized",
                                [("Content-Type", "application/json")],
                                b'{"message":"Bad credentials"}')
            return
        st["requests"] += 1
        if st["requests"] <= args.fail:
            wslib.send_response(sock, 503, "Unavailable")
            return
        if st["requests"] > 1 + args.fail:
            st["published"] = min(args.total,
                                  st["published"] + args.per_poll)
        st["remaining"] = max(0, st["remaining"] - 1)
        per_page = int(req.param("per_page", "30"))
        events = [make_event(i, repo) for i in range(st["published"])]
        page = list(reversed(events))[:per_page]
        body = json.dumps(page, indent=1).encode()
        etag = '"%s"' % hashlib.sha1(body).hexdigest()
        headers = [("ETag", etag),
                   ("X-Poll-Interval", str(args.poll_interval)),
                   ("X-RateLimit-Limit", str(args.rate_limit)),
                   ("X-RateLimit-Remaining", str(st["remaining"])),
                   ("X-RateLimit-Reset", str(int(time.time()) + 1))]
        if req.headers.get("if-none-match") == etag:
            wslib.send_response(sock, 304, "Not Modified", headers)
            return
        wslib.send_response(sock, 200, "OK",
                            headers + [("Content-Type", "application/json")],
                            body)

    wslib.serve(handle, args.lifetime)


if __name__ == "__main__":
    main()
