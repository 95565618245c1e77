# A stop whose answer is lost after the exchange acted (issue 16): vigil-sim
# places the order, then drops the connection / never answers / answers
# Binance's "execution status unknown" 503. vigil looks the order up by
# client id, journals DONE, and never sends a second stop; nothing is
# alerted as "refused".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/lost.conf
GRACE=500ms write_conf "$CONF" protect
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream: $(cat "$VIGIL_TMP/vigil.log")"

vigil_stops() { sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(sum(1 for o in s["conditional_orders"] if o["symbol"]=="'"$1"'" and (o.get("client_id") or "").startswith("vgl-")))'; }

n=0
for mode in drop hang error; do
	n=$((n + 1))
	sym=$(echo "LTCUSDT ETHUSDT BTCUSDT" | cut -d' ' -f$n)
	qty=$(echo "1 0.1 0.01" | cut -d' ' -f$n)
	sim_post /_sim/fault '{"type":"answer_lost","exchange":"binance","endpoint":"/fapi/v1/algoOrder","mode":"'$mode'","count":1}' >/dev/null || fail "fault $mode"
	sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"'$sym'","side":"BUY","qty":"'$qty'"}' >/dev/null || fail "open $sym"
	one() { [ "$(vigil_stops "$sym")" = 1 ]; }
	wait_until 30 one || fail "$mode: no stop for $sym: $(tail -20 "$VIGIL_TMP/vigil.log")"
	done_line() { grep "symbol=$sym action=PLACE_STOP" "$VIGIL_TMP/vigil.log" | grep -q 'outcome=DONE'; }
	wait_until 20 done_line || fail "$mode: the stop for $sym was not journaled DONE: $(grep "symbol=$sym" "$VIGIL_TMP/vigil.log" | tail -5)"
	sleep 3 # later audits must not add a second stop
	[ "$(vigil_stops "$sym")" = 1 ] || fail "$mode: $(vigil_stops "$sym") vigil stops for $sym"
	if grep "symbol=$sym" "$VIGIL_TMP/vigil.log" | grep -q 'refused'; then
		fail "$mode: a lost answer was reported as refused: $(grep "symbol=$sym" "$VIGIL_TMP/vigil.log" | grep refused)"
	fi
	echo "PASS answer lost ($mode): one stop, DONE"
done
