# Manual repair commands against vigil-sim: plan printed, --dry-run sends
# nothing, no --yes off a terminal refuses (64), --yes carries it out through
# the repair engine (verified), --percent honoured, cancel / cancel-orphans /
# close, nothing-to-do cases (65), usage errors (64).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/r.conf
write_conf "$CONF" observe
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null
sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"ETHUSDT","type":"STOP_MARKET","side":"SELL","trigger":"2900","close_position":true}' >/dev/null
vigil_orders() { sim_state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for o in s["orders"] if (o.get("client_id") or "").startswith("vgl-")))'; }
run() { "$V" repair -c "$CONF" "$@" >"$VIGIL_TMP/r.out" 2>&1 </dev/null; echo $?; }

rc=$(run sl LTCUSDT --percent 1.5 --dry-run); [ "$rc" = 0 ] || fail "dry run rc $rc"
grep -q 'place stop-loss LTCUSDT SELL .*trigger 78.8' "$VIGIL_TMP/r.out" || fail "plan: $(cat "$VIGIL_TMP/r.out")"
grep -q 'dry run: nothing sent' "$VIGIL_TMP/r.out" || fail "dry run not said"
[ "$(vigil_orders)" = 0 ] || fail "dry run sent an order"
rc=$(run sl LTCUSDT --percent 1.5); [ "$rc" = 64 ] || fail "no --yes off a terminal: want 64, got $rc"
[ "$(vigil_orders)" = 0 ] || fail "sent without --yes"
rc=$(run sl LTCUSDT --percent 1.5 --yes); [ "$rc" = 0 ] || fail "sl: rc $rc $(cat "$VIGIL_TMP/r.out")"
grep -q 'DONE (verified)' "$VIGIL_TMP/r.out" || fail "sl not verified"
sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
st=[x for x in s["stops"] if x["symbol"]=="LTCUSDT"]
assert len(st)==1 and abs(float(st[0]["trigger"])-78.8)<1e-9 and st[0]["client_id"].startswith("vgl-"), st' || fail "stop on the exchange"

rc=$(run cancel 99999 --yes); [ "$rc" = 65 ] || fail "unknown order: want 65, got $rc"
# `stops` lists only orders protecting an open leg; the ETHUSDT stop with no
# position is a leftover in `conditional_orders`
eth_left() { sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(sum(1 for o in s["conditional_orders"] if o["symbol"]=="ETHUSDT"))'; }
[ "$(eth_left)" = 1 ] || fail "the ETHUSDT orphan stop is not open before cancel-orphans: $(sim_state)"
rc=$(run cancel-orphans --yes); [ "$rc" = 0 ] || fail "cancel-orphans rc $rc $(cat "$VIGIL_TMP/r.out")"
grep -q 'cancel ETHUSDT order' "$VIGIL_TMP/r.out" || fail "orphan not planned"
grep -q 'LTCUSDT' "$VIGIL_TMP/r.out" && fail "cancel-orphans touched the protected position's stop"
sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
assert [x["symbol"] for x in s["stops"]]==["LTCUSDT"], s["stops"]
assert not [o for o in s["conditional_orders"] if o["symbol"]=="ETHUSDT"], s["conditional_orders"]
c=[o for o in s["orders"] if o["symbol"]=="ETHUSDT" and o["conditional"]]
assert len(c)==1 and not c[0]["open"] and c[0]["cancelled_by"]=="rest", c' || fail "stops after cancel-orphans"

rc=$(run close LTCUSDT --yes); [ "$rc" = 0 ] || fail "close rc $rc $(cat "$VIGIL_TMP/r.out")"
grep -q 'reduce-only market SELL 1' "$VIGIL_TMP/r.out" || fail "close plan"
sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
assert s["positions"]==[], s["positions"]
assert not any(o["side"]=="BUY" and (o.get("client_id") or "").startswith("vgl-") for o in s["orders"]), "vigil bought"' || fail "close on the exchange"
rc=$(run close LTCUSDT --yes); [ "$rc" = 65 ] || fail "nothing to close: want 65, got $rc"
rc=$(run sl LTCUSDT --yes); [ "$rc" = 65 ] || fail "nothing to protect: want 65, got $rc"

rc=$(run frob); [ "$rc" = 64 ] || fail "unknown action: $rc"
rc=$(run sl); [ "$rc" = 64 ] || fail "missing symbol: $rc"
rc=$(run close LTCUSDT --price 3); [ "$rc" = 64 ] || fail "--price on close: $rc"
rc=$(run sl LTCUSDT --price 1 --percent 2); [ "$rc" = 64 ] || fail "--price and --percent: $rc"
rc=$(run sl LTCUSDT --dryrun); [ "$rc" = 64 ] || fail "mistyped option: $rc"
rc=$(run sl LTCUSDT --account nosuch --yes); [ "$rc" = 78 ] || fail "unknown account: $rc"

# With the database configured but down, the lock cannot be taken: the
# refusal names the database, not another instance, and nothing is sent.
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null
before=$(vigil_orders)
DB_DSN="host=127.0.0.1 port=$(free_port) dbname=x user=x connect_timeout=1" write_conf "$CONF" protect
rc=$(run sl BTCUSDT --percent 2 --yes)
[ "$rc" != 0 ] || fail "repair with the database down must not succeed"
grep -q 'database is unreachable' "$VIGIL_TMP/r.out" || fail "refusal must name the database: $(cat "$VIGIL_TMP/r.out")"
[ "$(vigil_orders)" = "$before" ] || fail "an order was sent without the repair lock"
echo ok
