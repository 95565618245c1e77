#!/usr/bin/env bash
# vigil-sim rate limits and the answer_lost fault over real HTTP:
# - limits are off by default (a burst far past 2400 weight is answered);
# - the command-line switches (--binance-weight-limit, --binance-ban-after,
#   --binance-ban-ms, --bybit-ip-limit, --bybit-ban-ms, --bybit-uid-limits):
#   Binance 429 -1003 + Retry-After (seconds to the minute's end), 418 +
#   Retry-After after more 429s, 418 during the ban; Bybit 10006 with
#   X-Bapi-Limit* headers per key + endpoint, 403 past the per-IP limit;
#   the counters in GET /_sim/limits and the rejected requests in /_sim/log;
# - POST /_sim/limits at run time, DELETE /_sim/limits, /_sim/reset, the
#   scenario key "limits"; /_sim/ itself is never limited;
# - answer_lost drop / hang / error / delay: the order is in /_sim/state
#   although the client got no answer / a 503 / 10016; count is honoured.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}

start_sim() { # NAME ARGS... -> prints the port
	local name=$1 port=
	shift
	"$B/vigil-sim" --port 0 "$@" >"$VIGIL_TMP/$name.out" 2>"$VIGIL_TMP/$name.err" &
	echo $! >"$VIGIL_TMP/$name.pid"
	for _ in $(seq 100); do grep -q '^port=' "$VIGIL_TMP/$name.out" && break; sleep 0.05; done
	port=$(sed -n 's/^port=//p' "$VIGIL_TMP/$name.out")
	[ -n "$port" ] || { echo "vigil-sim $name did not start: $(cat "$VIGIL_TMP/$name.err")" >&2; return 1; }
	echo "$port"
}

P1=$(start_sim plain)
P2=$(start_sim cli --binance-weight-limit 60 --binance-ban-after 1 --binance-ban-ms 1500 \
	--bybit-ip-limit 20 --bybit-ban-ms 1000 --bybit-uid-limits)
cat >"$VIGIL_TMP/limits.json" <<'JSON'
{"limits": {"binance_weight_1m": 10, "binance_ban_after": 0, "ban_ms": 3000}}
JSON
P3=$(start_sim scen --scenario "$VIGIL_TMP/limits.json")
# a bad switch value is refused at start
if "$B/vigil-sim" --port 0 --binance-weight-limit -5 >/dev/null 2>"$VIGIL_TMP/bad.err"; then
	echo "FAIL --binance-weight-limit -5 accepted"; exit 1
fi
grep -q 'binance_weight_1m' "$VIGIL_TMP/bad.err" || { echo "FAIL bad switch message: $(cat "$VIGIL_TMP/bad.err")"; exit 1; }

timeout 150 python3 - "$P1" "$P2" "$P3" <<'PY'
import hashlib, hmac, http.client, json, socket, sys, time

P1, P2, P3 = (int(x) for x in sys.argv[1:4])
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


class Conn:
    def __init__(self, port, timeout=5):
        self.port, self.timeout, self.c = port, timeout, None

    def req(self, method, path, body=None, headers=None):
        """(status, headers dict lower-case, body str); reconnects when needed."""
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read().decode()
                hs = {k.lower(): v for k, v in r.getheaders()}
                if hs.get("connection", "").lower() == "close":
                    self.close()
                return r.status, hs, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.c:
            self.c.close()
        self.c = None


def ctl(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, "/_sim" + path, body=None if body is None else json.dumps(body))
    r = c.getresponse()
    d = r.read().decode()
    c.close()
    return r.status, json.loads(d) if d else None


def bn(conn, method, path, params=""):
    q = (params + "&" if params else "") + "timestamp=%d&recvWindow=5000" % int(time.time() * 1000)
    q += "&signature=" + hm(BS, q)
    h = {"X-MBX-APIKEY": BK}
    if method == "POST":
        h["Content-Type"] = "application/x-www-form-urlencoded"
        return conn.req(method, path, q, h)
    return conn.req(method, path + "?" + q, None, h)


def bb(conn, method, path, payload=""):
    ts = str(int(time.time() * 1000))
    h = {"X-BAPI-API-KEY": YK, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000",
         "X-BAPI-SIGN": hm(YS, ts + YK + "5000" + payload)}
    if method == "POST":
        h["Content-Type"] = "application/json"
        return conn.req(method, path, payload, h)
    return conn.req(method, path + ("?" + payload if payload else ""), None, h)


