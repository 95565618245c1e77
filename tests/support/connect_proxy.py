#!/usr/bin/env python3
"""A small HTTP CONNECT proxy for the tests (stdlib only).

Listens on 127.0.0.1 (--port 0 picks a free port, printed as "port=N" on
stdout once listening). Each CONNECT HOST:PORT to a loopback target is
answered "200 Connection established" and the bytes are copied both ways
until either side closes; every tunnel is appended to --log as one JSON
line {"n": N, "target": "HOST:PORT", "agent": UA, "up": BYTES, "down":
BYTES} when it ends (and {"n": N, ..., "open": true} when it starts; UA is
the CONNECT request's User-Agent: libcurl sends vigil's, lws "lws"). Anything
else (a plain GET, a target off loopback) gets 405 / 403 and is logged with
"refused". The proxy sees only TLS bytes when the client tunnels TLS.
"""
import argparse
import json
import socket
import sys
import threading

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Log:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.n = 0

    def next(self):
        with self.lock:
            self.n += 1
            return self.n

    def write(self, rec):
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")


def pipe(src, dst, counter, key):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            counter[key] += len(b)
            dst.sendall(b)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(conn, log):
    conn.settimeout(10)
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 16384:
            b = conn.recv(4096)
            if not b:
                conn.close()
                return
            head += b
    except OSError:
        conn.close()
        return
    hdr, _, rest = head.partition(b"\r\n\r\n")
    line = hdr.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    if len(parts) != 3 or parts[0] != "CONNECT":
        log.write({"refused": line})
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        return
    target = parts[1]
    agent = ""
    for h in hdr.split(b"\r\n")[1:]:
        k, _, v = h.decode("latin-1").partition(":")
        if k.strip().lower() == "user-agent":
            agent = v.strip()
    host, _, port = target.rpartition(":")
    if host not in LOOPBACK or not port.isdigit():
        log.write({"refused": line})
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        return
    try:
        up = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
    except OSError:
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        return
    n = log.next()
    log.write({"n": n, "target": target, "agent": agent, "open": True})
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    conn.settimeout(None)
    up.settimeout(None)
    counter = {"up": 0, "down": 0}
    if rest:
        up.sendall(rest)
        counter["up"] += len(rest)
    t = threading.Thread(target=pipe, args=(up, conn, counter, "down"), daemon=True)
    t.start()
    pipe(conn, up, counter, "up")
    t.join()
    conn.close()
    up.close()
    log.write({"n": n, "target": target, "agent": agent, "up": counter["up"], "down": counter["down"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = Log(a.log)
    open(a.log, "a").close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.port))
    s.listen(64)
    print("port=%d" % s.getsockname()[1], flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
