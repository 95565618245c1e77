# `vigil audit --json` and `vigil status --json` carry data, not display
# strings (README "JSON output"): schema_version 1, generated_at (ISO-8601
# UTC) and generated_at_ms, sizes and prices as JSON numbers, sides as
# words, a source that does not list a symbol as null. An error before the
# audit (config, usage, unknown account) in --json mode is still one JSON
# document on stdout, with the error text and the exit code.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/a.conf
GRACE=0s write_conf "$CONF" observe

# BTCUSDT long 0.01 with a close-position stop; LTCUSDT short 0.3, no stop
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null ||
	fail "open BTCUSDT"
sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"BTCUSDT","type":"STOP_MARKET","side":"SELL","trigger":"58800","close_position":true}' >/dev/null ||
	fail "stop BTCUSDT"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"SELL","qty":"0.3"}' >/dev/null ||
	fail "open LTCUSDT"

# the checks every document passes, success or error
cat >"$VIGIL_TMP/common.py" <<'PY'
import datetime, json, sys

def load(path):
    with open(path) as f:
        text = f.read()
    j = json.loads(text)  # exactly one document: trailing text fails here
    assert isinstance(j, dict), j
    assert j["schema_version"] == 1 and type(j["schema_version"]) is int, j
    ts = j["generated_at"]
    assert ts.endswith("Z"), ts
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    ms = j["generated_at_ms"]
    assert type(ms) is int and abs(t.timestamp() * 1000 - ms) < 1, (ts, ms)
    now = datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000
    assert abs(now - ms) < 60000, (now, ms)
    assert type(j["exit_code"]) is int, j
    assert isinstance(j["accounts"], list), j
    return j

def num(v, what):
    assert type(v) in (int, float) and not isinstance(v, bool), "%s: not a number: %r" % (what, v)
    return v

def side(v, what):
    assert v in ("LONG", "SHORT", "FLAT", "UNKNOWN"), "%s: not a side word: %r" % (what, v)
    return v

def view(v, what):  # what one source said: null or {side, size, ...}
    if v is None:
        return None
    side(v["side"], what)
    num(v["size"], what + ".size")
    assert (v["size"] == 0) == (v["side"] == "FLAT"), (what, v)
    return v

def finding(f):
    for k in ("key", "code", "severity", "account", "exchange", "detail"):
        assert isinstance(f[k], str), (k, f)
    for src in ("stream", "rest", "db"):
        view(f[src], f["code"] + "." + src)
    if f["symbol"] is None:  # account-level: about no position
        assert f["position_side"] is None and f["position_size"] is None, f
    else:
        assert isinstance(f["symbol"], str) and f["symbol"], f
        side(f["position_side"], "position_side")
        num(f["position_size"], "position_size")
    for k in ("first_seen_ms", "last_seen_ms"):
        assert type(f[k]) is int, (k, f)
    assert f["age_ms"] is None or (type(f["age_ms"]) is int and f["age_ms"] >= 0), f
    assert isinstance(f["repairable"], bool), f
PY

# ---- vigil audit --json
"$V" audit -c "$CONF" --listen 300ms --json >"$VIGIL_TMP/audit.json" 2>"$VIGIL_TMP/audit.err"; rc=$?
[ $rc = 2 ] || fail "audit: want 2 (LTCUSDT unprotected), got $rc: $(cat "$VIGIL_TMP/audit.err")"
PYTHONPATH=$VIGIL_TMP python3 - "$VIGIL_TMP/audit.json" <<'PY' || fail "audit --json: $(cat "$VIGIL_TMP/audit.json")"
import sys
from common import *
j = load(sys.argv[1])
assert j["status"] == "CRITICAL" and j["exit_code"] == 2 and j["error"] is None, j
(a,) = j["accounts"]
assert a["account"] == "t-binance" and a["exchange"] == "binance" and a["mode"] == "observe", a
assert a["audited"] is True and a["error"] is None, a
assert type(a["started_ms"]) is int and type(a["duration_ms"]) is int, a
assert isinstance(a["actions"], list) and not a["actions"], a
for f in a["findings"]:
    finding(f)
