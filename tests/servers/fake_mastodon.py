#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fake_mastodon.py - a Mastodon instance for tests, replaying recorded
# payloads from ../shared/data/mastodon-samples (read in place).
#
#   GET /api/v1/instance            urls.streaming_api = ws://localhost:PORT
#                                   (a different host name than the
#                                   client used, so discovery shows)
#   GET /api/v1/streaming/public, /public/local, /hashtag?tag=T,
#       /hashtag/local?tag=T, /user, /direct    text/event-stream:
#       every event of streaming-sse/*.sse.txt, then an `update` for each
#       status of rest-localhost-dev/*POST_api_v1_statuses.json, with
#       ":thump" heartbeats every --heartbeat-ms, then heartbeats only.
#       One live stream: a reconnect goes on after the last event sent.
#   GET /api/v1/streaming (WebSocket) subscribe messages
#       {"type":"subscribe","stream":S[,"tag":T]} answered with the same
#       events as {"stream":[S],"event":E,"payload":P} text messages;
#       each subscribe message is logged as "SUB <message>"
#
# --token T: streaming needs "Authorization: Bearer T" or ?access_token=T
# (else 401 JSON).
# First connection only: --drop-after N closes after N events, --stall-after
# N goes silent (no heartbeats either). --status CODE answers the first
# --status-times streaming requests with CODE. --log FILE appends one
# line per request: "METHOD TARGET host=H auth=yes|no".
import argparse
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslib  # noqa: E402


def load_events():
    """[(event, data)] in replay order."""
    top = os.path.join(os.environ.get("ROOST_SHARED_DATA", ""),
                       "mastodon-samples")
    out = []
    for path in sorted(glob.glob(os.path.join(top, "streaming-sse",
                                              "*.sse.txt"))):
        ev, data = None, []
        with open(path, "rb") as f:
            for raw in f.read().split(b"\n"):
                line = raw.rstrip(b"\r")
                if line.startswith(b"event:"):
                    ev = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    d = line[5:]
                    data.append(d[1:] if d.startswith(b" ") else d)
                elif line == b"" and data:
                    out.append((ev or "message", b"\n".join(data)))
                    ev, data = None, []
        if data:
            out.append((ev or "message", b"\n".join(data)))
    for path in sorted(glob.glob(os.path.join(
            top, "rest-localhost-dev", "*POST_api_v1_statuses.json"))):
        with open(path, "rb") as f:
            body = f.read().strip()
        out.append(("update", body))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token")
    ap.add_argument("--drop-after", type=int, default=-1)
    ap.add_argument("--stall-after", type=int, default=-1)
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--status-times", type=int, default=1)
    ap.add_argument("--heartbeat-ms", type=float, default=200)
    ap.add_argument("--interval-ms", type=float, default=1)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=60)
    args = ap.parse_args()
    events = load_events()
    state = {"streams": 0, "next": 0}
    port = [0]

    def authorized(req):
        if not args.token:
            return True
        return req.headers.get("authorization") == "Bearer " + args.token \
            or req.param("access_token") == args.token

    def refuse(sock):
        wslib.send_response(
            sock, 401, "Unauthorized",
            [("Content-Type", "application/json")],
            b'{"error":"The access token is invalid"}')

    def sse(sock, n):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Cache-Control: no-store\r\nConnection: close\r\n\r\n"
                     b":)\n")
        last_beat = time.time()
        sent = 0
        # One live stream: a new connection goes on where the last one
        # stopped, as the real service does (no replay).
        while state["next"] < len(events):
            if n == 1 and sent == args.drop_after:
                return
            if n == 1 and sent == args.stall_after:
                time.sleep(args.lifetime)
                return
            ev, data = events[state["next"]]
            state["next"] += 1
            sent += 1
            body = b"event: " + ev.encode() + b"\n"
            for line in data.split(b"\n"):
                body += b"data: " + line + b"\n"
            body += b"\n"
            # split the event across writes, as TCP may
            half = len(body) // 2
            sock.sendall(body[:half])
            sock.sendall(body[half:])
            if time.time() - last_beat >= args.heartbeat_ms / 1000.0:
                sock.sendall(b":thump\n")
                last_beat = time.time()
            time.sleep(args.interval_ms / 1000.0)
        while True:
            time.sleep(args.heartbeat_ms / 1000.0)
            sock.sendall(b":thump\n")

    def websocket(sock, req, n):
        wslib.accept_ws(sock, req)
        sent = 0
        while True:
            op, data = wslib.ws_read(sock)
            if op == 8:
                return
            if op != 1:
                continue
            msg = json.loads(data)
            if msg.get("type") != "subscribe":
                continue
            wslib.log_line(args.log, "SUB " + data.decode())
            stream = [msg.get("stream", "public")]
            if msg.get("tag"):
                stream.append(msg["tag"])
            for ev, payload in events:
                if n == 1 and sent == args.drop_after:
                    wslib.abort(sock)
                    return
                if n == 1 and sent == args.stall_after:
                    time.sleep(args.lifetime)
                    return
                p = payload.decode()
                out = json.dumps({"stream": stream, "event": ev,
                                  "payload": p}, separators=(",", ":"))
                sock.sendall(wslib.ws_frame(out.encode()))
                sent += 1
                time.sleep(args.interval_ms / 1000.0)

    def handle(sock, n):
        req = wslib.read_request(sock)
        if req is None:
            return
        wslib.log_line(args.log, "%s %s host=%s auth=%s" % (
            req.method, req.target, req.headers.get("host", ""),
            "yes" if "authorization" in req.headers else "no"))
        if req.path == "/api/v1/instance":
            body = json.dumps({
                "uri": "localhost", "title": "fake", "version": "4.3.0",
                "urls": {"streaming_api": "ws://localhost:%d" % port[0]},
            }).encode()
            wslib.send_response(sock, 200, "OK",
                                [("Content-Type", "application/json")], body)
            return
        if not req.path.startswith("/api/v1/streaming"):
            wslib.send_response(sock, 404, "Not Found")
            return
        if not authorized(req):
            refuse(sock)
            return
        state["streams"] += 1
        k = state["streams"]
        if args.status and k <= args.status_times:
            wslib.send_response(sock, args.status, "Failing",
                                [("Content-Type", "text/plain")], b"no\n")
            return
        if req.path == "/api/v1/streaming" and \
                req.headers.get("upgrade", "").lower() == "websocket":
            websocket(sock, req, k)
            return
        streams = ("/public", "/public/local", "/hashtag", "/hashtag/local",
                   "/user", "/direct")
        if req.path[len("/api/v1/streaming"):] not in streams:
            wslib.send_response(sock, 404, "Not Found")
            return
        if req.path.startswith("/api/v1/streaming/hashtag") and \
                not req.param("tag"):
            wslib.send_response(sock, 400, "Bad Request")
            return
        sse(sock, k)

    def on_port(p):
        port[0] = p

    wslib.serve(handle, args.lifetime, on_port)


if __name__ == "__main__":
    main()
