# Findings that remember (PostgreSQL + vigil-sim): the stored first-seen
# times are used by every run. An orphaned stop first seen by the daemon,
# the daemon stopped: a one-shot `vigil audit` with the configured grace
# reports ORPHAN_ORDER at once with its real AGE; a stop first seen by one
# cron audit (in grace) is reported by the next one; the daemon restarted
# continues the same finding row, ack kept, never resolved and reopened.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
sql() { "$PSQL" "$DB_DSN" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || fail "bot schema"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/remember.conf
GRACE=4s DB_DSN=$DB_DSN write_conf "$CONF" observe
"$V" db migrate -c "$CONF" >/dev/null || fail "migrate"

start_vigil() {
	"$V" run -c "$CONF" >"$VIGIL_TMP/vigil$1.out" 2>"$VIGIL_TMP/vigil$1.log" &
	VIGIL_BG_PIDS[vigil]=$!
	wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil$1.log" || fail "vigil did not start: $(cat "$VIGIL_TMP/vigil$1.log")"
}
stop_vigil() {
	local pid=${VIGIL_BG_PIDS[vigil]} i
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" || fail "vigil run exit $? after SIGTERM"
	unset "VIGIL_BG_PIDS[vigil]"
}
# a reduce-only stop on a flat symbol: what a closed position leaves behind
orphan_stop() {
	sim_post /_sim/step "{\"op\":\"order\",\"exchange\":\"binance\",\"symbol\":\"$1\",\"type\":\"STOP_MARKET\",\"side\":\"SELL\",\"trigger\":\"$2\",\"close_position\":true}" >/dev/null ||
		fail "orphan stop $1"
}
KEY=t-binance:binance:LTCUSDT:ORPHAN_ORDER
rows() { sql "SELECT count(*) FROM vigil.findings WHERE key = '$1'"; }
open_id() { sql "SELECT id FROM vigil.findings WHERE key = '$1' AND resolved_at IS NULL"; }
# the audit's JSON: age in seconds of the finding with code $1 on symbol $2 ("" = not reported)
audit_age() {
	python3 -c '
import json, sys, time
for a in json.load(sys.stdin)["accounts"]:
    for f in a.get("findings", []):
        if f.get("code") == sys.argv[1] and f.get("symbol") == sys.argv[2]:
            print(int(time.time() - f["first_seen_ms"] / 1000)); sys.exit(0)' "$1" "$2"
}

# 1. the daemon sees the stop, reports it past grace and stores it; ack it
start_vigil 1
orphan_stop LTCUSDT 78
wait_until 20 eval 'test -n "$(open_id $KEY)"' || fail "daemon stored no ORPHAN_ORDER: $("$V" findings -c "$CONF")"
ID=$(open_id $KEY)
"$V" ack -c "$CONF" "$KEY" --yes >/dev/null || fail "ack"
sleep 1
stop_vigil
[ "$(sql "SELECT count(*) FROM vigil.conditions WHERE account = 't-binance'")" -ge 1 ] ||
	fail "no condition stored: $(sql 'SELECT * FROM vigil.conditions')"
sleep 2

# 2. a one-shot audit (configured grace 4 s, its own run just started)
# reports the stored finding at once, with its real age
out=$("$V" audit -c "$CONF" --json 2>"$VIGIL_TMP/audit1.log"); rc=$?
[ $rc = 1 ] || fail "audit exit $rc (want 1 warning): $out $(cat "$VIGIL_TMP/audit1.log")"
age=$(audit_age ORPHAN_ORDER LTCUSDT <<<"$out")
[ -n "$age" ] || fail "one-shot audit did not report the orphaned stop: $out"
[ "$age" -ge 4 ] || fail "AGE $age s: not the stored first-seen"
table=$("$V" audit -c "$CONF" 2>/dev/null)
grep -E 'ORPHAN_ORDER +LTCUSDT' <<<"$table" | grep -qv ' 0s ' || fail "AGE column: $table"
[ "$(open_id $KEY)" = "$ID" ] || fail "one-shot audit opened another row"

# 3. cron: a stop first seen by one audit in grace is reported by the next
orphan_stop ETHUSDT 2900
out=$("$V" audit -c "$CONF" --json 2>/dev/null)
[ -z "$(audit_age ORPHAN_ORDER ETHUSDT <<<"$out")" ] || fail "reported inside grace: $out"
sleep 5
out=$("$V" audit -c "$CONF" --json 2>/dev/null)
age=$(audit_age ORPHAN_ORDER ETHUSDT <<<"$out")
[ -n "$age" ] || fail "second cron audit did not report the stop past grace: $out"

# 4. the daemon restarted continues the same finding: same row, ack kept,
# not resolved during its grace window
start_vigil 2
grep -q 'memory seeded' "$VIGIL_TMP/vigil2.log" || fail "no seeding logged: $(cat "$VIGIL_TMP/vigil2.log")"
sleep 6 # more than the grace and many audits
[ "$(open_id $KEY)" = "$ID" ] || fail "restart changed the row: $(sql "SELECT id, resolved_at FROM vigil.findings WHERE key = '$KEY'")"
[ "$(rows $KEY)" = 1 ] || fail "history has $(rows $KEY) rows for one order"
[ "$(sql "SELECT acked_at IS NOT NULL FROM vigil.findings WHERE id = $ID")" = t ] || fail "ack lost"
"$V" findings -c "$CONF" --open --json | python3 -c '
import json,sys; sys.exit(0 if any(f["acked"] and f["key"]==sys.argv[1] for f in json.load(sys.stdin)) else 1)' "$KEY" ||
	fail "vigil findings: ack not shown"
grep -q 'NEW .*ORPHAN_ORDER *LTCUSDT' "$VIGIL_TMP/vigil2.out" && fail "the restart narrated the finding as new"

# 5. the stop cancelled: resolved once, its condition forgotten
sim_post /_sim/step '{"op":"cancel","exchange":"binance","symbol":"LTCUSDT"}' >/dev/null || fail "cancel"
wait_until 10 eval 'test -z "$(open_id $KEY)"' || fail "not resolved after cancel"
wait_until 5 eval 'test "$(sql "SELECT count(*) FROM vigil.conditions WHERE symbol = '"'LTCUSDT'"'")" = 0' ||
	fail "condition kept: $(sql 'SELECT * FROM vigil.conditions')"
stop_vigil
echo ok
