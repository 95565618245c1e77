# /metrics as Prometheus reads it: `promtool check metrics` (Debian's
# prometheus package, installed by make deps) on a scrape of a running
# daemon with a database, right after start and after activity (a finding,
# a repair, a reconnect): zero lint output. Every counter and gauge with a
# fixed label set is there from the start (0), timestamps are exact.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
command -v promtool >/dev/null || fail "promtool missing (make deps installs the prometheus package)"
pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
SIM_PORT=$(sim_start)
[ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/m.conf
write_conf "$CONF" protect
"$V" db migrate -c "$CONF" >/dev/null || fail "migrate"
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(tail -5 "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
wait_until 10 curl -fsS "http://127.0.0.1:$MPORT/healthz" >/dev/null || fail "healthz"

lint() { # lint WHEN: promtool on one scrape, nothing printed and exit 0
	curl -fsS "http://127.0.0.1:$MPORT/metrics" >"$VIGIL_TMP/scrape.$1" || fail "scrape $1"
	if ! promtool check metrics <"$VIGIL_TMP/scrape.$1" >"$VIGIL_TMP/lint.$1" 2>&1 || [ -s "$VIGIL_TMP/lint.$1" ]; then
		fail "promtool check metrics ($1): $(cat "$VIGIL_TMP/lint.$1")"
	fi
}
sleep 1
lint start
# present from the start, as 0
for s in 'vigil_actions_total{account="t-binance",kind="PLACE_STOP",outcome="DONE"}' \
	'vigil_stream_reconnects_total{account="t-binance"}' \
	'vigil_findings_open{account="t-binance",code="ORPHAN_ORDER",severity="warning"}'; do
	grep -qF "$s " "$VIGIL_TMP/scrape.start" || fail "$s absent at start: $(grep "${s%%\{*}" "$VIGIL_TMP/scrape.start" | head -5)"
done
grep -q -- ' -1$' "$VIGIL_TMP/scrape.start" && fail "a sentinel -1: $(grep -- ' -1$' "$VIGIL_TMP/scrape.start")"
# exact: a timestamp in seconds with its milliseconds, never 1.79622e+09
ts=$(awk '$1 ~ /^vigil_last_audit_timestamp_seconds/ { print $2; exit }' "$VIGIL_TMP/scrape.start")
[ -n "$ts" ] || fail "no vigil_last_audit_timestamp_seconds"
case $ts in *e+*|*E+*) fail "timestamp in exponent form: $ts" ;; esac
now=$(date +%s)
awk -v t="$ts" -v n="$now" 'BEGIN { exit !(t > n - 60 && t <= n + 1) }' || fail "timestamp $ts is not now ($now)"

# activity: an unprotected position (stop placed: an action), a reconnect
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null || fail "open"
wait_until 10 eval '[ "$(metric '\''vigil_actions_total{account="t-binance",kind="PLACE_STOP",outcome="DONE"}'\'')" = 1 ]' ||
	fail "no stop action counted: $(curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep vigil_actions_total)"
sim_post /_sim/fault '{"type":"ws_disconnect","exchange":"binance","until_ms":500}' >/dev/null || fail "ws fault"
wait_until 10 eval '[ "$(metric '\''vigil_stream_reconnects_total{account="t-binance"}'\'')" -ge 1 ]' ||
	fail "no reconnect counted"
lint after
echo ok
