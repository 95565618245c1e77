# The request budget vigil shares with the bot (issue 15), against
# vigil-sim enforcing Binance's documented limits (2400 weight / min, 429
# past it, 418 ban):
#  1. under the bot's churn (an order every 100 ms, each waking vigil's
#     stream) vigil stays inside its share (20 % = 480 weight / min) and the
#     sim never has to refuse it; the follow-ups of the churned symbol are
#     targeted (openOrders with symbol=, weight 1), full listings (weight
#     40) keep their pace;
#  2. an unprotected position during the churn still gets its stop (repairs
#     have their slice);
#  3. after a 418 with Retry-After vigil sends nothing until then, says so
#     once (RATE_LIMITED, vigil_budget_stopped), and carries on afterwards.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start --binance-weight-limit 2400); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/budget.conf
# vigil's side: the documented limit (request_limit 0), the default share
REQUEST_LIMIT=0 AUDIT_INTERVAL=5s GRACE=1s write_conf "$CONF" protect
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'metrics on' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(cat "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream"
grep -q 'audits spaced' "$VIGIL_TMP/vigil.log" || fail "the pace was not derived from the budget: $(head -20 "$VIGIL_TMP/vigil.log")"

weight() { sim_curl -fsS "$(sim_url)/_sim/counters?account=sim-binance-key" |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get("weight", 0))'; }
limited() { sim_curl -fsS "$(sim_url)/_sim/counters?account=sim-binance-key" |
	python3 -c 'import json,sys; c=json.load(sys.stdin)["endpoints"]; print(sum(v.get("limited", 0) for v in c.values()))'; }

# GET /fapi/v1/openOrders: requests and weight so far
oo() { sim_curl -fsS "$(sim_url)/_sim/counters?account=sim-binance-key" |
	python3 -c 'import json,sys; e=json.load(sys.stdin)["endpoints"].get("GET /fapi/v1/openOrders", {}); print(e.get("count", 0), e.get("weight", 0))'; }

# 1 + 2: 20 s of churn; at 5 s an unprotected position appears
w0=$(weight)
read -r oc0 ow0 <<<"$(oo)"
[ "$VIGIL_T_TLS" != 1 ] || export VIGIL_SIM_CA=$SIM_CA
python3 tests/bench/simctl.py churn "$SIM_PORT" sim-binance-key 100 20 >"$VIGIL_TMP/churn.out" &
CHURN=$!
sleep 5
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"ETHUSDT","side":"BUY","qty":"0.1"}' >/dev/null || fail "open"
wait $CHURN
w1=$(weight)
orders=$(cat "$VIGIL_TMP/churn.out")
[ "${orders:-0}" -ge 150 ] || fail "the churn did not run: $orders orders"
python3 -c "import sys; w=($w1-$w0)*60/20.0; print('vigil weight/min under churn: %.0f' % w); sys.exit(0 if w <= 480 else 1)" ||
	fail "vigil exceeded its share of the IP's limit: $(sim_curl -fsS "$(sim_url)/_sim/counters?account=sim-binance-key")"
[ "$(limited)" = 0 ] || fail "the sim had to refuse vigil's requests: $(limited)"
read -r oc1 ow1 <<<"$(oo)"
# n requests of weight 40 (full) or 1 (symbol=): full = (w - n) / 39
python3 - "$oc0" "$ow0" "$oc1" "$ow1" <<'PYEOF' || fail "follow-ups were not targeted"
import sys
c0, w0, c1, w1 = map(int, sys.argv[1:])
n, w = c1 - c0, w1 - w0
full = (w - n) // 39
targeted = n - full
print("openOrders during 20 s of churn: %d full listings, %d targeted" % (full, targeted))
sys.exit(0 if targeted >= 3 and full <= 3 else 1)
PYEOF
t=$(metric "vigil_audits_targeted_total{account=\"t-binance\"}")
[ "${t%.*}" -ge 3 ] 2>/dev/null || fail "vigil_audits_targeted_total is '$t'"
has_stop() { sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
sys.exit(0 if any(x["symbol"]=="'"$1"'" and (x.get("client_id") or "").startswith("vgl-") for x in s["stops"]) else 1)'; }
wait_until 40 has_stop LTCUSDT || fail "no stop for LTCUSDT within the budget: $(tail -20 "$VIGIL_TMP/vigil.log")"
echo "PASS churn: vigil inside its share, stop placed"

# 3: a 418 ban with Retry-After 6 s
reqs() { sim_curl -fsS "$(sim_url)/_sim/counters?account=sim-binance-key" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
sim_post /_sim/fault '{"type":"rate_limit","exchange":"binance","status":418,"retry_after":8,"until_ms":16000}' >/dev/null || fail "fault"
# wake vigil: an event makes it audit now, and the audit meets the ban
sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"BTCUSDT","type":"LIMIT","side":"BUY","qty":"0.001","price":"30000","client_id":"bot-wake"}' >/dev/null
# (the next full listing comes at the budget's pace, within ~15 s)
wait_until 20 grep -q 'held back' "$VIGIL_TMP/vigil.log" || fail "the ban was not noticed: $(tail -20 "$VIGIL_TMP/vigil.log")"
r0=$(reqs)
bans0=$(grep -c 'every request of this IP held back' "$VIGIL_TMP/vigil.log")
sleep 1
stopped=$(metric "vigil_budget_stopped{account=\"t-binance\"}")
[ "$stopped" = 1 ] || fail "vigil_budget_stopped is '$stopped' during the ban"
# more events during the ban: nothing may go out
for i in 1 2 3; do
	sim_post /_sim/step '{"op":"cancel","exchange":"binance","symbol":"BTCUSDT","client_id":"bot-wake"}' >/dev/null
	sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"BTCUSDT","type":"LIMIT","side":"BUY","qty":"0.001","price":"30000","client_id":"bot-wake"}' >/dev/null
	sleep 0.5
done
r1=$(reqs)
[ "$r1" = "$r0" ] || fail "vigil sent $((r1 - r0)) requests during the ban"
[ "$bans0" = 1 ] && [ "$(grep -c 'every request of this IP held back' "$VIGIL_TMP/vigil.log")" = 1 ] ||
	fail "the ban was not logged exactly once: $(grep 'held back' "$VIGIL_TMP/vigil.log")"
grep -q 'RATE_LIMITED' "$VIGIL_TMP/vigil.out" "$VIGIL_TMP/vigil.log" || fail "no RATE_LIMITED finding"
# after Retry-After the audits resume
resumed() { [ "$(reqs)" -gt "$r1" ]; }
wait_until 40 resumed || fail "vigil did not resume after Retry-After: r0=$r0 r1=$r1 now=$(reqs)"
echo "PASS ban: nothing sent until Retry-After, then resumed"
