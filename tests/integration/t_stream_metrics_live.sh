# The stream gauges follow the stream between audits: with audits a minute
# apart, vigil_stream_up drops to 0 within 2 s of the stream going down and
# is 1 again within 2 s of it coming back, and the reconnect is counted —
# not at the next audit. (They were set by audits only: after a start over
# TLS, whose first audit runs before the handshake ends, a healthy stream
# read 0 for up to a full audit gap.)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
SIM_PORT=$(sim_start)
[ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/s.conf
AUDIT_INTERVAL=60s write_conf "$CONF" observe
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(tail -5 "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
UP='vigil_stream_up{account="t-binance"}'
RC='vigil_stream_reconnects_total{account="t-binance"}'
wait_until 2 eval '[ "$(metric "$UP")" = 1 ]' || fail "stream connected, gauge $(metric "$UP")"
audits() { metric 'vigil_audits_total{account="t-binance"}'; }
a0=$(audits)

# the sim drops the stream and refuses it for 6 s
sim_post /_sim/fault '{"type":"ws_disconnect","exchange":"binance","until_ms":6000}' >/dev/null || fail "ws fault"
wait_until 10 grep -q 'stream down' "$VIGIL_TMP/vigil.log" || fail "stream not dropped"
wait_until 2 eval '[ "$(metric "$UP")" = 0 ]' || fail "stream down, gauge still $(metric "$UP")"
[ "$(audits)" = "$a0" ] || echo "note: an audit ran while down ($a0 -> $(audits))"
wait_until 12 eval '[ "$(grep -c "stream connected" "$VIGIL_TMP/vigil.log")" -ge 2 ]' || fail "no reconnect"
wait_until 2 eval '[ "$(metric "$UP")" = 1 ]' || fail "stream back, gauge $(metric "$UP")"
wait_until 2 eval '[ "$(metric "$RC")" -ge 1 ]' || fail "reconnect not counted: $(metric "$RC")"
echo ok
