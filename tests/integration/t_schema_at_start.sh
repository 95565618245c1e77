# A fresh database: a one-shot command refuses with one error naming
# `vigil db -c FILE migrate` (never "OK"); `vigil run` migrates the schema
# itself at start (under the migrations' advisory lock), with no query
# failing per audit, and the audit then runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
SIM_PORT=$(sim_start)
[ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/s.conf
write_conf "$CONF" observe

"$V" audit -c "$CONF" --listen 0s >"$VIGIL_TMP/a1.out" 2>"$VIGIL_TMP/a1.err"
rc=$?
[ $rc = 3 ] || fail "audit before migrate: exit $rc (want 3): $(cat "$VIGIL_TMP/a1.out" "$VIGIL_TMP/a1.err")"
grep -q "run \`vigil db -c $CONF migrate\`" "$VIGIL_TMP/a1.err" "$VIGIL_TMP/a1.out" ||
	fail "the error does not name the command: $(cat "$VIGIL_TMP/a1.out" "$VIGIL_TMP/a1.err")"
grep -qi '^OK\|VIGIL OK' "$VIGIL_TMP/a1.out" && fail "audit printed OK on an unmigrated database"
[ "$(wc -l <"$VIGIL_TMP/a1.err")" -le 2 ] || fail "more than one error: $(cat "$VIGIL_TMP/a1.err")"

"$V" run -c "$CONF" >"$VIGIL_TMP/run.out" 2>"$VIGIL_TMP/run.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'migrated at start' "$VIGIL_TMP/run.log" || fail "no migration at start: $(tail -5 "$VIGIL_TMP/run.log")"
sleep 2
grep -q 'does not exist' "$VIGIL_TMP/run.log" && fail "queries failed on a missing relation: $(grep -c 'does not exist' "$VIGIL_TMP/run.log") lines"
kill -0 "${VIGIL_BG_PIDS[vigil]}" || fail "vigil run exited: $(tail -5 "$VIGIL_TMP/run.log")"
"$V" audit -c "$CONF" --listen 0s >"$VIGIL_TMP/a2.out" 2>"$VIGIL_TMP/a2.err"
rc=$?
[ $rc -le 1 ] || fail "audit after the daemon migrated: exit $rc: $(cat "$VIGIL_TMP/a2.out" "$VIGIL_TMP/a2.err")"
echo ok
