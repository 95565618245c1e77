#!/usr/bin/env bash
# vigil-sim processes every HTTP request exactly once, whatever its body
# framing: no body, Content-Length: 0 (what urllib sends for a POST with the
# parameters in the query), a form / JSON body, Transfer-Encoding: chunked
# (one chunk, several chunks over several TCP writes, an empty one),
# parameters split between query and body, keep-alive connections; for
# POST, DELETE and PUT, Binance and Bybit. Each case checks the sim's own
# record: the order count and position size in /_sim/state, one request in
# /_sim/log and one create / cancel in /_sim/order_log.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}

"$B/vigil-sim" --port 0 >"$VIGIL_TMP/sim.out" 2>"$VIGIL_TMP/sim.err" &
VIGIL_BG_PIDS[sim]=$!
for _ in $(seq 100); do grep -q '^port=' "$VIGIL_TMP/sim.out" && break; sleep 0.05; done
PORT=$(sed -n 's/^port=//p' "$VIGIL_TMP/sim.out")
[ -n "$PORT" ] || { echo "vigil-sim did not print port="; cat "$VIGIL_TMP/sim.err"; exit 1; }

timeout 120 python3 - "$PORT" <<'PY'
import hashlib, hmac, http.client, json, re, socket, sys, time, urllib.request

PORT = int(sys.argv[1])
BK, BS = "sim-binance-key", "sim-binance-secret"
YK, YS = "sim-bybit-key", "sim-bybit-secret"
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def hm(secret, msg):
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


def ctl(path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d/_sim%s" % (PORT, path),
                                 data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    return json.load(urllib.request.urlopen(req, timeout=5))


def reset():
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/_sim/reset" % PORT, data=b"",
                                                  method="POST"), timeout=5).read()


