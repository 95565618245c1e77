# HA: two `vigil run` instances, one database, protect mode. Only the holder
# of the account's advisory lock repairs: one stop, not two. When the holder
# stops, the other takes the lock over.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || fail "bot schema"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
INSTANCE=a DB_DSN=$DB_DSN write_conf "$VIGIL_TMP/a.conf" protect
INSTANCE=b DB_DSN=$DB_DSN write_conf "$VIGIL_TMP/b.conf" protect
sed -i "s|^spool_dir = .*|spool_dir = $VIGIL_TMP/spool-b|" "$VIGIL_TMP/b.conf"
"$V" db migrate -c "$VIGIL_TMP/a.conf" >/dev/null || fail "migrate"
start_vigil() {
	"$V" run -c "$VIGIL_TMP/$1.conf" >"$VIGIL_TMP/$1.out" 2>"$VIGIL_TMP/$1.log" &
	VIGIL_BG_PIDS[$1]=$!
	wait_until 10 grep -q ' running: ' "$VIGIL_TMP/$1.log" || fail "$1 did not start"
}
start_vigil a
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/a.log" || fail "a's stream did not connect"
wait_until 10 grep -q 'repair lock acquired' "$VIGIL_TMP/a.log" || fail "a has no lock"
start_vigil b
# sharding (sql/db_shard.h): the one account is a's, so b holds none and
# neither streams nor audits it
wait_until 10 grep -q 'holding 0 of 1 accounts' "$VIGIL_TMP/b.log" || fail "b should stand by: $(cat "$VIGIL_TMP/b.log")"
grep -q 'stream started' "$VIGIL_TMP/b.log" && fail "b started a stream for an account it does not hold"

sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null
nstops() { sim_state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for x in s["stops"] if x["symbol"]=="LTCUSDT"))'; }
wait_until 15 eval 'test "$(nstops)" -ge 1' || fail "no stop"
sleep 2 # both instances audit several more times
[ "$(nstops)" = 1 ] || fail "expected one stop, got $(nstops)"
grep -q 'DID PLACE_STOP .*LTCUSDT .*DONE' "$VIGIL_TMP/a.out" || fail "the lock holder did not repair"
grep -q 'DID PLACE_STOP' "$VIGIL_TMP/b.out" && fail "the observer repaired"

# a reload keeps the lock with its account (the store is adopted, not reopened)
kill -HUP "${VIGIL_BG_PIDS[a]}"
wait_until 10 grep -q 'configuration reloaded' "$VIGIL_TMP/a.log" || fail "reload: $(tail -5 "$VIGIL_TMP/a.log")"
sleep 1
grep -q 'repair lock not held' "$VIGIL_TMP/a.log" && fail "a lost its lock on reload"
[ "$(nstops)" = 1 ] || fail "a second stop after the reload"

# the holder goes away: b takes over
bg_stop a
wait_until 15 grep -q 'repair lock acquired' "$VIGIL_TMP/b.log" || fail "b did not take the lock over"
echo ok