f = [f for f in a["findings"] if f["code"] == "UNPROTECTED_POSITION"]
assert len(f) == 1, a["findings"]
f = f[0]
assert f["symbol"] == "LTCUSDT", f
assert f["rest"] == {"side": "SHORT", "size": 0.3}, f["rest"]
assert f["db"] is None, f  # no database configured
assert f["position_side"] == "SHORT" and f["position_size"] == 0.3, f
assert f["severity"] == "critical" and f["order_id"] is None, f
assert not any(x["symbol"] == "BTCUSDT" for x in a["findings"]), a["findings"]
PY

# ---- vigil status --json; a position changed while the stream listens
# shows up as the stream's view too
# (log_level debug: the one-shot logs "stream connected" on stderr)
GRACE=0s LOG_LEVEL=debug write_conf "$VIGIL_TMP/debug.conf" observe
"$V" status -c "$VIGIL_TMP/debug.conf" --listen 4s --json >"$VIGIL_TMP/status.json" 2>"$VIGIL_TMP/status.err" &
SPID=$!
wait_until 3 grep -q 'stream connected' "$VIGIL_TMP/status.err" || fail "status: no stream: $(cat "$VIGIL_TMP/status.err")"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"ETHUSDT","side":"BUY","qty":"0.5"}' >/dev/null ||
	fail "open ETHUSDT"
wait $SPID; rc=$?
[ $rc = 0 ] || fail "status: want 0, got $rc: $(cat "$VIGIL_TMP/status.err")"
PYTHONPATH=$VIGIL_TMP python3 - "$VIGIL_TMP/status.json" <<'PY' || fail "status --json: $(cat "$VIGIL_TMP/status.json")"
import sys
from common import *
j = load(sys.argv[1])
assert j["exit_code"] == 0 and j["error"] is None and "status" not in j, j
(a,) = j["accounts"]
assert a["account"] == "t-binance" and a["audited"] is True and a["error"] is None, a
assert a["stream"]["state"] in ("UP", "CONNECTING", "DOWN"), a["stream"]
assert a["stream"]["last_message_age_ms"] is None or type(a["stream"]["last_message_age_ms"]) is int, a
assert a["rest"] == {"ok": True, "error": None}, a["rest"]
assert a["db"]["ok"] is False and isinstance(a["db"]["error"], str), a["db"]
assert a["clock_offset_ms"] is None or type(a["clock_offset_ms"]) is int, a
rows = {r["symbol"]: r for r in a["symbols"]}
assert set(rows) == {"BTCUSDT", "ETHUSDT", "LTCUSDT"}, rows.keys()
for r in rows.values():
    for src in ("stream", "rest", "db"):
        v = view(r[src], r["symbol"] + "." + src)
        if v is not None and src != "db":
            assert v["age_ms"] is None or (type(v["age_ms"]) is int and v["age_ms"] >= 0), v
            for k in ("entry_price", "mark_price"):
                assert v[k] is None or num(v[k], k) > 0, v
    assert r["db"] is None, r
    assert type(r["orders"]) is int, r
    assert isinstance(r["protection"], list) and isinstance(r["findings"], list), r
    assert all(isinstance(c, str) for c in r["findings"]), r
btc = rows["BTCUSDT"]
assert btc["rest"]["side"] == "LONG" and btc["rest"]["size"] == 0.01, btc
assert btc["orders"] == 1 and btc["findings"] == [], btc
(p,) = btc["protection"]
assert p["role"] == "STOP" and p["protects"] == "YES" and p["order_side"] == "SELL", p
assert p["trigger_price"] == 58800 and p["full"] is True and p["qty"] is None, p
assert p["position_attached"] is False and isinstance(p["order_id"], str) and p["order_id"], p
ltc = rows["LTCUSDT"]
assert ltc["rest"]["side"] == "SHORT" and ltc["rest"]["size"] == 0.3, ltc
assert ltc["protection"] == [] and "UNPROTECTED_POSITION" in ltc["findings"], ltc
eth = rows["ETHUSDT"]
assert eth["stream"] is not None, "the stream's view of ETHUSDT is missing: %r" % eth
assert eth["stream"]["side"] == "LONG" and eth["stream"]["size"] == 0.5, eth
assert a["stream"]["state"] == "UP", a["stream"]
# the account's findings are the audit's, in full
assert any(f["code"] == "UNPROTECTED_POSITION" and f["symbol"] == "LTCUSDT" for f in a["findings"]), a
for f in a["findings"]:
    finding(f)
