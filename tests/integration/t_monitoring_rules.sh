# etc/prometheus/vigil-alerts.yml and etc/grafana/vigil-dashboard.json
# against the daemon they are for:
#  - promtool check rules: zero problems; promtool test rules on
#    vigil-alerts.test.yml passes, and fails once any one alert's expr is
#    made unable to fire (so each alert has a case where it must fire);
#  - the dashboard is JSON with the structure Grafana imports (every panel
#    on the ${DS_PROMETHEUS} variable with a target with an expr);
#  - a running daemon (PostgreSQL, vigil-sim, a position, a REST error):
#    every vigil_* name in a rule or a panel is a series of its /metrics,
#    every label of a matcher or a by/on list exists on that metric, every
#    literal matcher value occurs there; and that healthy scrape, fed to
#    the rules for 15 minutes, raises no alert.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
command -v promtool >/dev/null || fail "promtool missing (make deps installs the prometheus package)"
RULES=etc/prometheus/vigil-alerts.yml
RTEST=etc/prometheus/vigil-alerts.test.yml
DASH=etc/grafana/vigil-dashboard.json
REFS="python3 tests/support/monitoring_refs.py"

# 1. the rules: valid, linted, unit-tested
promtool check rules --lint=all --lint-fatal "$RULES" >"$VIGIL_TMP/check.out" 2>&1 ||
	fail "promtool check rules: $(cat "$VIGIL_TMP/check.out")"
n=$(sed -n 's/^  SUCCESS: \([0-9]*\) rules found$/\1/p' "$VIGIL_TMP/check.out")
[ -n "$n" ] || fail "promtool check rules: $(cat "$VIGIL_TMP/check.out")"
grep -qvE '^(Checking .*|  SUCCESS: [0-9]+ rules found|)$' "$VIGIL_TMP/check.out" &&
	fail "promtool check rules said more: $(cat "$VIGIL_TMP/check.out")"
promtool test rules "$RTEST" >"$VIGIL_TMP/test.out" 2>&1 || fail "promtool test rules: $(cat "$VIGIL_TMP/test.out")"
echo "promtool: $n rules, unit tests pass"

# each alert neutralised in turn: the unit tests must notice
mkdir -p "$VIGIL_TMP/mut"
$REFS mutants "$RULES" "$VIGIL_TMP/mut" >"$VIGIL_TMP/mut.list" || fail "mutants"
[ "$(wc -l <"$VIGIL_TMP/mut.list")" = "$n" ] || fail "$(wc -l <"$VIGIL_TMP/mut.list") alerts parsed, promtool found $n rules"
while read -r a; do
	d=$VIGIL_TMP/mut/$a.d
	mkdir -p "$d"
	cp "$VIGIL_TMP/mut/$a.yml" "$d/vigil-alerts.yml"
	cp "$RTEST" "$d/"
	promtool check rules "$d/vigil-alerts.yml" >/dev/null 2>&1 || fail "mutant $a: not a valid rule file"
done <"$VIGIL_TMP/mut.list"
# (0.7 s each: on every core)
xargs -P "$(nproc)" -I{} sh -c 'promtool test rules "$1/vigil-alerts.test.yml" >"$1/out" 2>&1; echo $? >"$1/rc"' _ \
	"$VIGIL_TMP/mut/{}.d" <"$VIGIL_TMP/mut.list"
while read -r a; do
	d=$VIGIL_TMP/mut/$a.d
	[ "$(cat "$d/rc")" != 0 ] ||
		fail "$a can be made never to fire and $RTEST still passes: give it a case where it fires"
	grep -q "alertname: $a," "$d/out" || fail "mutant $a failed for another reason: $(head -20 "$d/out")"
done <"$VIGIL_TMP/mut.list"
echo "unit tests: every alert has a case where it fires"

# 2. the dashboard's structure
$REFS dashboard "$DASH" || fail "dashboard structure"

# 3. against a running daemon
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
# an audit after the stream connected: vigil_stream_up is 1
sleep 1
curl -fsS "http://127.0.0.1:$MPORT/metrics" >"$VIGIL_TMP/scrape.start" || fail "scrape"
# what is only there after it happened: a stream message (the position's
# account update), a REST error, a repair
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null || fail "open"
sim_post /_sim/fault '{"type":"http_status","exchange":"binance","endpoint":"/fapi/v3/positionRisk","status":503,"count":1}' >/dev/null ||
	fail "fault"
has_all() {
	curl -fsS "http://127.0.0.1:$MPORT/metrics" >"$VIGIL_TMP/scrape.after" &&
		grep -q '^vigil_rest_errors_total{' "$VIGIL_TMP/scrape.after" &&
		grep -q '^vigil_stream_message_age_seconds{' "$VIGIL_TMP/scrape.after" &&
		grep -q '^vigil_actions_total{account="t-binance",kind="PLACE_STOP",outcome="DONE"} 1$' "$VIGIL_TMP/scrape.after"
}
wait_until 10 has_all || fail "no REST error / stream message / stop counted: $(grep -E 'rest_errors|message_age|PLACE_STOP' "$VIGIL_TMP/scrape.after")"
$REFS refs "$RULES" "$DASH" "$VIGIL_TMP/scrape.start" "$VIGIL_TMP/scrape.after" || fail "a rule or a panel uses what /metrics does not have"

# the healthy daemon raises nothing
$REFS quiet "$RULES" "$VIGIL_TMP/scrape.start" "$VIGIL_TMP/quiet.test.yml" >/dev/null || fail "quiet test"
promtool test rules "$VIGIL_TMP/quiet.test.yml" >"$VIGIL_TMP/quiet.out" 2>&1 ||
	fail "an alert fires on a healthy daemon's metrics: $(head -30 "$VIGIL_TMP/quiet.out")"
echo ok