def raw(parts, pause=0.0):
    """Sends the byte strings one TCP write each; returns (status, body)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    for i, p in enumerate(parts):
        s.sendall(p)
        if pause and i + 1 < len(parts):
            time.sleep(pause)
    out = b""
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        out += d
        if b"\r\n\r\n" in out:
            h, b = out.split(b"\r\n\r\n", 1)
            m = re.search(rb"content-length: *(\d+)", h, re.I)
            if m and len(b) >= int(m.group(1)):
                break
    s.close()
    if not out:
        return 0, b""
    h, b = out.split(b"\r\n\r\n", 1)
    return int(h.split(b" ")[1]), b


def bn_signed(params):
    q = params + "&timestamp=%d" % int(time.time() * 1000)
    return q + "&signature=" + hm(BS, q)


def bn_split(qpart, bpart):
    """Signature over query + body (no separator), appended to the body."""
    bpart = bpart + "&timestamp=%d" % int(time.time() * 1000)
    return qpart, bpart + "&signature=" + hm(BS, qpart + bpart)


def chunked(body, sizes=None):
    b = body.encode() if isinstance(body, str) else body
    out, i = [], 0
    for n in (sizes or [len(b)]):
        if i >= len(b):
            break
        c = b[i:i + n]
        out.append(b"%x\r\n%s\r\n" % (len(c), c))
        i += n
    if i < len(b):
        out.append(b"%x\r\n%s\r\n" % (len(b) - i, b[i:]))
    out.append(b"0\r\n\r\n")
    return out


def head(method, path, extra, key=BK):
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-MBX-APIKEY: %s\r\nConnection: close\r\n" % (method, path, key)
    return (h + "".join(x + "\r\n" for x in extra) + "\r\n").encode()


def state(key=BK):
    return ctl("/state?account=" + key)


def log(key=BK):
    return ctl("/log?account=" + key)


def olog(key=BK):
    return ctl("/order_log?account=" + key)


def expect_one_order(name, key, sym, amt, method="POST", path="/fapi/v1/order"):
    st = state(key)
    pos = [p["amt"] for p in st["positions"] if p["symbol"] == sym]
    reqs = [e for e in log(key) if e["method"] == method and e["path"] == path]
    creates = [e for e in olog(key) if e["event"] == "create" and e["by"] == "rest"]
    check(len(st["orders"]) == 1 and pos == [amt],
          "%s: one order, position %s (orders=%d, position=%s)" % (name, amt, len(st["orders"]), pos))
    check(len(reqs) == 1 and reqs[0]["status"] == 200,
          "%s: one request in /_sim/log (%s)" % (name, [(e["method"], e["status"]) for e in reqs]))
    check(len(creates) == 1 and creates[0]["request"] == method + " " + path,
          "%s: one create in /_sim/order_log (%d)" % (name, len(creates)))


# ---- Binance POST /fapi/v1/order: every framing, one BUY 0.01 -------------------
ORDER = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01"
FORM = "Content-Type: application/x-www-form-urlencoded"

reset()
st, _ = raw([head("POST", "/fapi/v1/order?" + bn_signed(ORDER), [])])
check(st == 200, "query, no body, no Content-Length: 200 (%d)" % st)
expect_one_order("query / no body", BK, "BTCUSDT", "0.010")

reset()  # exactly what Python's urllib sends: Content-Length: 0
r = urllib.request.Request("http://127.0.0.1:%d/fapi/v1/order?%s" % (PORT, bn_signed(ORDER)), data=b"",
                           method="POST", headers={"X-MBX-APIKEY": BK})
check(urllib.request.urlopen(r, timeout=5).status == 200, "urllib POST, Content-Length: 0: 200")
expect_one_order("query / Content-Length: 0 (urllib)", BK, "BTCUSDT", "0.010")

reset()
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
c.request("POST", "/fapi/v1/order", body=bn_signed(ORDER),
          headers={"X-MBX-APIKEY": BK, "Content-Type": "application/x-www-form-urlencoded"})
check(c.getresponse().status == 200, "form body with Content-Length: 200")
c.close()
expect_one_order("form body / Content-Length", BK, "BTCUSDT", "0.010")

reset()
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
c.request("POST", "/fapi/v1/order", body=iter([bn_signed(ORDER).encode()]), encode_chunked=True,
          headers={"X-MBX-APIKEY": BK, "Content-Type": "application/x-www-form-urlencoded"})
rs = c.getresponse()
check(rs.status == 200, "form body chunked (http.client): 200 (%d %s)" % (rs.status, rs.read()[:120]))
c.close()
expect_one_order("form body / chunked", BK, "BTCUSDT", "0.010")

reset()  # several chunks, each its own TCP write, a pause between
st, _ = raw([head("POST", "/fapi/v1/order", [FORM, "Transfer-Encoding: chunked"])] +
            chunked(bn_signed(ORDER), [7, 1, 30, 5]), pause=0.05)
check(st == 200, "form body in 5 chunks over separate writes: 200 (%d)" % st)
expect_one_order("form body / multi-chunk", BK, "BTCUSDT", "0.010")

reset()  # parameters split between query and body
qp, bp = bn_split("symbol=BTCUSDT&side=BUY", "type=MARKET&quantity=0.01")
st, body = raw([head("POST", "/fapi/v1/order?" + qp, [FORM, "Content-Length: %d" % len(bp)]) + bp.encode()])
check(st == 200, "params split query + body: 200 (%d %s)" % (st, body[:100]))
expect_one_order("split query + body", BK, "BTCUSDT", "0.010")

reset()  # split again, body chunked
qp, bp = bn_split("symbol=BTCUSDT&side=BUY", "type=MARKET&quantity=0.01")
st, body = raw([head("POST", "/fapi/v1/order?" + qp, [FORM, "Transfer-Encoding: chunked"])] + chunked(bp, [10]),
               pause=0.02)
check(st == 200, "params split query + chunked body: 200 (%d %s)" % (st, body[:100]))
expect_one_order("split query + chunked body", BK, "BTCUSDT", "0.010")

reset()  # query + an empty chunked body
st, _ = raw([head("POST", "/fapi/v1/order?" + bn_signed(ORDER), ["Transfer-Encoding: chunked"]), b"0\r\n\r\n"])
check(st == 200, "query + empty chunked body: 200 (%d)" % st)
expect_one_order("query / empty chunked body", BK, "BTCUSDT", "0.010")

reset()  # a malformed chunked body is refused and executes nothing
st, _ = raw([head("POST", "/fapi/v1/order", [FORM, "Transfer-Encoding: chunked"]), b"zz\r\nxx\r\n0\r\n\r\n"])
check(st == 400 and state()["orders"] == [], "malformed chunked body: 400, no order (%d)" % st)

# ---- keep-alive: three framings on one connection -----------------------------
reset()
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
for i, how in enumerate(["cl0", "form", "chunked", "cl0"]):
    hd = {"X-MBX-APIKEY": BK}
    if how == "cl0":
        c.request("POST", "/fapi/v1/order?" + bn_signed(ORDER), body=b"", headers=hd)
    elif how == "form":
        hd["Content-Type"] = "application/x-www-form-urlencoded"
        c.request("POST", "/fapi/v1/order", body=bn_signed(ORDER), headers=hd)
    else:
        hd["Content-Type"] = "application/x-www-form-urlencoded"
        c.request("POST", "/fapi/v1/order", body=iter([bn_signed(ORDER).encode()]), encode_chunked=True, headers=hd)
    rs = c.getresponse()
    rs.read()
    check(rs.status == 200, "keep-alive request %d (%s): 200 (%d)" % (i + 1, how, rs.status))
c.close()
st = state()
pos = [p["amt"] for p in st["positions"] if p["symbol"] == "BTCUSDT"]
check(len(st["orders"]) == 4 and pos == ["0.040"], "keep-alive: 4 requests, 4 orders, 0.040 (%d, %s)" % (len(st["orders"]), pos))

# ---- DELETE: cancel exactly once ----------------------------------------------
def limit_order():
    a = ctl("/step", {"account": BK, "op": "order", "symbol": "LTCUSDT", "type": "LIMIT", "side": "BUY",
                      "qty": "1", "price": "70", "client_id": "bot-lim"})
    return a["order_id"]


def expect_one_cancel(name, path="/fapi/v1/order", key=BK):
    dels = [e for e in log(key) if e["method"] in ("DELETE", "POST") and e["path"] == path]
    cancels = [e for e in olog(key) if e["event"] == "cancel"]
    check(len(dels) == 1 and dels[0]["status"] == 200,
          "%s: one request, 200 (%s)" % (name, [(e["method"], e["status"]) for e in dels]))
    check(len(cancels) == 1 and cancels[0]["by"] == "rest" and cancels[0]["request_seq"] == dels[0]["seq"],
          "%s: one cancel by that request in /_sim/order_log (%s)" % (name, [(e["by"], e["request_seq"]) for e in cancels]))


reset()
oid = limit_order()
r = urllib.request.Request("http://127.0.0.1:%d/fapi/v1/order?%s" % (PORT, bn_signed("symbol=LTCUSDT&orderId=" + oid)),
                           data=b"", method="DELETE", headers={"X-MBX-APIKEY": BK})
check(urllib.request.urlopen(r, timeout=5).status == 200, "DELETE query + Content-Length: 0: 200")
expect_one_cancel("DELETE query / Content-Length: 0")

reset()
oid = limit_order()
st, _ = raw([head("DELETE", "/fapi/v1/order?" + bn_signed("symbol=LTCUSDT&orderId=" + oid), [])])
expect_one_cancel("DELETE query / no body")

reset()
oid = limit_order()
b = bn_signed("symbol=LTCUSDT&orderId=" + oid)
st, _ = raw([head("DELETE", "/fapi/v1/order", [FORM, "Content-Length: %d" % len(b)]) + b.encode()])
check(st == 200, "DELETE form body: 200 (%d)" % st)
expect_one_cancel("DELETE form body")

reset()  # lws reads no chunked DELETE body: the query carries the parameters, once
oid = limit_order()
st, _ = raw([head("DELETE", "/fapi/v1/order?" + bn_signed("symbol=LTCUSDT&orderId=" + oid),
                  ["Transfer-Encoding: chunked"]), b"0\r\n\r\n"])
check(st == 200, "DELETE query + empty chunked body: 200 (%d)" % st)
expect_one_cancel("DELETE query / chunked")

reset()
a = ctl("/step", {"account": BK, "op": "open", "symbol": "ETHUSDT", "side": "BUY", "qty": "1"})
a = ctl("/step", {"account": BK, "op": "stop", "symbol": "ETHUSDT", "trigger": "2900", "client_id": "bot-sl"})
r = urllib.request.Request("http://127.0.0.1:%d/fapi/v1/algoOrder?%s" % (PORT, bn_signed("clientAlgoId=bot-sl")),
                           data=b"", method="DELETE", headers={"X-MBX-APIKEY": BK})
check(urllib.request.urlopen(r, timeout=5).status == 200, "DELETE algoOrder Content-Length: 0: 200")
expect_one_cancel("DELETE algoOrder", "/fapi/v1/algoOrder")

# ---- PUT listenKey -----------------------------------------------------------
reset()
lk = json.loads(raw([head("POST", "/fapi/v1/listenKey", ["Content-Length: 0"])])[1])["listenKey"]
for name, extra, tail in [("Content-Length: 0", ["Content-Length: 0"], b""), ("no body", [], b""),
                          ("chunked empty", ["Transfer-Encoding: chunked"], b"0\r\n\r\n")]:
    n0 = len([e for e in log() if e["method"] == "PUT"])
    st, body = raw([head("PUT", "/fapi/v1/listenKey", extra) + tail])
    n1 = len([e for e in log() if e["method"] == "PUT"])
    check(st == 200 and json.loads(body)["listenKey"] == lk and n1 - n0 == 1,
          "PUT listenKey (%s): 200, logged once (%d, %d)" % (name, st, n1 - n0))

# ---- Bybit: JSON bodies ----------------------------------------------------------
def by_headers(payload):
    ts = str(int(time.time() * 1000))
    return ["X-BAPI-API-KEY: " + YK, "X-BAPI-TIMESTAMP: " + ts, "X-BAPI-RECV-WINDOW: 5000",
            "X-BAPI-SIGN: " + hm(YS, ts + YK + "5000" + payload), "Content-Type: application/json"]


def by_head(path, extra):
    h = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % path
    return (h + "".join(x + "\r\n" for x in extra) + "\r\n").encode()


CREATE = json.dumps({"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market",
                     "qty": "0.01", "orderLinkId": "vgl-once"})
reset()
st, body = raw([by_head("/v5/order/create", by_headers(CREATE) + ["Content-Length: %d" % len(CREATE)]) + CREATE.encode()])
check(st == 200 and json.loads(body)["retCode"] == 0, "bybit create, Content-Length: retCode 0 (%s)" % body[:80])
expect_one_order("bybit create / Content-Length", YK, "BTCUSDT", "0.010", "POST", "/v5/order/create")

reset()
st, body = raw([by_head("/v5/order/create", by_headers(CREATE) + ["Transfer-Encoding: chunked"])] + chunked(CREATE, [9, 40]),
               pause=0.03)
check(st == 200 and json.loads(body)["retCode"] == 0, "bybit create, chunked: retCode 0 (%s)" % body[:80])
expect_one_order("bybit create / chunked", YK, "BTCUSDT", "0.010", "POST", "/v5/order/create")

reset()
a = ctl("/step", {"account": YK, "op": "order", "symbol": "LTCUSDT", "type": "LIMIT", "side": "Buy",
                  "qty": "1", "price": "70", "client_id": "bot-lim"})
CANCEL = json.dumps({"category": "linear", "symbol": "LTCUSDT", "orderLinkId": "bot-lim"})
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
c.request("POST", "/v5/order/cancel", body=iter([CANCEL.encode()]), encode_chunked=True,
          headers=dict(x.split(": ", 1) for x in by_headers(CANCEL)))
rs = c.getresponse()
check(rs.status == 200 and json.loads(rs.read())["retCode"] == 0, "bybit cancel, chunked: retCode 0")
c.close()
expect_one_cancel("bybit cancel / chunked", "/v5/order/cancel", YK)

# ---- the control API too ----------------------------------------------------------
reset()
STEP = json.dumps({"account": BK, "op": "open", "symbol": "BTCUSDT", "side": "BUY", "qty": "0.01"})
st, _ = raw([b"POST /_sim/step HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"] +
            chunked(STEP, [5]), pause=0.02)
st2 = state()
check(st == 200 and len(st2["orders"]) == 1, "POST /_sim/step chunked: one order (%d)" % len(st2["orders"]))

print("%d failed" % failures if failures else "all request-framing checks passed")
sys.exit(1 if failures else 0)
PY