PY

# an account that cannot be read: audited false with the reason; its
# account-level findings have symbol and position null
REST_PORT=$(free_port) write_conf "$VIGIL_TMP/down.conf" observe
"$V" audit -c "$VIGIL_TMP/down.conf" --listen 0s --json >"$VIGIL_TMP/down.json" 2>/dev/null; rc=$?
[ $rc = 3 ] || fail "unreachable: want 3, got $rc"
PYTHONPATH=$VIGIL_TMP python3 - "$VIGIL_TMP/down.json" <<'PY' || fail "unreachable --json: $(cat "$VIGIL_TMP/down.json")"
import sys
from common import *
j = load(sys.argv[1])
assert j["status"] == "UNKNOWN" and j["exit_code"] == 3 and j["error"] is None, j
(a,) = j["accounts"]
assert a["audited"] is False and isinstance(a["error"], str) and a["error"], a
assert any(f["code"] == "SOURCE_UNREACHABLE" and f["symbol"] is None for f in a["findings"]), a
for f in a["findings"]:
    finding(f)
PY

# the text output is still the table
"$V" status -c "$CONF" --listen 0s >"$VIGIL_TMP/status.txt" 2>&1 || fail "status (text)"
grep -qE '^  BTCUSDT +- +LONG 0.01 +1 +- +SL SELL@58800\(all\) +-$' "$VIGIL_TMP/status.txt" ||
	fail "status table changed: $(cat "$VIGIL_TMP/status.txt")"

# ---- errors before the audit: one JSON document on stdout, the exit code
# as without --json (audit 3, status 78 config / 64 usage)
printf '[vigil]\nbogus = 1\n' >"$VIGIL_TMP/bad.conf"
err_doc() { # WANT_RC WANT_STATUS(or -) WORD-IN-ERROR CMD...
	local want=$1 st=$2 word=$3 rc; shift 3
	"$@" >"$VIGIL_TMP/err.json" 2>"$VIGIL_TMP/err.err"; rc=$?
	[ $rc = "$want" ] || fail "$*: want exit $want, got $rc"
	PYTHONPATH=$VIGIL_TMP python3 - "$VIGIL_TMP/err.json" "$want" "$st" "$word" <<'PY' || fail "$*: $(cat "$VIGIL_TMP/err.json")"
import sys
from common import *
j = load(sys.argv[1])
assert j["exit_code"] == int(sys.argv[2]) and j["accounts"] == [], j
if sys.argv[3] == "-":
    assert "status" not in j, j
else:
    assert j["status"] == sys.argv[3], j
assert isinstance(j["error"], str) and sys.argv[4] in j["error"], j
PY
	# and the message on stderr as without --json
	grep -qF -- "$word" "$VIGIL_TMP/err.err" || fail "$*: stderr lost the message: $(cat "$VIGIL_TMP/err.err")"
}
err_doc 3 UNKNOWN "config error" "$V" audit -c "$VIGIL_TMP/bad.conf" --json
err_doc 3 UNKNOWN "bogus" "$V" audit -c "$VIGIL_TMP/bad.conf" --json --listen 0s
err_doc 3 UNKNOWN "cannot open" "$V" audit -c "$VIGIL_TMP/missing.conf" --json
err_doc 3 UNKNOWN "--frobnicate" "$V" audit -c "$CONF" --frobnicate --json
err_doc 3 UNKNOWN "nosuch" "$V" audit -c "$CONF" --account nosuch --json
err_doc 78 - "config error" "$V" status -c "$VIGIL_TMP/bad.conf" --json
err_doc 64 - "--frobnicate" "$V" status -c "$CONF" --json --frobnicate

# without --json an error prints nothing on stdout, as before
"$V" audit -c "$VIGIL_TMP/bad.conf" >"$VIGIL_TMP/plain.out" 2>/dev/null; rc=$?
[ $rc = 3 ] && [ ! -s "$VIGIL_TMP/plain.out" ] || fail "plain config error: rc $rc, stdout: $(cat "$VIGIL_TMP/plain.out")"
echo ok
