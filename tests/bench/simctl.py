#!/usr/bin/env python3
"""Drives vigil-sim for the benchmarks through its /_sim/ control API only.

  simctl.py setup-audit PORT NPOS NORD ROWS.json
      one Binance account (key bench-audit-key) holding NPOS positions and
      NORD open orders (half conditional: reduce-only STOP_MARKET algo
      orders; half resting LIMIT entries), spread over NPOS symbols. Writes
      the bot's rows (one active row per position) to ROWS.json and prints
      "npos nord". Exits non-zero with the reason if the sim refuses any
      symbol, position or order (no silent fallback to a smaller account).
  simctl.py counters PORT KEY          the account's request counters (JSON)
  simctl.py setup-daemon PORT N        N accounts per exchange (bench-bn-I /
      bench-bb-I, secrets bench-secret), symbol BTCUSDT...; prints the keys
  simctl.py churn PORT KEY PERIOD_MS SECS   the bot's churn: a LIMIT order
      placed and cancelled every PERIOD_MS on KEY (prints the count)
  simctl.py proc PID                   "cpu_s rss_kib hwm_kib" of a process
  simctl.py soak-churn PORT SECS KEY...   accounts KEY (bybit when the key
      holds "bb", secret bench-secret) on 50 symbols; one event a second per
      account for SECS s: a position on a rotating set of 50 symbols opened, and
      closed 1-6 s later (some outlive the soak's 3 s grace: a stop is
      placed for them); prints "events refused"
  simctl.py push PORT RATE SECS KEY... RATE events/s in total for SECS s,
      round-robin over the accounts: alternately open / close a small
      position (each is one order -> stream events on that account)
All traffic goes to 127.0.0.1.
"""
import json
import sys
import time
import os
import ssl
import urllib.error
import urllib.request

SECRET = "bench-secret"


# VIGIL_SIM_CA=FILE: the sim runs with --tls-dir; https, trusting FILE
SIM_CA = os.environ.get("VIGIL_SIM_CA", "")
SIM_TLS = ssl.create_default_context(cafile=SIM_CA) if SIM_CA else None


def call(port, method, path, obj=None):
    data = json.dumps(obj).encode() if obj is not None else None
    scheme = "https" if SIM_TLS else "http"
    rq = urllib.request.Request("%s://127.0.0.1:%s%s" % (scheme, port, path), data=data, method=method)
    try:
        with urllib.request.urlopen(rq, timeout=10, context=SIM_TLS) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return json.loads(body)
        except ValueError:
            return {"ok": False, "error": body.decode(errors="replace")}


def sym(i):
    return "BN%03dUSDT" % i


def setup_audit(port, npos, nord, rows_path):
    key = "bench-audit-key"
    acct = {"exchange": "binance", "key": key, "secret": SECRET, "balance": "10000000"}
    n = npos
    syms = [{"symbol": sym(i), "mark": "100", "tick": "0.01", "step": "0.001", "min_qty": "0.001"}
            for i in range(n)]
    a = dict(acct, symbols=[s["symbol"] for s in syms])
    r = call(port, "POST", "/_sim/scenario", {"symbols": syms, "accounts": [a]})
    if not isinstance(r, dict) or not r.get("ok"):
        # no fallback to fewer symbols: the figures must be for the size asked
        sys.exit("setup-audit: vigil-sim refused %d symbols: %s" % (n, r))
    steps = []
    for i in range(n):
        steps.append({"account": key, "op": "open", "symbol": sym(i),
                      "side": "BUY" if i % 2 == 0 else "SELL", "qty": "1"})
    # conditional orders round-robin over the positions (every position has a
    # stop, the first ones a redundant second), then resting LIMIT entries the
    # same way; each further lap moves its price one tick so none coincide
    ncond = (nord + 1) // 2
    for j in range(nord):
        cond = j < ncond
        k = j if cond else j - ncond
        i, lap = k % n, k // n
        long_ = i % 2 == 0
        d = lap * 0.01 * (1 if long_ else -1)
        if cond:
            steps.append({"account": key, "op": "order", "symbol": sym(i), "type": "STOP_MARKET",
                          "side": "SELL" if long_ else "BUY", "qty": "1",
                          "trigger": "%.2f" % ((90 if long_ else 110) - d), "reduce_only": True})
        else:
            steps.append({"account": key, "op": "order", "symbol": sym(i), "type": "LIMIT",
                          "side": "BUY" if long_ else "SELL", "qty": "0.01",
                          "price": "%.2f" % ((80 if long_ else 120) - d)})
    bad = 0
    for s in steps:
        r = call(port, "POST", "/_sim/step", s)
        if not isinstance(r, dict) or not r.get("ok"):
            bad += 1
    st = call(port, "GET", "/_sim/state?account=" + key)
    np_, no = len(st["positions"]), len(st["open_orders"]) + len(st["conditional_orders"])
    rows = [{"symbol": sym(i)[:-4] + "/USDT:USDT", "exchange": "binance",
             "side": "long" if i % 2 == 0 else "short", "quantity": 1, "entry_price": 100,
             "status": "active"} for i in range(n)]
    with open(rows_path, "w") as f:
        json.dump(rows, f)
    if bad or np_ != n or no != nord:
        sys.exit("setup-audit: vigil-sim refused %d of %d steps; account holds %d positions / "
                 "%d open orders, asked %d / %d" % (bad, len(steps), np_, no, n, nord))
    print(np_, no)


