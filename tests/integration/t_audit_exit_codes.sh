# `vigil audit` exit codes (Nagios): 0 OK, 1 warning, 2 critical, 3 could not
# audit (unreachable exchange, config error, usage error), plus --json.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/a.conf
GRACE=0s write_conf "$CONF" observe
audit() { "$V" audit -c "$CONF" --listen 300ms "$@" >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"; echo $?; }

# OK: flat account, nothing open
rc=$(audit); [ "$rc" = 0 ] || fail "clean account: want 0, got $rc: $(cat "$VIGIL_TMP/audit.out" "$VIGIL_TMP/audit.err")"
head -1 "$VIGIL_TMP/audit.out" | grep -q '^VIGIL OK - 0 critical, 0 warning on 1 account | critical=0;;;0 ' || fail "Nagios status line: $(head -1 "$VIGIL_TMP/audit.out")"

# warning: a stop left behind with no position (ORPHAN_ORDER)
sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"ETHUSDT","type":"STOP_MARKET","side":"SELL","trigger":"2900","close_position":true}' >/dev/null
rc=$(audit); [ "$rc" = 1 ] || fail "orphan order: want 1, got $rc: $(cat "$VIGIL_TMP/audit.out")"
grep -q 'ORPHAN_ORDER' "$VIGIL_TMP/audit.out" || fail "warning finding not listed"

# critical: an open position without a stop (UNPROTECTED_POSITION)
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null
rc=$(audit --json); [ "$rc" = 2 ] || fail "unprotected: want 2, got $rc: $(cat "$VIGIL_TMP/audit.out")"
python3 -c '
import json,sys
j=json.load(open(sys.argv[1]))
assert j["status"]=="CRITICAL" and j["exit_code"]==2, j
assert j["schema_version"]==1 and isinstance(j["generated_at_ms"], int), j
codes={f["code"] for a in j["accounts"] for f in a["findings"]}
assert "UNPROTECTED_POSITION" in codes and "ORPHAN_ORDER" in codes, codes' "$VIGIL_TMP/audit.out" || fail "json"
# observe mode and a one-shot audit never send anything
sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
assert not any((o.get("client_id") or "").startswith("vgl-") for o in s["orders"]), "audit sent an order"' || fail "audit repaired"

# could not audit: nothing listens on the exchange port
REST_PORT=$(free_port) write_conf "$VIGIL_TMP/down.conf" observe
"$V" audit -c "$VIGIL_TMP/down.conf" --listen 0s >"$VIGIL_TMP/audit.out" 2>&1; rc=$?
[ $rc = 3 ] || fail "unreachable: want 3, got $rc: $(cat "$VIGIL_TMP/audit.out")"
grep -q 'COULD NOT AUDIT' "$VIGIL_TMP/audit.out" || fail "unreachable not explained"

# the exchange answers 5xx to every position call: could not audit either
sim_post /_sim/fault '{"type":"http_status","exchange":"binance","status":503}' >/dev/null
rc=$(audit); [ "$rc" = 2 ] || [ "$rc" = 3 ] || fail "503: want 3 (or 2 from stream facts), got $rc"
sim_post /_sim/reset '{}' >/dev/null

# -t SECONDS: an exchange that answers after 4 s; the plugin gives up at
# 1 s with UNKNOWN (exit 3) and a status line, text and --json alike
sim_post /_sim/fault '{"type":"slow","exchange":"binance","ms":4000}' >/dev/null
for fmt in text json; do
	t0=$(date +%s%N)
	if [ $fmt = json ]; then rc=$(audit -t 1 --json); else rc=$(audit -t 1); fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$rc" = 3 ] || fail "-t 1 ($fmt): want 3, got $rc: $(cat "$VIGIL_TMP/audit.out")"
	[ $ms -lt 2500 ] || fail "-t 1 ($fmt) took $ms ms"
	if [ $fmt = json ]; then
		python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["exit_code"]==3 and "timed out" in j["error"], j' \
			"$VIGIL_TMP/audit.out" || fail "-t --json: $(cat "$VIGIL_TMP/audit.out")"
	else
		head -1 "$VIGIL_TMP/audit.out" | grep -q '^VIGIL UNKNOWN - timed out after 1 s (-t 1) | ' ||
			fail "-t status line: $(cat "$VIGIL_TMP/audit.out")"
	fi
done
sim_post /_sim/reset '{}' >/dev/null

# config and usage errors are 3 too (Nagios UNKNOWN), never 64/78
printf '[vigil]\nbogus = 1\n' >"$VIGIL_TMP/bad.conf"
"$V" audit -c "$VIGIL_TMP/bad.conf" >/dev/null 2>&1; rc=$?; [ $rc = 3 ] || fail "config error: want 3, got $rc"
# with --json, still one document on stdout (tests/integration/t_json_output.sh has the rest)
"$V" audit -c "$VIGIL_TMP/bad.conf" --json >"$VIGIL_TMP/audit.out" 2>/dev/null; rc=$?
[ $rc = 3 ] || fail "config error --json: want 3, got $rc"
python3 -c '
import json,sys; j=json.load(open(sys.argv[1]))
assert j["exit_code"]==3 and j["status"]=="UNKNOWN" and "bogus" in j["error"], j' "$VIGIL_TMP/audit.out" || fail "config error --json: $(cat "$VIGIL_TMP/audit.out")"
"$V" audit -c "$CONF" --frobnicate >/dev/null 2>&1; rc=$?; [ $rc = 3 ] || fail "usage error: want 3, got $rc"
"$V" audit -c "$CONF" --account nosuch >/dev/null 2>&1; rc=$?; [ $rc = 3 ] || fail "unknown account: want 3, got $rc"
echo ok
