#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fake_x.py - a local fake of X's streaming and search APIs for roost's
# tests: v1.1 statuses/filter and sample (OAuth 1.0a signatures verified),
# v2 filtered stream (bearer) with rules, v1.1 search/tweets and v2 recent
# search with x-rate-limit-* headers. Payloads are recorded ones, read in
# place from $ROOST_SHARED_DATA (never copied).
#
# Every stream connection takes the next action of --script (comma
# separated; the last one repeats):
#   ok:N     N records, then the stream ends cleanly (a drop)
#   hold     records until they run out, then keep-alives until the client
#            goes (or --lifetime)
#   stall:N  N records, then silence with the socket open (a stall)
#   cut:N    N records and half of the next, then the socket closes
#   disc:N   N records, a `disconnect` message, then the end
#   close    accept the TCP connection and close it: no HTTP response
#   503 420 429 401 ...   that status with an error body
# Records continue across connections from where the last complete one
# ended; --overlap K sends the last K again after a reconnect (as v2
# backfill does); --skip K loses K records at each reconnect instead (never
# sent on the stream, logged to skipped.log; search still finds them), and
# --sorted sends the v1.1 records in id order, as a live stream does, so a
# gap is an id range search can fill. A second connection with credentials already streaming
# gets 420 (v1.1) or 429 TooManyConnections (v2), as X does.
#
# Logs in --dir: attempts.log ("<ms> <path> <action> <query>"), sent.log
# (ids of complete records), rules.json.
import argparse
import base64
import hashlib
import hmac
import json
import os
import select
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None
LOCK = threading.Lock()
STATE = {"attempt": 0, "cursor": 0, "active": set(), "nonces": set(),
         "rules": [], "next_rule": 1, "search_left": None, "reset_at": 0}
V1 = []
V2 = []


def now_ms():
    return int(time.monotonic() * 1000)


def log(name, line):
    with LOCK, open(os.path.join(A.dir, name), "a") as f:
        f.write(line + "\n")


def load_data():
    root = os.environ.get("ROOST_SHARED_DATA", "")
    p = os.path.join(root, "tweets-corpus-covid-analysis",
                     "sample-stream-2021-01-01T0729Z.jsonl")
    with open(p, "rb") as f:
        for line in f:
            line = line.strip()
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if isinstance(d, dict) and "id_str" in d and "text" in d:
                V1.append((d["id_str"], line))
            if len(V1) >= A.count:
                break
    if A.sorted:
        V1.sort(key=lambda r: (len(r[0]), r[0]))
    p = os.path.join(root, "twitter-v2-samples", "twarc-csv", "brexit.jsonl")
    with open(p, "rb") as f:
        for line in f:
            try:
                page = json.loads(line)
            except ValueError:
                continue
            users = {u["id"]: u for u in page.get("includes", {}).get("users", [])}
            for t in page.get("data", []):
                inc = {}
                if t.get("author_id") in users:
                    inc["users"] = [users[t["author_id"]]]
                msg = {"data": t, "includes": inc,
                       "matching_rules": [{"id": "1", "tag": "brexit"}]}
                V2.append((t["id"], json.dumps(msg).encode()))
                if len(V2) >= A.count:
                    return


def pct(s):
    return urllib.parse.quote(s, safe="-._~")


