# Secret files and environment secrets in a running daemon: the API key
# read from the environment is not left in /proc/PID/environ; a secret
# file replaced by a FIFO makes a SIGHUP reload fail at once with a clear
# message (it once hung the main thread, SIGTERM ignored) — so does the
# config file itself replaced by a FIFO — the daemon runs
# on and stops promptly on SIGTERM; a symlinked secret file is refused at
# start (exit 78). No core dump: RLIMIT_CORE is 0 in the running process.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
SEC=$VIGIL_TMP/secret
(umask 077; printf '%s\n' "$VIGIL_T_BN_SECRET" >"$SEC")
CONF=$VIGIL_TMP/s.conf
AUDIT_INTERVAL=1s write_conf "$CONF" observe
sed -i "s|^api_secret_env = .*|api_secret_file = $SEC|" "$CONF"

# a symlink in place of the file: refused at start, not followed
ln -s "$SEC" "$VIGIL_TMP/link"
sed "s|^api_secret_file = .*|api_secret_file = $VIGIL_TMP/link|" "$CONF" >"$VIGIL_TMP/link.conf"
chmod 600 "$VIGIL_TMP/link.conf"
out=$("$V" run -c "$VIGIL_TMP/link.conf" 2>&1); rc=$?
[ $rc = 78 ] || fail "symlinked secret: want exit 78, got $rc: $out"
grep -q 'symbolic link' <<<"$out" || fail "symlinked secret: unclear message: $out"

"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VPID=$!
VIGIL_BG_PIDS[vigil]=$VPID
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "start: $(tail -5 "$VIGIL_TMP/vigil.log")"
# the key came from the environment: it must not stay in it
tr '\0' '\n' </proc/$VPID/environ | grep -q "$VIGIL_T_BN_KEY" && fail "the API key is still in /proc/$VPID/environ"
# (the kernel shows the process's first environment block: the name stays
# there, its value is overwritten with zero bytes)
grep -qE '^Max core file size +0 +0' /proc/$VPID/limits || fail "core dumps not off: $(grep core /proc/$VPID/limits)"

# a reload still finds the scrubbed environment secret
kill -HUP $VPID
wait_until 10 grep -q 'configuration reloaded' "$VIGIL_TMP/vigil.log" || fail "reload: $(tail -3 "$VIGIL_TMP/vigil.log")"

rm -f "$SEC"
mkfifo -m 600 "$SEC"
kill -HUP $VPID
wait_until 5 grep -q 'reload refused: .*not a regular file' "$VIGIL_TMP/vigil.log" ||
	fail "FIFO secret on reload: $(tail -3 "$VIGIL_TMP/vigil.log")"
kill -0 $VPID 2>/dev/null || fail "the daemon died on a bad reload"
# the config file itself replaced by a FIFO: the same (never a blocked open)
mv "$CONF" "$CONF.bak"
mkfifo -m 600 "$CONF"
kill -HUP $VPID
wait_until 5 eval 'test "$(grep -c "reload refused: .*not a regular file" "$VIGIL_TMP/vigil.log")" -ge 2' ||
	fail "FIFO config on reload: $(tail -3 "$VIGIL_TMP/vigil.log")"
t0=$(date +%s%N)
kill -TERM $VPID
for _ in $(seq 100); do kill -0 $VPID 2>/dev/null || break; sleep 0.05; done
kill -0 $VPID 2>/dev/null && fail "SIGTERM did not stop the daemon within 5 s"
wait $VPID; rc=$?
unset 'VIGIL_BG_PIDS[vigil]'
[ $rc = 0 ] || fail "exit after SIGTERM: $rc"
echo "stopped $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM"
echo ok
