#!/usr/bin/env bash
# vigil-sim scenarios and faults through the plain APIs: a --scenario file
# (accounts, timeline, fault window), every fault type (tests/ccxt/
# sim_scenarios.js, streams via the `ws` package), and SIGTERM exit 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}

start_sim() { # name args...; sets P (no subshell, so the pid stays tracked)
	local name=$1; shift
	"$B/vigil-sim" --port 0 "$@" >"$VIGIL_TMP/$name.out" 2>"$VIGIL_TMP/$name.err" &
	VIGIL_BG_PIDS[$name]=$!
	for _ in $(seq 100); do grep -q '^port=' "$VIGIL_TMP/$name.out" && break; sleep 0.05; done
	P=$(sed -n 's/^port=//p' "$VIGIL_TMP/$name.out")
}
fail() { echo "FAIL: $*"; exit 1; }

# 1. scenario file: own accounts, a step timeline and a fault window
cat >"$VIGIL_TMP/sc.json" <<'JSON'
{"accounts":[{"exchange":"binance","key":"k1","secret":"s1","balance":"500","symbols":["SKLUSDT","KAVAUSDT"]},
             {"exchange":"bybit","key":"k2","secret":"s2","hedge":true}],
 "faults":[{"type":"http_status","exchange":"binance","endpoint":"/fapi/v1/time","status":502,"until_ms":300}],
 "steps":[{"at_ms":0,"account":"k1","op":"open","symbol":"SKLUSDT","side":"BUY","qty":308},
          {"at_ms":200,"account":"k2","op":"open","symbol":"BTCUSDT","side":"SELL","qty":"0.01"},
          {"at_ms":250,"op":"mark","symbol":"SKLUSDT","price":"0.031"}]}
JSON
start_sim sc --scenario "$VIGIL_TMP/sc.json" --seed 5
[ -n "$P" ] || fail "no port= line"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/fapi/v1/time")
[ "$code" = 502 ] || fail "fault window: want 502, got $code"
sleep 0.4
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/fapi/v1/time")
[ "$code" = 200 ] || fail "after window: want 200, got $code"
st=$(curl -s "http://127.0.0.1:$P/_sim/state?account=k1")
grep -q '"symbol":"SKLUSDT","position_side":"BOTH","amt":"308"' <<<"$st" || fail "step open not applied: $st"
grep -q '"SKLUSDT":"0.03100"' <<<"$st" || fail "mark step not applied: $st"
grep -q '"BTCUSDT"' <<<"$st" && fail "account k1 should only trade SKLUSDT/KAVAUSDT"
st=$(curl -s "http://127.0.0.1:$P/_sim/state?account=k2")
grep -q '"position_side":"SHORT","amt":"-0.010"' <<<"$st" || fail "hedge short not opened: $st"
curl -s "http://127.0.0.1:$P/_sim/accounts" | grep -q sim-binance-key && fail "defaults must not be added when the scenario has accounts"
echo "ok scenario file"

# 1b. a later scenario's symbols reach every account without its own list
post() { curl -s -o "$VIGIL_TMP/post.out" -w '%{http_code}' -X POST --data-binary "$2" "http://127.0.0.1:$P$1"; }
code=$(post /_sim/scenario '{"symbols":[{"symbol":"NEWUSDT","mark":"2","tick":"0.001","step":"1"}]}')
[ "$code" = 200 ] || fail "later scenario: $code $(cat "$VIGIL_TMP/post.out")"
post /_sim/step '{"account":"k2","op":"open","symbol":"NEWUSDT","side":"Buy","qty":"5","position_side":"LONG"}' >/dev/null
grep -q '"ok":true' "$VIGIL_TMP/post.out" || fail "k2 cannot trade the later symbol: $(cat "$VIGIL_TMP/post.out")"
post /_sim/step '{"account":"k1","op":"open","symbol":"NEWUSDT","side":"BUY","qty":"5"}' >/dev/null
grep -q '"ok":false' "$VIGIL_TMP/post.out" || fail "k1 (own symbol list) must not trade NEWUSDT"
echo "ok later-scenario symbols reach unrestricted accounts"

