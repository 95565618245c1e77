#!/usr/bin/env python3
"""The query API's figures (issue 23), against a running `vigil run` with
[api] on a unix socket and vigil-sim: prints "name value unit" lines.

1. stream frame -> await answer: ROUNDS times, an await waits, the sim
   opens (then closes) a position; latency from vigil's receipt of the
   stream frame (the answer's sources.stream.seen_ms, vigil's wall clock,
   same machine) to the answer's arrival, and from the sim step's return.
2. the API's cost: the daemon's CPU and RSS idle for IDLE s, then under
   RATE requests/s (GET positions, protection, accounts in turn) for LOAD s.
usage: bench_api.py SOCK SIM_PORT VIGIL_PID ROUNDS IDLE LOAD RATE"""
import http.client, json, os, socket, ssl, sys, threading, time, urllib.request

sock, sim, pid = sys.argv[1], sys.argv[2], sys.argv[3]
rounds, idle, load, rate = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])

class U(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.settimeout(30); self.sock.connect(sock)

def api(method, path, body=None):
    c = U("vigil"); c.request(method, path, json.dumps(body) if body is not None else None)
    r = c.getresponse(); d = json.loads(r.read()); c.close(); return r.status, d

# VIGIL_SIM_CA=FILE: the sim serves https with that test CA
SIM_CA = os.environ.get("VIGIL_SIM_CA", "")
SIM_TLS = ssl.create_default_context(cafile=SIM_CA) if SIM_CA else None

def step(d):
    urllib.request.urlopen(urllib.request.Request("%s://127.0.0.1:%s/_sim/step" % ("https" if SIM_TLS else "http", sim),
        data=json.dumps(d).encode(), method="POST"), timeout=5, context=SIM_TLS).read()

def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]

frame, after_step, bad = [], [], 0
for i in range(rounds):
    opening = i % 2 == 0
    want = {"symbol": "LTCUSDT", "side": "LONG", "size": 1 if opening else 0, "timeout_ms": 5000}
    res = {}
    def waiter():
        st, d = api("POST", "/v1/accounts/t-binance/await", want)
        res["t"] = time.time(); res["st"] = st; res["d"] = d
    t = threading.Thread(target=waiter); t.start(); time.sleep(0.05)
    step({"op": "open", "exchange": "binance", "symbol": "LTCUSDT", "side": "BUY", "qty": "1"} if opening else
         {"op": "close", "exchange": "binance", "symbol": "LTCUSDT"})
    t1 = time.time(); t.join(10)
    d = res.get("d") or {}
    if res.get("st") != 200 or not d.get("matched") or d.get("matched_by") != "stream":
        bad += 1; continue
    seen = d["position"]["sources"]["stream"]["seen_ms"]
    frame.append(res["t"] * 1000 - seen)
    after_step.append(max(0.0, (res["t"] - t1) * 1000))

def proc():
    with open("/proc/%s/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"): rss = int(line.split()[1])
    return cpu, rss

c0, r0 = proc(); time.sleep(idle); c1, r1 = proc()
paths = ["/v1/accounts/t-binance/positions/LTCUSDT", "/v1/accounts/t-binance/protection/LTCUSDT",
         "/v1/accounts/t-binance/positions", "/v1/accounts"]
n = errs = 0; lat = []; t0 = time.time(); rmax = r1
while time.time() - t0 < load:
    due = t0 + n / rate
    if due > time.time(): time.sleep(due - time.time())
    s = time.time()
    try:
        st, _ = api("GET", paths[n % len(paths)])
        errs += st != 200
    except Exception:
        errs += 1
    lat.append((time.time() - s) * 1000); n += 1
    if n % 50 == 0: rmax = max(rmax, proc()[1])
secs = time.time() - t0
c2, r2 = proc(); rmax = max(rmax, r2)
print("api_await_rounds %d count" % len(frame))
print("api_await_failed %d count" % bad)
if frame:
    print("api_await_after_frame_p50 %.2f ms" % pct(frame, 50))
    print("api_await_after_frame_p99 %.2f ms" % pct(frame, 99))
    print("api_await_after_step_p50 %.2f ms" % pct(after_step, 50))
    print("api_await_after_step_p99 %.2f ms" % pct(after_step, 99))
print("api_idle_cpu_pct %.2f %%core" % (100 * (c1 - c0) / idle))
print("api_load_rate %.1f req/s" % (n / secs))
print("api_load_errors %d count" % errs)
print("api_load_cpu_pct %.2f %%core" % (100 * (c2 - c1) / secs))
print("api_load_cpu_added_pct %.2f %%core" % (100 * ((c2 - c1) / secs - (c1 - c0) / idle)))
print("api_request_p50 %.2f ms" % pct(lat, 50))
print("api_request_p99 %.2f ms" % pct(lat, 99))
print("api_rss_idle_mib %.1f MiB" % (r1 / 1024))
print("api_rss_load_max_mib %.1f MiB" % (rmax / 1024))
print("api_rss_added_mib %.1f MiB" % ((rmax - r1) / 1024))