def bb_create(conn, link, typ="Limit", price="50", qty="0.1"):
    body = {"category": "linear", "symbol": "LTCUSDT", "side": "Buy", "orderType": typ,
            "qty": qty, "orderLinkId": link}
    if typ == "Limit":
        body["price"] = price
    return bb(conn, "POST", "/v5/order/create", json.dumps(body))


def wait_minute_room(secs):
    """Sleeps past the minute's end if fewer than secs remain in it."""
    left = 60 - time.time() % 60
    if left < secs:
        time.sleep(left + 0.2)


# ---------------------------------------------------------------- off by default
c = Conn(P1)
st, lim = ctl(P1, "GET", "/limits")
check(st == 200 and lim["config"]["binance_weight_1m"] == 0 and lim["config"]["bybit_ip_5s"] == 0
      and lim["config"]["bybit_uid"] is False, "limits off by default: %s" % lim["config"])
codes = [bn(c, "GET", "/fapi/v3/positionRisk")[0] for _ in range(520)]  # 2600 weight
check(codes.count(200) == 520, "520 x positionRisk (2600 weight) all 200 with limits off")
codes = [bb(c, "GET", "/v5/order/realtime", "category=linear&settleCoin=USDT")[0] for _ in range(700)]
check(codes.count(200) == 700, "700 Bybit requests in a few seconds all 200 with limits off")
st, lim = ctl(P1, "GET", "/limits")
check(lim["binance"]["rejected_429"] == 0 and lim["bybit"]["rejected_403"] == 0
      and lim["bybit"]["rejected_10006"] == 0, "nothing rejected")
acc = lim["accounts"][BK]["endpoints"]["GET /fapi/v3/positionRisk"]
check(acc["count"] == 520 and acc["weight"] == 2600 and acc["limited"] == 0,
      "per-account counts by path: %s" % acc)

# ------------------------------------------------------- runtime control endpoint
st, ans = ctl(P1, "POST", "/limits", {"binance_weight_1m": 10, "bybit_ip_5s": 3, "clear": True})
check(st == 200 and ans["ok"] and ans["config"]["binance_weight_1m"] == 10
      and ans["config"]["bybit_ip_5s"] == 3, "POST /_sim/limits sets the limits")
st, ans = ctl(P1, "POST", "/limits", {"binance_weight": 10})
check(st == 400 and "unknown key" in ans["error"], "POST /_sim/limits: unknown key refused (%s)" % ans)
wait_minute_room(5)
s, h, b = bn(c, "GET", "/fapi/v1/positionSide/dual")  # weight 30 > 10
check(s == 429 and json.loads(b)["code"] == -1003, "runtime limit: 429 -1003 (%d %s)" % (s, b))
for _ in range(20):
    st, _ = ctl(P1, "GET", "/state?account=" + BK)
check(st == 200, "/_sim/ is never limited")
codes = [bb(c, "GET", "/v5/market/time")[0] for _ in range(4)]
check(codes == [200, 200, 200, 403], "bybit_ip_5s 3: the 4th request in 5 s is 403 (%s)" % codes)
st, _ = ctl(P1, "POST", "/reset", {})
st, lim = ctl(P1, "GET", "/limits")
check(lim["config"]["binance_weight_1m"] == 0 and lim["config"]["bybit_ip_5s"] == 0
      and lim["binance"]["rejected_429"] == 0, "/_sim/reset: back to the start limits (off), counters cleared")
s, h, b = bn(c, "GET", "/fapi/v1/positionSide/dual")
check(s == 200, "after reset: answered again")

# ---------------------------------------------------------- command-line switches
c2 = Conn(P2)
st, lim = ctl(P2, "GET", "/limits")
check(lim["config"] == {"binance_weight_1m": 60, "binance_ban_after": 1, "binance_ban_ms": 1500,
                        "bybit_ip_5s": 20, "bybit_ban_ms": 1000, "bybit_uid": True},
      "command line sets the limits: %s" % lim["config"])
wait_minute_room(15)
used = []
for _ in range(12):  # 12 x 5 = 60: exactly the limit
    s, h, b = bn(c2, "GET", "/fapi/v3/positionRisk")
    used.append((s, int(h["x-mbx-used-weight-1m"])))
