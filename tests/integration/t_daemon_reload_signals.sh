# `vigil run`: SIGHUP with a broken config keeps the running one (and says
# why); SIGHUP with a valid one swaps it in; /healthz and /metrics answer;
# stream events trigger audits between periodic ones; SIGTERM exits 0;
# unknown options exit 64 and a bad config 78.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

"$V" run -c /nonexistent.conf >/dev/null 2>&1; rc=$?; [ $rc = 78 ] || fail "missing config: want 78, got $rc"
"$V" run -c x --json >/dev/null 2>&1; rc=$?; [ $rc = 64 ] || fail "unknown option: want 64, got $rc"

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
# a healthchecks-style dead-man endpoint: any HTTP server that answers GET /
mkdir -p "$VIGIL_TMP/www"
DM_PORT=$(free_port)
(cd "$VIGIL_TMP/www" && exec python3 -m http.server "$DM_PORT" --bind 127.0.0.1) >"$VIGIL_TMP/deadman.log" 2>&1 &
VIGIL_BG_PIDS[deadman]=$!
wait_port "$DM_PORT" 10 || fail "dead-man server"
CONF=$VIGIL_TMP/d.conf
VIGIL_EXTRA="deadman_url = http://127.0.0.1:$DM_PORT/" AUDIT_INTERVAL=30s write_conf "$CONF" observe
cp "$CONF" "$VIGIL_TMP/good.conf"
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VPID=$!
VIGIL_BG_PIDS[vigil]=$VPID
wait_until 10 grep -q 'metrics on' "$VIGIL_TMP/vigil.log" || fail "start: $(cat "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
wait_until 10 curl -fsS "http://127.0.0.1:$MPORT/healthz" || fail "healthz"
curl -fsS "http://127.0.0.1:$MPORT/healthz" | grep -q '^ok' || fail "healthz text"
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream"
sleep 0.3
n0=$(metric 'vigil_audits_total{account="t-binance"}')
e0=$(metric 'vigil_stream_events_total{account="t-binance"}')
# audit_interval is 30 s: only a stream event can cause the next audit
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null
wait_until 5 eval 'test "$(metric '\''vigil_audits_total{account="t-binance"}'\'')" -gt "$n0"' || fail "stream event did not trigger an audit"
e1=$(metric 'vigil_stream_events_total{account="t-binance"}')
[ -n "$e1" ] && [ "${e1%.*}" -gt "${e0:-0}" ] || fail "vigil_stream_events_total not counted: before '$e0' after '$e1'"

grep -q '"GET / HTTP' "$VIGIL_TMP/deadman.log" || fail "no dead-man ping after a successful audit"
[ "$(metric vigil_deadman_pings_total)" -ge 1 ] || fail "dead-man pings not counted"

# broken config + SIGHUP: refused, old one keeps running
printf '[vigil]\naudit_interval = soon\n' >"$CONF"
kill -HUP $VPID
wait_until 5 grep -q 'reload refused' "$VIGIL_TMP/vigil.log" || fail "no refusal logged"
grep 'reload refused' "$VIGIL_TMP/vigil.log" | grep -q 'audit_interval' || fail "refusal does not say why"
kill -0 $VPID || fail "vigil died on a bad reload"
[ "$(metric vigil_reload_failures_total)" = 1 ] || fail "reload failure not counted"
curl -fsS "http://127.0.0.1:$MPORT/healthz" | grep -q '^ok' || fail "unhealthy after a refused reload"
n1=$(metric 'vigil_audits_total{account="t-binance"}')
sim_post /_sim/step '{"op":"close","exchange":"binance","symbol":"LTCUSDT"}' >/dev/null
wait_until 5 eval 'test "$(metric '\''vigil_audits_total{account="t-binance"}'\'')" -gt "$n1"' || fail "old config stopped auditing"

# valid config + SIGHUP: swapped in (audits every 300 ms now)
AUDIT_INTERVAL=300ms write_conf "$CONF" observe
kill -HUP $VPID
wait_until 5 grep -q 'configuration reloaded' "$VIGIL_TMP/vigil.log" || fail "valid reload not applied"
[ "$(metric vigil_reloads_total)" = 1 ] || fail "reload not counted"
n2=$(metric 'vigil_audits_total{account="t-binance"}')
sleep 1.5
n3=$(metric 'vigil_audits_total{account="t-binance"}')
[ $((n3 - n2)) -ge 3 ] || fail "new interval not in force ($n2 -> $n3)"
curl -fsS "http://127.0.0.1:$MPORT/nope" >/dev/null 2>&1 && fail "unknown path must be 404"

kill -TERM $VPID
for ((i = 0; i < 100; i++)); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
wait $VPID; rc=$?
unset "VIGIL_BG_PIDS[vigil]"
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
grep -q 'daemon: stopped' "$VIGIL_TMP/vigil.log" || fail "no clean stop logged"
echo ok