# 1c. malformed scenarios are refused with a message; the sim keeps serving
for bad in '{"accounts":[{"exchange":"binance","key":"k","secret":"s","symbols":"BTCUSDT"}]}' \
	'{"accounts":"60000"}' '{"faults":{"type":"slow"}}' '{"steps":"k1"}' '{"symbols":{"symbol":"X"}}'; do
	code=$(post /_sim/scenario "$bad")
	[ "$code" = 400 ] || fail "bad scenario $bad: want 400, got $code"
	grep -q '"error":".*must be' "$VIGIL_TMP/post.out" || fail "bad scenario $bad: no message: $(cat "$VIGIL_TMP/post.out")"
done
curl -fsS "http://127.0.0.1:$P/_sim/health" | grep -q '"ok":true' || fail "sim died on a bad scenario"
curl -s "http://127.0.0.1:$P/_sim/accounts" | grep -q '"key":"k"' && fail "bad scenario half-applied"
bg_stop sc
echo "ok malformed scenarios refused (400 + message)"
printf '{"accounts":[{"exchange":"binance","key":"k","secret":"s","symbols":"BTCUSDT"}]}' >"$VIGIL_TMP/bad.json"
rc=0; "$B/vigil-sim" --port 0 --scenario "$VIGIL_TMP/bad.json" >/dev/null 2>"$VIGIL_TMP/bad.err" || rc=$?
[ "$rc" = 65 ] || fail "bad --scenario exit $rc"
grep -q 'symbols must be an array' "$VIGIL_TMP/bad.err" || fail "bad --scenario message: $(cat "$VIGIL_TMP/bad.err")"
echo "ok bad --scenario exits 65 with the reason"

# 1d. the bot's starting book (positions / orders / setup), protection by
# the exchange's rules, the order log, a stuck TRIGGERING stop, over HTTP
cat >"$VIGIL_TMP/book.json" <<'JSON'
{"accounts":[{"exchange":"binance","key":"b1","secret":"s1"},
             {"exchange":"binance","key":"bh","secret":"s2","hedge":true},
             {"exchange":"bybit","key":"y1","secret":"s3"}],
 "positions":[{"account":"b1","symbol":"BTCUSDT","side":"BUY","qty":"0.01"},
              {"account":"bh","symbol":"ETHUSDT","side":"SELL","qty":"0.03"},
              {"account":"y1","symbol":"ETHPERP","side":"Buy","qty":"0.5"},
              {"account":"y1","symbol":"LTCUSDT","side":"Sell","qty":"2"}],
 "orders":[{"account":"b1","symbol":"BTCUSDT","type":"TAKE_PROFIT_MARKET","side":"SELL","qty":"0.01","reduce_only":true,"trigger":"63000","client_id":"bot-tp"},
           {"account":"b1","symbol":"BTCUSDT","type":"STOP_MARKET","side":"SELL","trigger":"58000","close_position":true,"client_id":"bot-sl"},
           {"account":"bh","symbol":"ETHUSDT","type":"STOP_MARKET","side":"BUY","qty":"0.03","trigger":"3100","position_side":"SHORT","client_id":"bot-hsl"},
           {"account":"y1","symbol":"LTCUSDT","type":"Market","side":"Buy","qty":"0","trigger":"85","trigger_direction":1,"close_on_trigger":true,"client_id":"bot-ysl"}],
 "setup":[{"op":"tpsl","account":"y1","symbol":"ETHPERP","tpsl_mode":"Partial","stop_loss":"2900","sl_size":"0.2"}]}