check(used == [(200, 5 * (i + 1)) for i in range(12)],
      "X-MBX-USED-WEIGHT-1M counts 5 per positionRisk up to the limit (%s)" % used[-3:])
s, h, b = bn(c2, "GET", "/fapi/v1/time")
left = 60 - time.time() % 60
ra = int(h.get("retry-after", "-1"))
check(s == 429 and json.loads(b)["code"] == -1003 and "Too many requests" in json.loads(b)["msg"],
      "61st weight: 429 -1003 (%d %s)" % (s, b))
check(abs(ra - left) <= 1.5 and 1 <= ra <= 60, "429 Retry-After %d = seconds until the minute turns (%.1f)" % (ra, left))
check(int(h["x-mbx-used-weight-1m"]) == 60, "refused request not charged")
s, h, b = bn(c2, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001")
check(s == 200, "weight-0 order placement still answered while the weight is used up (%d)" % s)
s, h, b = bn(c2, "GET", "/fapi/v1/time")
check(s == 429, "one further 429 tolerated (--binance-ban-after 1)")
s, h, b = bn(c2, "GET", "/fapi/v1/time")
check(s == 418 and json.loads(b)["code"] == -1003 and "banned until" in json.loads(b)["msg"]
      and h.get("retry-after") == "2", "the next one: 418 banned, Retry-After 2 (%d %s %s)" % (s, b, h.get("retry-after")))
s, h, b = bn(c2, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001")
check(s == 418, "during the ban everything is 418, orders too (%d)" % s)
st, lim = ctl(P2, "GET", "/limits")
check(lim["binance"]["rejected_429"] == 2 and lim["binance"]["rejected_418"] == 2
      and lim["binance"]["bans"] == 1 and lim["binance"]["banned"], "counters: %s" % lim["binance"])
st, logs = ctl(P2, "GET", "/log?account=" + BK)
rej = [(e["path"], e["status"]) for e in logs if e.get("rate_limited")]
check(rej == [("/fapi/v1/time", 429), ("/fapi/v1/time", 429), ("/fapi/v1/time", 418),
              ("/fapi/v1/order", 418)], "rejected requests in /_sim/log: %s" % rej)
time.sleep(1.6)
s, h, b = bn(c2, "GET", "/fapi/v1/time")
if 60 - time.time() % 60 > 2:  # same minute: still full, a new series of 429s
    check(s == 429, "ban over, same minute: 429 again (%d)" % s)
    bn(c2, "GET", "/fapi/v1/time")
    s, h, b = bn(c2, "GET", "/fapi/v1/time")
    check(s == 418 and h.get("retry-after") == "3", "repeat ban twice as long: Retry-After 3 (%d %s)" % (s, h.get("retry-after")))

# Bybit per key + endpoint (10/s on order/create), then per IP (20 / 5 s)
c2b = Conn(P2)
res = []
for i in range(11):
    s, h, b = bb_create(c2b, "vgl-u%d" % i)
    res.append((s, json.loads(b)["retCode"], h.get("x-bapi-limit"), h.get("x-bapi-limit-status")))
check(res[:10] == [(200, 0, "10", str(9 - i)) for i in range(10)],
      "10 creates in a second: 0, X-Bapi-Limit 10, Limit-Status 9..0 (%s)" % res[:3])
check(res[10][:2] == (200, 10006) and res[10][3] == "0", "11th create: HTTP 200 retCode 10006 (%s)" % (res[10],))
reset_ts = int(h.get("x-bapi-limit-reset-timestamp", "0"))
check(time.time() * 1000 - 50 <= reset_ts <= time.time() * 1000 + 1000,
      "X-Bapi-Limit-Reset-Timestamp within the next second (%d)" % reset_ts)
st, stt = ctl(P2, "GET", "/state?account=" + YK)
check(len([o for o in stt["orders"] if o["client_id"].startswith("vgl-u")]) == 10, "the refused create did nothing")
s, h, b = bb(c2b, "GET", "/v5/position/list", "category=linear&settleCoin=USDT")
check(s == 200 and json.loads(b)["retCode"] == 0 and h.get("x-bapi-limit") == "50", "another endpoint: own window, 50/s")
codes = [bb(c2b, "GET", "/v5/market/time")[0] for _ in range(9)]  # 21 requests in all
check(codes[:8] == [200] * 8 and codes[8] == 403, "the 21st Bybit request in 5 s: 403 (%s)" % codes)
s, h, b = bb(c2b, "GET", "/v5/market/time")
check(s == 403 and "access too frequent" in b, "403 access too frequent during the block (%d %s)" % (s, b))
s, h, b = bn(c2, "GET", "/fapi/v1/exchangeInfo")
st, lim = ctl(P2, "GET", "/limits")
check(lim["bybit"]["rejected_403"] == 2 and lim["bybit"]["rejected_10006"] == 1 and lim["bybit"]["bans"] == 1,
      "bybit counters: %s" % {k: lim["bybit"][k] for k in ("rejected_403", "rejected_10006", "bans")})
u = [x for x in lim["bybit"]["uid"] if x["account"] == YK and x["endpoint"] == "POST /v5/order/create"]
check(u and u[0]["accepted"] == 10 and u[0]["rejected"] == 1 and u[0]["limit"] == 10, "uid bucket: %s" % u)

# ----------------------------------------------------------------- scenario key
c3 = Conn(P3)
st, lim = ctl(P3, "GET", "/limits")
check(lim["config"]["binance_weight_1m"] == 10 and lim["config"]["binance_ban_ms"] == 3000,
      "scenario key limits applied: %s" % lim["config"])
wait_minute_room(3)
s1 = bn(c3, "GET", "/fapi/v1/positionSide/dual")
s2 = bn(c3, "GET", "/fapi/v1/positionSide/dual")
check(s1[0] == 429 and s2[0] == 418 and s2[1].get("retry-after") == "3",
      "binance_ban_after 0: 429 then 418 Retry-After 3 (%d %d)" % (s1[0], s2[0]))

# ------------------------------------------------------------------ answer_lost
c = Conn(P1)
ctl(P1, "POST", "/reset", {})


def bn_raw(method, path, params, timeout):
    """One request on its own connection: (status, body) or the exception name."""
    q = (params + "&" if params else "") + "timestamp=%d&recvWindow=5000" % int(time.time() * 1000)
    q += "&signature=" + hm(BS, q)
    h = {"X-MBX-APIKEY": BK, "Content-Type": "application/x-www-form-urlencoded"}
    k = http.client.HTTPConnection("127.0.0.1", P1, timeout=timeout)
    t0 = time.time()
    try:
        if method == "POST":
            k.request(method, path, q, h)
        else:
            k.request(method, path + "?" + q, None, h)
        r = k.getresponse()
        return r.status, r.read().decode(), time.time() - t0
    except (socket.timeout, TimeoutError) as e:
        return "timeout", type(e).__name__, time.time() - t0
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine) as e:
        return "closed", type(e).__name__, time.time() - t0
    finally:
        k.close()


def orders(key):
    return ctl(P1, "GET", "/state?account=" + key)[1]["orders"]


def by_client(key, cid):
    return [o for o in orders(key) if o["client_id"] == cid]


# drop: POST /fapi/v1/order executed, connection closed without an answer; count 1
st, f = ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "binance", "endpoint": "/fapi/v1/order",
                                   "mode": "drop", "count": 1})
