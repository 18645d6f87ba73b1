#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# sse_clients.py - open N concurrent Server-Sent Events connections to
# URL/api/v1/stream, read them for S seconds, and check that every client
# kept receiving updates (at least 2 `posts` events and 1 `stats` event).
# usage: sse_clients.py URL N SECONDS ; exit 0 when every client passed.
import selectors
import socket
import sys
import time
from urllib.parse import urlparse


def main():
    url, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    u = urlparse(url)
    sel = selectors.DefaultSelector()
    clients = []
    for i in range(n):
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        s.sendall(b"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n"
                  b"Accept: text/event-stream\r\n\r\n")
        s.setblocking(False)
        c = {"sock": s, "buf": b"", "posts": 0, "stats": 0, "closed": False,
             "status": None}
        clients.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    end = time.time() + secs
    while time.time() < end:
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            try:
                data = c["sock"].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                c["closed"] = True
                sel.unregister(c["sock"])
                continue
            c["buf"] += data
            if c["status"] is None and b"\r\n" in c["buf"]:
                c["status"] = c["buf"].split(b"\r\n", 1)[0].decode()
            # count complete events and keep the tail
            while b"\n\n" in c["buf"]:
                ev, c["buf"] = c["buf"].split(b"\n\n", 1)
                if b"event: posts\n" in ev + b"\n":
                    c["posts"] += 1
                elif b"event: stats\n" in ev + b"\n":
                    c["stats"] += 1
    bad = [i for i, c in enumerate(clients)
           if c["closed"] or c["posts"] < 2 or c["stats"] < 1]
    posts = [c["posts"] for c in clients]
    for c in clients:
        c["sock"].close()
    if bad:
        c = clients[bad[0]]
        print("%d of %d clients failed; first: status=%r posts=%d stats=%d "
              "closed=%s" % (len(bad), n, c["status"], c["posts"],
                             c["stats"], c["closed"]))
        return 1
    print("%d/%d clients, %d-%d posts events each in %.0f s"
          % (n, n, min(posts), max(posts), secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