JSON
start_sim book --scenario "$VIGIL_TMP/book.json"
[ -n "$P" ] || fail "book scenario did not start: $(cat "$VIGIL_TMP/book.err")"
python3 - "$P" <<'PY' || fail "starting book / protection / order log"
import json, sys, urllib.request
base = "http://127.0.0.1:%s/_sim" % sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(base + p))
def post(p, body):
    r = urllib.request.Request(base + p, data=json.dumps(body).encode(), method="POST")
    return json.load(urllib.request.urlopen(r))
def leg(key, sym, ps):
    return [e for e in get("/state?account=" + key)["protection"] if e["symbol"] == sym and e["position_side"] == ps][0]
l = leg("b1", "BTCUSDT", "BOTH")
assert l["full"] and l["protected_qty"] == "0.010" and l["client_ids"] == ["bot-sl"], l   # the TP protects nothing
l = leg("bh", "ETHUSDT", "SHORT")
assert l["full"] and l["client_ids"] == ["bot-hsl"] and l["side"] == "SHORT", l           # hedge BUY on SHORT, no reduceOnly
l = leg("y1", "LTCUSDT", "BOTH")
assert l["full"] and l["client_ids"] == ["bot-ysl"], l
l = leg("y1", "ETHPERP", "BOTH")
assert not l["full"] and l["protected_qty"] == "0.200", l                                 # Partial slSize 0.2 of 0.5
st = get("/state?account=b1")
assert [x["client_id"] for x in st["stops"]] == ["bot-sl"], st["stops"]
ev = get("/order_log?account=b1")
assert {e["client_id"] for e in ev if e["event"] == "create" and e["by"] == "sim"} >= {"bot-tp", "bot-sl"}, ev
# a stuck TRIGGERING stop protects nothing and never closes the position
assert post("/fault", {"type": "stuck_triggering", "exchange": "binance", "account": "b1", "symbol": "BTCUSDT"})["ok"]
post("/step", {"op": "mark", "symbol": "BTCUSDT", "price": "57000"})
st = get("/state?account=b1")
o = [x for x in st["orders"] if x["client_id"] == "bot-sl"][0]
assert o["status"] == "TRIGGERING" and o["stuck"], o
assert st["positions"][0]["amt"] == "0.010", st["positions"]
assert not [e for e in st["protection"] if e["symbol"] == "BTCUSDT"][0]["full"], st["protection"]
assert [e for e in get("/order_log?account=b1") if e["event"] == "stuck" and e["client_id"] == "bot-sl"]
print("ok")
PY
bg_stop book
printf '{"orders":[{"account":"sim-binance-key","symbol":"LTCUSDT","type":"STOP_MARKET","side":"SELL","trigger":"90","qty":"1"}]}' >"$VIGIL_TMP/badbook.json"
rc=0; "$B/vigil-sim" --port 0 --scenario "$VIGIL_TMP/badbook.json" >/dev/null 2>"$VIGIL_TMP/badbook.err" || rc=$?
[ "$rc" = 65 ] && grep -q 'orders\[0\]: would immediately trigger' "$VIGIL_TMP/badbook.err" ||
	fail "bad starting book: exit $rc $(cat "$VIGIL_TMP/badbook.err")"
echo "ok starting book, protection, order log, stuck TRIGGERING"

# 2. SIGTERM exits 0; bad arguments exit 64
start_sim term
pid=${VIGIL_BG_PIDS[term]}
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?
unset "VIGIL_BG_PIDS[term]"
[ "$rc" = 0 ] || fail "SIGTERM exit status $rc"
rc=0; "$B/vigil-sim" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "bad argument exit $rc"
echo "ok SIGTERM exit 0, usage 64"

# 3. every fault type through REST and streams
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "SKIP stream/fault checks: node/npm not installed"; exit 0
fi
if [ ! -d tests/ccxt/node_modules/ws ]; then
	(cd tests/ccxt && timeout 240 npm install --no-audit --no-fund --loglevel=error) || fail "npm install"
fi
start_sim faults
timeout 90 node tests/ccxt/sim_scenarios.js "http://127.0.0.1:$P"