check(st == 200 and f["ok"], "answer_lost fault accepted")
s, b, dt = bn_raw("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=vgl-d1", 3)
check(s == "closed", "drop: connection closed without an answer (%s %s)" % (s, b))
o = by_client(BK, "vgl-d1")
check(len(o) == 1 and o[0]["status"] == "FILLED", "drop: the order was executed (%s)" % o)
lg = [e for e in ctl(P1, "GET", "/log?account=" + BK)[1] if e["client_id"] == "vgl-d1"]
check(len(lg) == 1 and lg[0]["answer_lost"] == "drop" and lg[0]["status"] == 0 and lg[0]["lost_status"] == 200
      and '"orderId"' in lg[0]["lost_answer"], "drop: /_sim/log records the lost answer")
s, b, dt = bn_raw("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=vgl-d2", 3)
check(s == 200, "count 1: the next order is answered (%s)" % s)
st, fl = ctl(P1, "GET", "/faults")
check(fl[0]["hits"] == 1 and fl[0]["count"] == 0 and fl[0]["mode"] == "drop", "fault list: hits 1, count 0, mode")
ctl(P1, "DELETE", "/faults")

# drop after ms
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "binance", "mode": "drop", "ms": 400, "count": 1})
s, b, dt = bn_raw("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&newClientOrderId=vgl-d3", 3)
check(s == "closed" and dt >= 0.35, "drop with ms 400: closed after %.2fs" % dt)
check(len(by_client(BK, "vgl-d3")) == 1, "drop with ms: executed")
ctl(P1, "DELETE", "/faults")

