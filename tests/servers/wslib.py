# SPDX-License-Identifier: MIT
#
# wslib.py - the small part of HTTP/1.1 and WebSocket (RFC 6455) the fake
# servers need, with the Python 3 standard library only: a threaded
# listener on 127.0.0.1 that prints "PORT n" once bound, request parsing,
# the upgrade handshake, and unmasked server frames / masked client frames.
#
# Every fake server also dies on its own after --lifetime seconds, so a
# test that forgets one never leaves it running.
import base64
import hashlib
import os
import signal
import socket
import struct
import sys
import threading
import urllib.parse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = headers  # lower-case names
        self.body = body
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def param(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def params(self, name):
        out = []
        for v in self.query.get(name, []):
            out.extend(x for x in v.split(",") if x)
        return out


def read_request(sock):
    """One HTTP request from sock, or None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0") or 0)
    while len(rest) < n:
        chunk = sock.recv(4096)
        if not chunk:
            break
        rest += chunk
    return Request(method, target, headers, rest[:n])


def send_response(sock, status, reason, headers=(), body=b""):
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        out += "%s: %s\r\n" % (k, v)
    out += "Content-Length: %d\r\n\r\n" % len(body)
    sock.sendall(out.encode("latin-1") + body)


def accept_ws(sock, req, protocol=None):
    key = req.headers.get("sec-websocket-key", "")
    acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest())
    out = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
           % acc.decode())
    if protocol:
        out += "Sec-WebSocket-Protocol: %s\r\n" % protocol
    sock.sendall((out + "\r\n").encode())


def ws_frame(payload, opcode=1):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def ws_read(sock):
    """(opcode, payload) of one client frame; raises on close/EOF."""
    b0, b1 = _read_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _read_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _read_exact(sock, 8))[0]
    mask = _read_exact(sock, 4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytearray(_read_exact(sock, n))
    for i in range(n):
        data[i] ^= mask[i % 4]
    return b0 & 0x0F, bytes(data)


def abort(sock):
    """Close with a reset, as a dropped connection looks."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def log_line(path, text):
    if path:
        with open(path, "a") as f:
            f.write(text + "\n")


def serve(handler, lifetime, on_port=None):
    """Listen on 127.0.0.1:0, print the port (and tell on_port), run
    handler(sock, n) per connection on its own thread (n counts
    connections from 1)."""
    signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.alarm(max(1, int(lifetime)))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    if on_port is not None:
        on_port(ls.getsockname()[1])
    print("PORT %d" % ls.getsockname()[1], flush=True)
    sys.stdout.flush()
    count = [0]

    def run(sock, n):
        try:
            handler(sock, n)
        except (OSError, ConnectionError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    while True:
        sock, _ = ls.accept()
        count[0] += 1
        threading.Thread(target=run, args=(sock, count[0]),
                         daemon=True).start()
