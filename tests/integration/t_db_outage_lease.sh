# A database outage does not stop protection (sql/db_ha.h, the lease): two
# `vigil run` instances in protect mode share one PostgreSQL; a holds the
# account's repair lock. PostgreSQL is stopped, then a position without a
# stop opens: a, cut off from the database, repairs on its lease (the stop
# is placed, journaled to its spool) and b, which never held the lease,
# sends nothing. When the database is back the spool is replayed and a
# keeps the lock; still one stop. A lease that ran out stops repairs.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN="$DATABASE_URL connect_timeout=1"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
DB_EXTRA="connect_timeout = 1s
repair_lease = 20s"
INSTANCE=a DB_DSN=$DB_DSN DB_EXTRA=$DB_EXTRA write_conf "$VIGIL_TMP/a.conf" protect
INSTANCE=b DB_DSN=$DB_DSN DB_EXTRA=$DB_EXTRA write_conf "$VIGIL_TMP/b.conf" protect
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
sleep 1

pg_pause
t0=$(date +%s)
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"ETHUSDT","side":"BUY","qty":"0.5"}' >/dev/null
nstops() { sim_state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for x in s["stops"] if x["symbol"]=="ETHUSDT"))'; }
wait_until 15 eval 'test "$(nstops)" -ge 1' || fail "no stop during the outage: $(tail -5 "$VIGIL_TMP/a.log")"
echo "stop placed $(($(date +%s) - t0)) s into the outage"
grep -q "repairing on this instance's lease" "$VIGIL_TMP/a.log" || fail "a did not say it repairs on its lease"
grep -q 'DID PLACE_STOP .*ETHUSDT .*DONE' "$VIGIL_TMP/a.out" || fail "the lease holder did not repair: $(cat "$VIGIL_TMP/a.out" | tail -5)"
grep -q 'journal record spooled' "$VIGIL_TMP/a.log" || fail "the repair was not journaled to the spool"
sleep 2
[ "$(nstops)" = 1 ] || fail "expected one stop, got $(nstops)"
grep -q 'DID PLACE_STOP' "$VIGIL_TMP/b.out" && fail "b (never the holder) repaired during the outage"

pg_resume || fail "postgres restart"
wait_until 15 grep -q 'spool replayed' "$VIGIL_TMP/a.log" || fail "a's spool not replayed"
sleep 2
[ "$(nstops)" = 1 ] || fail "a second stop after the database came back"
grep -q 'DID PLACE_STOP' "$VIGIL_TMP/b.out" && fail "b repaired after the outage"
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
holder=$("$PSQL" "$DATABASE_URL" -Atc "SELECT holder FROM vigil.repair_lease WHERE account = 't-binance'")
[ "$holder" = a ] || fail "lease holder after the outage: '$holder'"
n=$("$PSQL" "$DATABASE_URL" -Atc "SELECT count(*) FROM vigil.actions WHERE kind = 0 AND symbol = 'ETHUSDT'" 2>&1)
[ "$n" = 1 ] || fail "journal holds $n PLACE_STOP actions for ETHUSDT (want 1 — the spooled one)"
echo ok