# hang: POST /fapi/v1/algoOrder executed, never answered (client times out)
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "binance", "endpoint": "/fapi/v1/algoOrder",
                           "mode": "hang", "count": 1})
s, b, dt = bn_raw("POST", "/fapi/v1/algoOrder", "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET"
                  "&triggerPrice=50000&closePosition=true&clientAlgoId=vgl-h1", 1.5)
check(s == "timeout" and dt >= 1.4, "hang: no answer until the client times out (%s after %.2fs)" % (s, dt))
o = by_client(BK, "vgl-h1")
check(len(o) == 1 and o[0]["open"], "hang: the algo order is live (%s)" % [x["status"] for x in o])
s, h, b = bn(c, "GET", "/fapi/v1/time")
check(s == 200, "the sim keeps serving while a request hangs")

# error: DELETE /fapi/v1/algoOrder cancelled, answer 503 -1000 (execution status unknown)
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "binance", "endpoint": "/fapi/v1/algoOrder",
                           "mode": "error", "count": 1})
s, b, dt = bn_raw("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=vgl-h1", 3)
check(s == 503 and json.loads(b) == {"code": -1000, "msg": "Unknown error, please check your request or try again later."},
      "error: 503 -1000 unknown status (%s %s)" % (s, b))
o = by_client(BK, "vgl-h1")
check(len(o) == 1 and not o[0]["open"] and o[0]["cancelled_by"] == "rest", "error: the cancel was executed (%s)" % o)
ctl(P1, "DELETE", "/faults")

# Bybit: error (10016) on create, delay on cancel, hang on trading-stop
cb = Conn(P1)
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "bybit", "endpoint": "/v5/order/create",
                           "mode": "error", "count": 1})
s, h, b = bb_create(cb, "vgl-e1")
check(s == 200 and json.loads(b)["retCode"] == 10016, "bybit error: retCode 10016 (%d %s)" % (s, b))
check(len(by_client(YK, "vgl-e1")) == 1, "bybit error: the order exists")
s, h, b = bb_create(cb, "vgl-e2")
check(json.loads(b)["retCode"] == 0, "bybit count 1: next create answered")
ctl(P1, "DELETE", "/faults")
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "bybit", "mode": "delay", "ms": 700})
t0 = time.time()
s, h, b = bb(cb, "POST", "/v5/order/cancel", json.dumps({"category": "linear", "symbol": "LTCUSDT", "orderLinkId": "vgl-e2"}))
dt = time.time() - t0
check(s == 200 and json.loads(b)["retCode"] == 0 and dt >= 0.65, "bybit delay: answered after %.2fs" % dt)
check(not by_client(YK, "vgl-e2")[0]["open"], "bybit delay: cancelled")
ctl(P1, "DELETE", "/faults")
s, h, b = bb_create(cb, "vgl-p1", typ="Market", qty="1")
ctl(P1, "POST", "/fault", {"type": "answer_lost", "exchange": "bybit", "mode": "hang"})
k = http.client.HTTPConnection("127.0.0.1", P1, timeout=1.0)
payload = json.dumps({"category": "linear", "symbol": "LTCUSDT", "positionIdx": 0, "tpslMode": "Full", "stopLoss": "70"})
ts = str(int(time.time() * 1000))
try:
    k.request("POST", "/v5/position/trading-stop", payload,
              {"X-BAPI-API-KEY": YK, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000",
               "X-BAPI-SIGN": hm(YS, ts + YK + "5000" + payload), "Content-Type": "application/json"})
    k.getresponse()
    got = "answer"
except (socket.timeout, TimeoutError):
    got = "timeout"
k.close()
pos = [p for p in ctl(P1, "GET", "/state?account=" + YK)[1]["positions"] if p["symbol"] == "LTCUSDT"]
check(got == "timeout" and pos and pos[0]["stop_loss"] == "70.00", "bybit hang on trading-stop: stop set, no answer (%s %s)" % (got, pos))
ctl(P1, "DELETE", "/faults")

print("failures:", failures)
sys.exit(1 if failures else 0)
PY
echo ok
