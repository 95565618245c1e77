# What one `vigil audit --listen 0s` costs the exchange: exactly the listing
# calls (Binance: positionRisk, openOrders, openAlgoOrders, in parallel) —
# no listenKey, no stream, no server-time call first. A skewed clock is
# still learnt (and reported) from the exchange's timestamp refusal.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/a.conf
GRACE=5m write_conf "$CONF" observe
counters() { sim_curl -fsS "$(sim_url)/_sim/counters?account=${1:-sim-binance-key}"; }

"$V" audit -c "$CONF" --listen 0s >"$VIGIL_TMP/audit.out" 2>&1; rc=$?
[ "$rc" = 0 ] || fail "clean account: want 0, got $rc: $(cat "$VIGIL_TMP/audit.out")"
grep -q STREAM "$VIGIL_TMP/audit.out" && fail "no stream was asked for: $(cat "$VIGIL_TMP/audit.out")"
counters | python3 -c '
import json,sys
c=json.load(sys.stdin)["endpoints"]
calls={k: v["count"] for k, v in c.items()}
want={"GET /fapi/v3/positionRisk": 1, "GET /fapi/v1/openOrders": 1, "GET /fapi/v1/openAlgoOrders": 1}
assert calls == want, calls' || fail "binance audit cost"

# Bybit: the position list and the open orders, nothing else
cat >"$VIGIL_TMP/bb.conf" <<CONF
[vigil]
log_level = info
metrics_listen = 127.0.0.1:0
spool_dir = $VIGIL_TMP/spool
$(sim_ca_line)
[database]
enabled = false
[account t-bybit]
exchange = bybit
rest_url = $(sim_url)
ws_url = $(sim_ws_url)/v5/private
api_key_env = VIGIL_T_BB_KEY
api_secret_env = VIGIL_T_BB_SECRET
mode = observe
connect_timeout = 1s
request_timeout = 2s
CONF
"$V" audit -c "$VIGIL_TMP/bb.conf" --listen 0s >"$VIGIL_TMP/audit.out" 2>&1; rc=$?
[ "$rc" = 0 ] || fail "bybit clean account: want 0, got $rc: $(cat "$VIGIL_TMP/audit.out")"
counters sim-bybit-key | python3 -c '
import json,sys
c=json.load(sys.stdin)["endpoints"]
calls={k: v["count"] for k, v in c.items()}
assert not any(k.endswith("/market/time") for k in calls), calls
assert set(calls) <= {"GET /v5/position/list", "GET /v5/order/realtime"}, calls
# one request per endpoint and settle coin (USDT, USDC)
assert calls.get("GET /v5/position/list") == 2, calls
assert calls.get("GET /v5/order/realtime") == 2, calls' || fail "bybit audit cost"

# the exchange clock 30 s ahead: the first listing is refused (-1021), the
# adapter learns the offset, retries, and the audit reports CLOCK_SKEW
sim_post /_sim/reset '{}' >/dev/null
sim_post /_sim/fault '{"type":"clock_offset","exchange":"binance","ms":30000}' >/dev/null || fail "fault"
"$V" audit -c "$CONF" --listen 0s >"$VIGIL_TMP/audit.out" 2>&1; rc=$?
[ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "skewed clock: want a warning, got $rc: $(cat "$VIGIL_TMP/audit.out")"
grep -q CLOCK_SKEW "$VIGIL_TMP/audit.out" || fail "skew not reported: $(cat "$VIGIL_TMP/audit.out")"
counters | python3 -c '
import json,sys
c=json.load(sys.stdin)["endpoints"]
assert c.get("GET /fapi/v1/time", {}).get("count") == 1, c' || fail "one re-sync after the refusal"
echo ok
