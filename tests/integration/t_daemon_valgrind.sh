# `vigil run` under valgrind for a short protect-mode scenario: streams,
# audits, a stop placed and verified, alerts, /metrics scraped, a SIGHUP
# reload, SIGTERM. No invalid access, no definite or indirect leak.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
command -v valgrind >/dev/null || { echo "valgrind not installed: skipped"; exit 0; }

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/v.conf
GRACE=0s AUDIT_INTERVAL=300ms write_conf "$CONF" protect
valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --log-file="$VIGIL_TMP/vg.log" \
	"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VPID=$!
VIGIL_BG_PIDS[vigil]=$VPID
wait_until 60 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "start: $(cat "$VIGIL_TMP/vigil.log" "$VIGIL_TMP/vg.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null
has_stop() { sim_state | grep -q '"client_id":"vgl-'; }
wait_until 60 has_stop || fail "no stop placed: $(tail -20 "$VIGIL_TMP/vigil.log")"
curl -fsS "http://127.0.0.1:$MPORT/metrics" >/dev/null || fail "metrics"
curl -fsS "http://127.0.0.1:$MPORT/healthz" >/dev/null || fail "healthz"
kill -HUP $VPID
wait_until 30 grep -q 'configuration reloaded' "$VIGIL_TMP/vigil.log" || fail "reload"
sleep 1
kill -TERM $VPID
for ((i = 0; i < 600; i++)); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
wait $VPID; rc=$?
unset "VIGIL_BG_PIDS[vigil]"
[ $rc = 0 ] || fail "valgrind/vigil exit $rc: $(cat "$VIGIL_TMP/vg.log")"
[ ! -s "$VIGIL_TMP/vg.log" ] || { cat "$VIGIL_TMP/vg.log"; fail "valgrind reported problems"; }
echo ok
