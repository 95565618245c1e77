#!/usr/bin/env python3
"""A tiny local fake of the Telegram Bot API, for vigil's alert tests.

Listens on 127.0.0.1 (--port 0 = any free port) and prints "port=N".
POST /bot<TOKEN>/sendMessage (JSON or form body):
  - 401 if --token is given and differs;
  - 400 "message is too long" if text > 4096 characters;
  - 400 "can't parse entities" if parse_mode is HTML and the text has a bare
    '&' (not an entity), a '<' that does not open <b>/<i>/<code>/<pre>/<a>,
    or a '>' outside a tag (stricter than Telegram, on purpose);
  - else {"ok":true,"result":{"message_id":N,...}}.
Every request is appended to --log as one JSON line:
  {"ts":..., "path":..., "token":..., "status":..., "body":{...}}.
Control (no token): POST /control with JSON
  {"fail": N, "status": 500}                  next N sendMessage answer 500
  {"fail": N, "status": 429, "retry_after": S} next N answer 429 + retry_after
  {"delay_ms": D}                               answer sendMessage after D ms
  {"reset": true}                               clear failures and delay
GET /control returns the counters.
POST /hook (any JSON): a generic webhook receiver for the webhook channel;
recorded the same way (token ""), answers 200 {"ok":true} or the failure.
Python standard library only.
"""
import argparse
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"fail": 0, "status": 500, "retry_after": 1, "delay_ms": 0, "next_id": 1, "requests": 0}
ARGS = None

TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a(\s+href=\"[^\"]*\")?|tg-spoiler|span(\s+class=\"tg-spoiler\")?)>")
ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def html_ok(text):
    i = 0
    while i < len(text):
        c = text[i]
        if c == "<":
            m = TAG.match(text, i)
            if not m:
                return False
            i = m.end()
            continue
        if c == ">":
            return False
        if c == "&":
            m = ENTITY.match(text, i)
            if not m:
                return False
            i = m.end()
            continue
        i += 1
    return True


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, path, token, status, body, extra=None):
        rec = {"ts": time.time(), "path": path, "token": token, "status": status, "body": body}
        rec.update(extra or {})
        line = json.dumps(rec)
        with LOCK:
            with open(ARGS.log, "a") as f:
                f.write(line + "\n")

    def do_GET(self):
        if self.path == "/control":
            with LOCK:
                self.answer(200, dict(STATE))
            return
        self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path == "/control":
            cmd = json.loads(raw or b"{}")
            with LOCK:
                if cmd.get("reset"):
                    STATE.update(fail=0, status=500, retry_after=1, delay_ms=0)
                for k in ("fail", "status", "retry_after", "delay_ms"):
                    if k in cmd:
                        STATE[k] = int(cmd[k])
            self.answer(200, {"ok": True})
            return
        if self.path.startswith("/hook"):
            with LOCK:
                fail = STATE["fail"] > 0
                if fail:
                    STATE["fail"] -= 1
                status, retry_after = STATE["status"], STATE["retry_after"]
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            # the exact bytes and the signature header, to verify the HMAC
            extra = {"raw": raw.decode(errors="replace"),
                     "signature": self.headers.get("X-Vigil-Signature", "")}
            if fail:
                self.record(self.path, "", status, body, extra)
                self.answer(status, {"ok": False}, {"Retry-After": str(retry_after)} if status == 429 else None)
            else:
                self.record(self.path, "", 200, body, extra)
                self.answer(200, {"ok": True})
            return
        m = re.match(r"^/bot([^/]+)/(\w+)$", self.path)
        if not m:
            self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = m.group(1), m.group(2)
        ctype = self.headers.get("Content-Type", "")
        try:
            if "json" in ctype:
                body = json.loads(raw or b"{}")
            else:
                body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        except ValueError:
            self.record(self.path, token, 400, {"raw": raw.decode(errors="replace")})
            self.answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"})
            return
        with LOCK:
            STATE["requests"] += 1
            fail = STATE["fail"] > 0
            if fail:
                STATE["fail"] -= 1
            status, retry_after, delay = STATE["status"], STATE["retry_after"], STATE["delay_ms"]
        if delay:
            time.sleep(delay / 1000.0)
        if ARGS.token and token != ARGS.token:
            self.record(self.path, token, 401, body)
            self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        if method != "sendMessage":
            self.record(self.path, token, 404, body)
            self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        if fail:
            self.record(self.path, token, status, body)
            if status == 429:
                self.answer(429, {"ok": False, "error_code": 429,
                                  "description": "Too Many Requests: retry after %d" % retry_after,
                                  "parameters": {"retry_after": retry_after}},
                            {"Retry-After": str(retry_after)})
            else:
                self.answer(status, {"ok": False, "error_code": status, "description": "Internal Server Error"})
            return
        text = body.get("text", "")
        if not body.get("chat_id") or not text:
            self.record(self.path, token, 400, body)
            self.answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id and text required"})
            return
        if len(text) > 4096:
            self.record(self.path, token, 400, body)
            self.answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
            return
        if body.get("parse_mode") == "HTML" and not html_ok(text):
            self.record(self.path, token, 400, body)
            self.answer(400, {"ok": False, "error_code": 400,
                              "description": "Bad Request: can't parse entities"})
            return
        with LOCK:
            mid = STATE["next_id"]
            STATE["next_id"] += 1
        self.record(self.path, token, 200, body)
        self.answer(200, {"ok": True, "result": {"message_id": mid, "date": int(time.time()),
                                                 "chat": {"id": body.get("chat_id")}, "text": text}})


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--token", default="")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), H)
    srv.daemon_threads = True
    print("port=%d" % srv.server_address[1], flush=True)
    try:
        sys.stdout.close()  # the spawner may close its end of the pipe
    except OSError:
        pass
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
