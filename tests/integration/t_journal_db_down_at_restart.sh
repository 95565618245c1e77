# The database is down when vigil restarts with an unfinished intent in its
# journal (issue 16): vigil is killed while its stop is in flight (the
# exchange took it, the answer never came), the database stops, vigil
# starts again. While the journal cannot be listed nothing is sent
# (JOURNAL_UNREADABLE, vigil_journal_readable 0); when the database is
# back, the intent is resolved by client id (DONE) and no second stop is
# ever sent.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$VIGIL_PG_BIN/psql
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || fail "bot schema"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/j.conf
GRACE=500ms write_conf "$CONF" protect
"$V" db migrate -c "$CONF" >/dev/null || fail "migrate"

vigil_stops() { sim_state | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(sum(1 for o in s["conditional_orders"] if o["symbol"]=="LTCUSDT" and (o.get("client_id") or "").startswith("vgl-")))'; }
pending() { "$PSQL" "$DB_DSN" -tAc "SELECT count(*) FROM vigil.actions WHERE symbol = 'LTCUSDT' AND kind = 0 AND outcome IN (0, 4)"; }

# the stop's answer never comes: vigil waits in the request, and is killed there
sim_post /_sim/fault '{"type":"answer_lost","exchange":"binance","endpoint":"/fapi/v1/algoOrder","mode":"hang","count":1}' >/dev/null || fail "fault"
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.1.out" 2>"$VIGIL_TMP/vigil.1.log" &
VPID=$!
VIGIL_BG_PIDS[vigil1]=$VPID
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.1.log" || fail "stream: $(cat "$VIGIL_TMP/vigil.1.log")"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"
placed() { [ "$(vigil_stops)" = 1 ]; }
wait_until 20 placed || fail "the stop never reached the exchange: $(tail -20 "$VIGIL_TMP/vigil.1.log")"
kill -9 "$VPID"
wait "$VPID" 2>/dev/null
[ "$(pending)" = 1 ] || fail "no unfinished intent in the journal: $("$PSQL" "$DB_DSN" -tAc "SELECT kind, outcome, client_id FROM vigil.actions")"

# restart with the database down: nothing may be sent
pg_pause
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.2.out" 2>"$VIGIL_TMP/vigil.2.log" &
VIGIL_BG_PIDS[vigil2]=$!
wait_until 15 grep -q 'metrics on' "$VIGIL_TMP/vigil.2.log" || fail "vigil did not start: $(tail -20 "$VIGIL_TMP/vigil.2.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.2.log")
unreadable() { grep -q 'journal unreadable' "$VIGIL_TMP/vigil.2.log"; }
wait_until 20 unreadable || fail "the unreadable journal was not noticed: $(tail -20 "$VIGIL_TMP/vigil.2.log")"
sleep 3
[ "$(vigil_stops)" = 1 ] || fail "a second stop was sent while the journal was unreadable"
[ "$(metric "vigil_journal_readable{account=\"t-binance\"}")" = 0 ] || fail "vigil_journal_readable is not 0"
grep -q 'JOURNAL_UNREADABLE' "$VIGIL_TMP/vigil.2.out" "$VIGIL_TMP/vigil.2.log" || fail "no JOURNAL_UNREADABLE finding"

# the database is back: the intent is resolved, still one stop
pg_resume || fail "postgres did not come back"
resolved() { [ "$(pending)" = 0 ]; }
wait_until 40 resolved || fail "the intent stayed unfinished: $(grep -E 'recover|unresolved|journal' "$VIGIL_TMP/vigil.2.log" | tail -5)"
"$PSQL" "$DB_DSN" -tAc "SELECT outcome FROM vigil.actions WHERE symbol = 'LTCUSDT' AND kind = 0" | grep -qx 1 ||
	fail "the intent was not resolved DONE: $("$PSQL" "$DB_DSN" -tAc "SELECT outcome, answer FROM vigil.actions WHERE symbol = 'LTCUSDT'")"
sleep 3
[ "$(vigil_stops)" = 1 ] || fail "$(vigil_stops) vigil stops after recovery"
readable() { [ "$(metric "vigil_journal_readable{account=\"t-binance\"}")" = 1 ]; }
wait_until 10 readable || fail "vigil_journal_readable did not return to 1"
echo "PASS database down at restart: nothing sent, intent resolved DONE, one stop"
