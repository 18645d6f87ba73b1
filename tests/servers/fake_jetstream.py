#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fake_jetstream.py - a Jetstream v1 server for tests: GET /subscribe over
# WebSocket replays recorded events from ../shared/data (read in place,
# never copied), honouring cursor, wantedCollections and wantedDids, and
# misbehaving on request.
#
#   fake_jetstream.py [--data FILE] [--interval-ms N] [--drop-after N]
#                     [--stall-after N] [--reject STATUS] [--log FILE]
#                     [--zstd-frames FILE] [--lifetime SECS]
#
# Prints "PORT n" when listening on 127.0.0.1. Events with time_us >=
# cursor are sent in file order (the recording is a little out of time_us
# order, like the live service). The first connection misbehaves:
# --drop-after N resets the socket after N events (no close frame),
# --stall-after N goes silent after N events and keeps the socket open.
# Later connections behave. --reject answers every handshake with STATUS.
# --zstd-frames holds the events pre-compressed (u32 length + frame, same
# order as the data file), sent as binary messages when the client asks
# compress=true. --log appends each request target to FILE.
import argparse
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wslib  # noqa: E402


def load(args):
    path = args.data
    if path is None:
        top = os.environ.get("ROOST_SHARED_DATA", "")
        path = os.path.join(top, "bluesky-jetstream-samples", "jetstream",
                            "expected_v1.jsonl")
    with open(path, "rb") as f:
        lines = [l.rstrip(b"\n") for l in f if l.strip()]
    return lines


def load_frames(args):
    """The compressed events; read per connection, so a test can write
    them after the server started."""
    frames = None
    if args.zstd_frames and os.path.exists(args.zstd_frames):
        frames = []
        with open(args.zstd_frames, "rb") as f:
            blob = f.read()
        i = 0
        while i < len(blob):
            n = struct.unpack("<I", blob[i:i + 4])[0]
            frames.append(blob[i + 4:i + 4 + n])
            i += 4 + n
    return frames


def wanted(ev, cols, dids):
    if dids and ev.get("did") not in dids:
        return False
    if cols and ev.get("kind") == "commit":
        c = ev.get("commit", {}).get("collection", "")
        return any(c == w or (w.endswith(".*") and c.startswith(w[:-1]))
                   for w in cols)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--interval-ms", type=float, default=1.0)
    ap.add_argument("--drop-after", type=int, default=-1)
    ap.add_argument("--stall-after", type=int, default=-1)
    ap.add_argument("--reject", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--zstd-frames")
    ap.add_argument("--lifetime", type=float, default=60)
    args = ap.parse_args()
    lines = load(args)
    events = [json.loads(l) for l in lines]

    def handle(sock, n):
        req = wslib.read_request(sock)
        if req is None:
            return
        wslib.log_line(args.log, req.target)
        if args.reject:
            wslib.send_response(sock, args.reject, "Refused",
                                [("Content-Type", "text/plain")],
                                b"refused\n")
            return
        if req.path != "/subscribe" or \
                req.headers.get("upgrade", "").lower() != "websocket":
            wslib.send_response(sock, 404, "Not Found")
            return
        wslib.accept_ws(sock, req)
        cursor = int(req.param("cursor", "0") or 0)
        cols = req.params("wantedCollections")
        dids = req.params("wantedDids")
        frames = load_frames(args) if req.param("compress") else None
        binary = req.param("compress") == "true" and frames is not None
        sent = 0
        for i, ev in enumerate(events):
            if ev["time_us"] < cursor or not wanted(ev, cols, dids):
                continue
            if n == 1 and sent == args.drop_after:
                wslib.abort(sock)
                return
            if n == 1 and sent == args.stall_after:
                break
            if binary:
                sock.sendall(wslib.ws_frame(frames[i], opcode=2))
            else:
                sock.sendall(wslib.ws_frame(lines[i]))
            sent += 1
            if args.interval_ms > 0:
                time.sleep(args.interval_ms / 1000.0)
        # Idle: answer pings, leave on close (a stall never answers).
        while True:
            op, data = wslib.ws_read(sock)
            if op == 8:
                if not (n == 1 and args.stall_after >= 0):
                    sock.sendall(wslib.ws_frame(data[:2], opcode=8))
                return
            if op == 9 and not (n == 1 and args.stall_after >= 0):
                sock.sendall(wslib.ws_frame(data, opcode=10))

    wslib.serve(handle, args.lifetime)


if __name__ == "__main__":
    main()
