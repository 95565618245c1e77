# The running daemon's /healthz beside 50 slow clients: 25 connected and
# silent, 25 trickling a request head a byte at a time. Five probes, the
# median under 100 ms (a liveness probe must not time out because of
# them); the slow ones are cut off by the 2 s request deadline, leaving
# vigil's fd count where it was, and /metrics still scrapes.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
SIM_PORT=$(sim_start)
[ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/m.conf
write_conf "$CONF" observe
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
VPID=$!
wait_until 10 grep -q 'metrics on http' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(tail -5 "$VIGIL_TMP/vigil.log")"
MPORT=$(metrics_port "$VIGIL_TMP/vigil.log")
wait_until 10 curl -fsS "http://127.0.0.1:$MPORT/healthz" >/dev/null || fail "healthz"
sleep 1 # let the streams and the first audit settle their fds
fds() { find "/proc/$VPID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
before=$(fds)

slow=()
for ((i = 0; i < 50; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$MPORT" || fail "connect $i"
	slow+=("$fd")
done
head='GET /healthz HTTP/1.1'
times=()
for ((k = 0; k < 5; k++)); do
	for ((i = 0; i < 50; i += 2)); do printf '%s' "${head:k:1}" >&"${slow[i]}" || fail "slow client $i cut early"; done
	t=$(curl -sS -o "$VIGIL_TMP/hz.$k" -w '%{http_code} %{time_total}' --max-time 5 "http://127.0.0.1:$MPORT/healthz") ||
		fail "probe $k: $t"
	[ "${t%% *}" = 200 ] || [ "${t%% *}" = 503 ] || fail "probe $k answered ${t%% *}"
	times+=("${t#* }")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
echo "healthz with 50 slow clients: ${times[*]} s (median $median s)"
awk -v m="$median" 'BEGIN { exit !(m < 0.1) }' || fail "median /healthz $median s with 50 slow clients"

# the deadline drops them (the server closes: our reads see EOF)
sleep 2.5
for ((i = 0; i < 50; i++)); do
	read -r -t 1 -u "${slow[i]}" _ 2>/dev/null
	rc=$?
	[ $rc -le 1 ] || fail "slow client $i still connected after the deadline (read rc $rc)"
	exec {slow[i]}>&-
done
wait_until 5 eval '[ "$(fds)" -le "$before" ]' || fail "vigil fds: $before before, $(fds) after"
curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep -q '^vigil_up 1$' || fail "/metrics after the slow clients"
kill -0 "$VPID" || fail "vigil died"
echo ok
