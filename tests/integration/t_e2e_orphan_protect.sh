# End to end: vigil-sim + PostgreSQL + fake Telegram + SMTP sink + vigil run
# in protect mode. An orphaned position appears on the exchange -> one
# Telegram message and one email for ORPHAN_POSITION, a stop placed by
# vigil (seen on vigil-sim's /_sim/state), /metrics shows it; the position
# is closed -> the finding is resolved (database) and a RESOLVED alert sent.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || fail "bot schema"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
TG_PORT=$(start_port tg python3 tests/support/fake_telegram.py --port 0 --log "$VIGIL_TMP/tg.jsonl" --token 123:e2e-token-abcdef)
[ -n "$TG_PORT" ] || fail "fake telegram"

SMTP_PORT=$(start_port smtp /usr/bin/python3 tests/support/smtp_sink.py --maildir "$VIGIL_TMP/mail" --port 0)
[ -n "$SMTP_PORT" ] || fail "smtp sink"
export VIGIL_T_TG_TOKEN=123:e2e-token-abcdef
ALERTS="[alerts.telegram]
enabled = true
api_url = http://127.0.0.1:$TG_PORT
token_env = VIGIL_T_TG_TOKEN
chat_ids = 42
min_severity = critical
[alerts.smtp]
enabled = true
url = smtp://127.0.0.1:$SMTP_PORT
from = vigil@example.test
to = ops@example.test
require_starttls = false
min_severity = critical"
CONF=$VIGIL_TMP/e2e.conf
write_conf "$CONF" protect
"$V" db migrate -c "$CONF" >/dev/null || fail "migrate"

"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
VPID=$!
wait_until 10 grep -q 'metrics on' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(cat "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
wait_until 10 curl -fsS "http://127.0.0.1:$MPORT/healthz" || fail "healthz"
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream"

# the orphan: nobody's DB row, no stop
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"

has_vigil_stop() { sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
sys.exit(0 if any(x["symbol"]=="LTCUSDT" and (x.get("client_id") or "").startswith("vgl-") for x in s["stops"]) else 1)'; }
wait_until 20 has_vigil_stop || fail "no stop placed by vigil: $(sim_state)"
sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
st=[x for x in s["stops"] if x["symbol"]=="LTCUSDT"]
assert len(st)==1, st     # exactly one order protects the leg (the sim judges it)
# and vigil sent exactly one conditional order for it (none resting unprotecting)
v=[o for o in s["conditional_orders"] if o["symbol"]=="LTCUSDT" and (o.get("client_id") or "").startswith("vgl-")]
assert len(v)==1 and v[0]["client_id"]==st[0]["client_id"], v
# a long is protected by a SELL stop below the mark (80 - 2% = 78.4)
o=[x for x in s["orders"] if x.get("client_id")==st[0]["client_id"]][0]
assert o["side"]=="SELL", o
assert float(st[0]["trigger"]) < 80, st' || fail "stop side/price"

tg_count() { python3 - "$VIGIL_TMP/tg.jsonl" "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    t = json.dumps(r.get("body", {}))
    if r.get("status") == 200 and sys.argv[2] in t and (("RESOLVED" in t) == (sys.argv[3] == "resolved")):
        n += 1
print(n)
PY
}
mail_count() { grep -l "$1" "$VIGIL_TMP"/mail/new/* 2>/dev/null | xargs -r grep -L "RESOLVED" | wc -l; }
wait_until 15 eval 'test "$(tg_count ORPHAN_POSITION firing)" -ge 1' || fail "no Telegram message"
wait_until 15 eval 'test "$(mail_count ORPHAN_POSITION)" -ge 1' || fail "no email"
stops_done() { test "$(metric 'vigil_actions_total{account="t-binance",kind="PLACE_STOP",outcome="DONE"}')" = 1; }
orphan_open() { test "$(metric 'vigil_findings_open{account="t-binance",code="ORPHAN_POSITION",severity="critical"}')" = "$1"; }
wait_until 10 stops_done ||
	fail "metrics: $(curl -s "http://127.0.0.1:$MPORT/metrics" | grep actions)"
[ "$(metric 'vigil_findings_open{account="t-binance",code="ORPHAN_POSITION",severity="critical"}')" = 1 ] || fail "metrics: finding"
[ "$(metric 'vigil_alerts_delivered_total{channel="telegram"}')" -ge 1 ] || fail "metrics: alerts"
# REST latency per endpoint: the path only, never the signed query string
m=$(curl -fsS "http://127.0.0.1:$MPORT/metrics")
grep -q 'vigil_rest_latency_seconds_count{account="t-binance",method="GET",endpoint="/fapi/v3/positionRisk"}' <<<"$m" ||
	fail "metrics: no per-endpoint REST latency: $(grep rest_latency <<<"$m" | head -5)"
grep -q 'signature' <<<"$m" && fail "metrics: a signed query string leaked into a label"

# ack: silences repeats (stored; the daemon applies it), needs --yes off a tty
KEY=t-binance:binance:LTCUSDT:ORPHAN_POSITION
"$V" findings -c "$CONF" --open | grep -q "$KEY" || fail "open finding not stored: $("$V" findings -c "$CONF")"
"$V" ack -c "$CONF" "$KEY" </dev/null >/dev/null 2>&1; rc=$?; [ $rc = 64 ] || fail "ack without --yes: $rc"
"$V" ack -c "$CONF" "$KEY" --yes >/dev/null || fail "ack"
"$V" ack -c "$CONF" nosuch:key --yes >/dev/null 2>&1; rc=$?; [ $rc = 65 ] || fail "ack unknown key: $rc"
"$V" findings -c "$CONF" --open --json | python3 -c '
import json,sys; sys.exit(0 if any(f["acked"] and f["key"]==sys.argv[1] for f in json.load(sys.stdin)) else 1)' "$KEY" || fail "ack not stored"

# someone closes the position: the orphan clears
sim_post /_sim/step '{"op":"close","exchange":"binance","symbol":"LTCUSDT"}' >/dev/null || fail "close"
wait_until 15 eval 'test "$(tg_count ORPHAN_POSITION resolved)" -ge 1' || fail "no RESOLVED alert: $(cat "$VIGIL_TMP/tg.jsonl")"
[ "$(tg_count ORPHAN_POSITION firing)" = 1 ] || fail "expected exactly one Telegram alert for the orphan, got $(tg_count ORPHAN_POSITION firing)"
[ "$(mail_count ORPHAN_POSITION)" = 1 ] || fail "expected exactly one email for the orphan, got $(mail_count ORPHAN_POSITION)"
wait_until 5 orphan_open 0 || fail "metrics: still open"
[ "$(metric 'vigil_findings_resolved_total{account="t-binance",code="ORPHAN_POSITION"}')" -ge 1 ] || fail "metrics: resolved"
"$V" findings -c "$CONF" | grep -E '^resolved .*ORPHAN_POSITION .*LTCUSDT' >/dev/null || fail "findings: $("$V" findings -c "$CONF")"
grep -q 'DID PLACE_STOP .*LTCUSDT .*DONE' "$VIGIL_TMP/vigil.out" || fail "narration"
# the secret never reaches vigil's output
! grep -q 'e2e-token-abcdef' "$VIGIL_TMP/vigil.log" "$VIGIL_TMP/vigil.out" || fail "token leaked into the log"

kill -TERM "$VPID"
for ((i = 0; i < 100; i++)); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
wait "$VPID"; rc=$?
unset "VIGIL_BG_PIDS[vigil]"
[ $rc -eq 0 ] || fail "vigil run exit $rc after SIGTERM"
echo ok