def setup_daemon(port, n):
    accts = []
    for i in range(n):
        accts.append({"exchange": "binance", "key": "bench-bn-%d" % i, "secret": SECRET})
        accts.append({"exchange": "bybit", "key": "bench-bb-%d" % i, "secret": SECRET})
    r = call(port, "POST", "/_sim/scenario", {"accounts": accts})
    if not r.get("ok"):
        sys.exit("setup-daemon: %s" % r)
    print(" ".join(a["key"] for a in accts))


def push(port, rate, secs, keys):
    """Paced: event k is due at t0 + k/rate; never more than rate*secs."""
    total = int(rate * secs)
    t0 = time.monotonic()
    opened = {}
    sent = bad = 0
    for k in range(total):
        due = t0 + k / rate
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
        key = keys[k % len(keys)]
        if opened.get(key):
            s = {"account": key, "op": "close", "symbol": "LTCUSDT"}
        else:
            s = {"account": key, "op": "open", "symbol": "LTCUSDT", "side": "BUY", "qty": "0.01"}
        r = call(port, "POST", "/_sim/step", s)
        if r.get("ok"):
            opened[key] = not opened.get(key)
            sent += 1
        else:
            bad += 1
    # leave every account flat
    for key, o in opened.items():
        if o:
            call(port, "POST", "/_sim/step", {"account": key, "op": "close", "symbol": "LTCUSDT"})
    print(sent, bad, "%.2f" % (time.monotonic() - t0))


def soak_churn(port, secs, keys):
    syms = [{"symbol": sym(i), "mark": "100", "tick": "0.01", "step": "0.001", "min_qty": "0.001"}
            for i in range(50)]
    accts = [{"exchange": "bybit" if "bb" in k else "binance", "key": k, "secret": SECRET,
              "balance": "10000000", "symbols": [x["symbol"] for x in syms]} for k in keys]
    r = call(port, "POST", "/_sim/scenario", {"symbols": syms, "accounts": accts})
    if not isinstance(r, dict) or not r.get("ok"):
        sys.exit("soak-churn: vigil-sim refused the scenario: %s" % r)
    t0 = time.monotonic()
    k = sent = bad = 0
    open_until = {}  # (key, symbol) -> close time
    while time.monotonic() - t0 < secs:
        d = t0 + k - time.monotonic()
        if d > 0:
            time.sleep(d)
        now = time.monotonic()
        for (key, s), t in list(open_until.items()):
            if t <= now:
                r = call(port, "POST", "/_sim/step", {"account": key, "op": "close", "symbol": s})
                del open_until[(key, s)]
                sent, bad = (sent + 1, bad) if r.get("ok") else (sent, bad + 1)
        for key in keys:
            s = sym(k % 50)
            if (key, s) in open_until:
                continue
            side = "BUY" if k % 2 else "SELL"
            r = call(port, "POST", "/_sim/step", {"account": key, "op": "open", "symbol": s, "side": side,
                                                  "qty": "1"})
            if r.get("ok"):
                open_until[(key, s)] = now + 1 + (k * 7) % 6
                sent += 1
            else:
                bad += 1
        k += 1
    for (key, s) in open_until:
        call(port, "POST", "/_sim/step", {"account": key, "op": "close", "symbol": s})
    print(sent, bad)


def churn(port, key, period_ms, secs):
    """The bot's churn: place and cancel a far-off LIMIT order every
    period_ms through the control API (so every REST request the sim counts
    for the key is vigil's). Prints the orders placed."""
    n = 0
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < secs:
        d = t0 + k * period_ms / 1000.0 - time.monotonic()
        if d > 0:
            time.sleep(d)
        cid = "bot-churn-%d" % k
        r = call(port, "POST", "/_sim/step", {"account": key, "op": "order", "symbol": "LTCUSDT", "type": "LIMIT",
                                              "side": "BUY", "qty": "0.01", "price": "40", "client_id": cid})
        if r.get("ok"):
            n += 1
            call(port, "POST", "/_sim/step", {"account": key, "op": "cancel", "symbol": "LTCUSDT", "client_id": cid})
        k += 1
    print(n)


def proc(pid):
    with open("/proc/%s/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    import os
    tck = os.sysconf("SC_CLK_TCK")
    cpu = (int(st[11]) + int(st[12])) / tck  # utime + stime
    rss = hwm = 0
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    print("%.2f %d %d" % (cpu, rss, hwm))


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "setup-audit":
        setup_audit(a[1], int(a[2]), int(a[3]), a[4])
    elif len(a) == 3 and a[0] == "counters":
        print(json.dumps(call(a[1], "GET", "/_sim/counters?account=" + a[2])))
    elif len(a) == 3 and a[0] == "setup-daemon":
        setup_daemon(a[1], int(a[2]))
    elif len(a) == 5 and a[0] == "churn":
        churn(a[1], a[2], float(a[3]), float(a[4]))
    elif len(a) == 2 and a[0] == "proc":
        proc(a[1])
    elif len(a) >= 4 and a[0] == "soak-churn":
        soak_churn(a[1], float(a[2]), a[3:])
    elif len(a) >= 5 and a[0] == "push":
        push(a[1], float(a[2]), float(a[3]), a[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