def oauth_ok(method, url, params, header):
    """Verify an OAuth 1.0a HMAC-SHA1 Authorization header."""
    if not header.startswith("OAuth "):
        return "no OAuth header"
    op = {}
    for part in header[6:].split(","):
        k, _, v = part.strip().partition("=")
        op[urllib.parse.unquote(k)] = urllib.parse.unquote(v.strip('"'))
    if op.get("oauth_consumer_key") != A.consumer_key or \
            op.get("oauth_token") != A.token:
        return "unknown consumer key or token"
    if abs(int(op.get("oauth_timestamp", "0")) - time.time()) > 300:
        return "timestamp out of window"
    nonce = op.get("oauth_nonce", "")
    with LOCK:
        if nonce in STATE["nonces"]:
            return "nonce reused"
        STATE["nonces"].add(nonce)
    allp = [(k, v) for k, v in params]
    allp += [(k, v) for k, v in op.items() if k != "oauth_signature"]
    pstr = "&".join("%s=%s" % kv for kv in
                    sorted((pct(k), pct(v)) for k, v in allp))
    base = "&".join([method, pct(url), pct(pstr)])
    key = pct(A.consumer_secret) + "&" + pct(A.token_secret)
    sig = base64.b64encode(hmac.new(key.encode(), base.encode(),
                                    hashlib.sha1).digest()).decode()
    return None if hmac.compare_digest(sig, op.get("oauth_signature", "")) \
        else "bad signature"


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def client_gone(self, secs):
        r, _, _ = select.select([self.connection], [], [], secs)
        if r:
            try:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True
        return False

    def parts(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        return u.path, u.query, q

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        path, query, q = self.parts()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if path.startswith("/1.1/statuses/"):
            form = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True) \
                if method == "POST" else []
            url = "http://%s%s" % (self.headers["Host"], path)
            err = oauth_ok(method, url, q + form, self.headers.get("Authorization", ""))
            params = dict(q + form)
            log("attempts.log", "%d %s %s %s" % (now_ms(), path, "auth:" + (err or "ok"),
                                                 urllib.parse.urlencode(sorted(params.items()))))
            if err:
                return self.reply(401, {"errors": [{"code": 32, "message": err}]})
            return self.stream(1, A.consumer_key + A.token, params)
        if path == "/2/tweets/search/stream":
            if self.headers.get("Authorization") != "Bearer " + A.bearer:
                log("attempts.log", "%d %s auth:bad %s" % (now_ms(), path, query))
                return self.reply(401, {"title": "Unauthorized", "status": 401,
                                        "detail": "Unauthorized"})
            log("attempts.log", "%d %s auth:ok %s" % (now_ms(), path, query))
            return self.stream(2, A.bearer, dict(q))
        if path == "/2/tweets/search/stream/rules":
            return self.rules(method, dict(q), body)
        if path in ("/1.1/search/tweets.json", "/2/tweets/search/recent"):
            return self.search(path, dict(q))
        self.reply(404, {"errors": [{"message": "no such endpoint"}]})

    # ---- streams ----
    def stream(self, ver, cred, params):
        with LOCK:
            i = STATE["attempt"]
            STATE["attempt"] += 1
            acts = A.script.split(",")
            act = acts[min(i, len(acts) - 1)]
            busy = cred in STATE["active"]
            if not busy and act[0].isalpha() and act != "close":
                STATE["active"].add(cred)
        log("attempts.log", "%d action %s" % (now_ms(), "busy" if busy else act))
        if busy:
            if ver == 1:
                return self.reply(420, {"errors": [{"message": "Enhance Your Calm"}]})
            return self.reply(429, {"title": "ConnectionException",
                                    "connection_issue": "TooManyConnections"})
        if act == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if act.isdigit():
            code = int(act)
            return self.reply(code, {"errors": [{"message": "status %d" % code}]},
                              [("x-rate-limit-reset", str(int(time.time()) + 1))])
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.run_stream(ver, act, params)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with LOCK:
                STATE["active"].discard(cred)
        self.close_connection = True

    def frame(self, data, delimited):
        data = data + b"\r\n"
        return b"%d\r\n%s" % (len(data), data) if delimited else data

    def run_stream(self, ver, act, params):
        name, _, arg = act.partition(":")
        n = int(arg) if arg else 1 << 30
        recs = V1 if ver == 1 else V2
        delimited = params.get("delimited") == "length"
        lost = []
        with LOCK:
            if STATE["cursor"] > 0 and STATE["attempt"] > 1:
                STATE["cursor"] = max(0, STATE["cursor"] - A.overlap)
                lost = recs[STATE["cursor"]:STATE["cursor"] + A.skip]
                STATE["cursor"] += len(lost)
        for rid, _ in lost:
            log("skipped.log", rid)
        self.chunk(b"\r\n")  # a keep-alive first, as X does
        if A.warning and ver == 1:
            self.chunk(self.frame(json.dumps({"warning": {
                "code": "FALLING_BEHIND", "message": "Your connection is falling behind",
                "percent_full": 60}}).encode(), delimited))
        sent = 0
        limit_total = 0
        while sent < n:
            with LOCK:
                c = STATE["cursor"]
            if c >= len(recs):
                break
            rid, data = recs[c]
            if name == "cut" and sent == n - 1:
                pass
            self.chunk(self.frame(data, delimited))
            log("sent.log", rid)
            with LOCK:
                STATE["cursor"] = c + 1
            sent += 1
            if A.limit_every and ver == 1 and sent % A.limit_every == 0:
                limit_total += 7
                self.chunk(self.frame(json.dumps({"limit": {
                    "track": limit_total, "timestamp_ms": str(int(time.time() * 1000))}
                }).encode(), delimited))
            if A.delay_ms:
                time.sleep(A.delay_ms / 1000)
        if name == "cut":
            with LOCK:
                c = STATE["cursor"]
            if c < len(recs):
                data = self.frame(recs[c][1], delimited)
                self.chunk(data[: len(data) // 2])
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if name == "disc":
            self.chunk(self.frame(json.dumps({"disconnect": {
                "code": 7, "stream_name": "roost-test", "reason": "admin logout"}}).encode(),
                delimited) if ver == 1 else json.dumps({"errors": [{
                    "title": "operational-disconnect",
                    "disconnect_type": "UpstreamOperationalDisconnect",
                    "detail": "This stream has been disconnected upstream"}]}).encode() + b"\r\n")
        if name in ("ok", "disc"):
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if name == "stall":
            while not self.client_gone(0.2):
                pass
            return
        # hold: keep-alives until the client goes
        while not self.client_gone(A.keepalive_ms / 1000):
            self.chunk(b"\r\n")

    # ---- v2 rules ----
    def rules(self, method, q, body):
        if self.headers.get("Authorization") != "Bearer " + A.bearer:
            return self.reply(401, {"title": "Unauthorized", "status": 401})
        with LOCK:
            rules = STATE["rules"]
            if method == "GET":
                meta = {"sent": "now", "result_count": len(rules)}
                return self.reply(200, {"data": rules, "meta": meta} if rules else {"meta": meta})
            req = json.loads(body or b"{}")
            dry = q.get("dry_run") == "true"
            out = []
            if "add" in req:
                new = list(rules)
                for r in req["add"]:
                    if not r.get("value") or len(r["value"]) > 512:
                        return self.reply(400, {"errors": [{"title": "Invalid Rule",
                                                            "value": r.get("value")}]})
                    rule = {"id": str(STATE["next_rule"]), "value": r["value"]}
                    if r.get("tag"):
                        rule["tag"] = r["tag"]
                    STATE["next_rule"] += 1
                    new.append(rule)
                    out.append(rule)
                if not dry:
                    STATE["rules"] = new
                summ = {"created": len(out), "not_created": 0, "valid": len(out), "invalid": 0}
            elif "delete" in req:
                ids = set(req["delete"].get("ids", []))
                keep = [r for r in rules if r["id"] not in ids]
                summ = {"deleted": len(rules) - len(keep), "not_deleted": len(ids) - (len(rules) - len(keep))}
                if not dry:
                    STATE["rules"] = keep
            else:
                return self.reply(400, {"errors": [{"title": "Invalid Request"}]})
            with open(os.path.join(A.dir, "rules.json"), "w") as f:
                json.dump(STATE["rules"], f)
        self.reply(200, {"data": out, "meta": {"sent": "now", "summary": summ}} if out
                   else {"meta": {"sent": "now", "summary": summ}})

    # ---- search ----
    def search(self, path, q):
        ver = 1 if path.startswith("/1.1") else 2
        if ver == 2 and self.headers.get("Authorization") != "Bearer " + A.bearer:
            return self.reply(401, {"title": "Unauthorized", "status": 401})
        if ver == 1:
            url = "http://%s%s" % (self.headers["Host"], path)
            err = oauth_ok("GET", url, list(q.items()), self.headers.get("Authorization", ""))
            if err:
                return self.reply(401, {"errors": [{"code": 32, "message": err}]})
        with LOCK:
            t = time.time()
            if STATE["search_left"] is None or t >= STATE["reset_at"]:
                STATE["search_left"] = A.search_limit
                STATE["reset_at"] = t + A.reset_s
            limited = STATE["search_left"] <= 0
            if not limited:
                STATE["search_left"] -= 1
            left = max(STATE["search_left"], 0)
            reset = STATE["reset_at"]
        hdrs = [("x-rate-limit-limit", str(A.search_limit)),
                ("x-rate-limit-remaining", str(left)),
                ("x-rate-limit-reset", str(int(reset + 0.999)))]
        log("attempts.log", "%d %s %s %s" % (now_ms(), path, "429" if limited else "200",
                                             urllib.parse.urlencode(sorted(q.items()))))
        if limited:
            return self.reply(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, hdrs)
        # newest first, as X pages: ids descending
        recs = sorted(V1 if ver == 1 else V2, key=lambda r: (len(r[0]), r[0]), reverse=True)
        per = int(q.get("count" if ver == 1 else "max_results", "15"))
        start = 0
        if ver == 1:
            mx, sn = q.get("max_id"), q.get("since_id")
            sel = [r for r in recs
                   if (not mx or (len(r[0]), r[0]) <= (len(mx), mx))
                   and (not sn or (len(r[0]), r[0]) > (len(sn), sn))]
            page = sel[:per]
            for rid, _ in page:
                log("sent.log", rid)
            meta = {"count": per, "since_id_str": sn or "0"}
            if len(sel) > per:
                nxt = str(int(page[-1][0]) - 1)
                meta["next_results"] = "?" + urllib.parse.urlencode(
                    {"max_id": nxt, "q": q.get("q", ""), "count": per})
            return self.reply(200, {"statuses": [json.loads(d) for _, d in page],
                                    "search_metadata": meta}, hdrs)
        sn = q.get("since_id")
        sel = [r for r in recs if not sn or (len(r[0]), r[0]) > (len(sn), sn)]
        start = int(q.get("next_token", "0") or 0)
        page = sel[start:start + per]
        for rid, _ in page:
            log("sent.log", rid)
        meta = {"result_count": len(page)}
        if page:
            meta["newest_id"] = page[0][0]
            meta["oldest_id"] = page[-1][0]
        if start + per < len(sel):
            meta["next_token"] = str(start + per)
        data = [json.loads(d)["data"] for _, d in page]
        return self.reply(200, {"data": data, "meta": meta} if data else {"meta": meta}, hdrs)


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--lifetime", type=float, default=120)
    p.add_argument("--script", default="hold")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--overlap", type=int, default=0)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--sorted", action="store_true")
    p.add_argument("--limit-every", type=int, default=0)
    p.add_argument("--warning", action="store_true")
    p.add_argument("--delay-ms", type=float, default=0)
    p.add_argument("--keepalive-ms", type=float, default=200)
    p.add_argument("--search-limit", type=int, default=180)
    p.add_argument("--reset-s", type=float, default=900)
    p.add_argument("--consumer-key", default="ck-test")
    p.add_argument("--consumer-secret", default="cs-test")
    p.add_argument("--token", default="at-test")
    p.add_argument("--token-secret", default="ats-test")
    p.add_argument("--bearer", default="bearer-test")
    A = p.parse_args()
    os.makedirs(A.dir, exist_ok=True)
    load_data()
    srv = ThreadingHTTPServer(("127.0.0.1", A.port), H)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    threading.Timer(A.lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
