# Helpers for the watchdog's integration scripts (t_e2e_*, t_audit_*,
# t_daemon_*). Source after tests/lib.sh.
B=${VIGIL_BUILD:-build}
V=$B/vigil
export VIGIL_T_BN_KEY=sim-binance-key VIGIL_T_BN_SECRET=sim-binance-secret
export VIGIL_T_BB_KEY=sim-bybit-key VIGIL_T_BB_SECRET=sim-bybit-secret

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_port NAME CMD...: starts CMD (which prints "port=N" on stdout) in
# the background and prints N.
start_port() {
	local name=$1 i; shift
	"$@" >"$VIGIL_TMP/$name.out" 2>"$VIGIL_TMP/$name.log" &
	VIGIL_BG_PIDS[$name]=$!
	# called as $(start_port ...): the array above is lost with the subshell,
	# so leave a pid file for vigil_cleanup (tests/lib.sh)
	echo $! >"$VIGIL_TMP/$name.pid"
	for ((i = 0; i < 200; i++)); do
		grep -q '^port=' "$VIGIL_TMP/$name.out" 2>/dev/null && break
		sleep 0.05
	done
	sed -n 's/^port=//p' "$VIGIL_TMP/$name.out" | head -1
}

# TLS by default (issue 21): sim_start runs vigil-sim with --tls-dir (one
# generated test CA per script, $SIM_CA), and write_conf, sim_url, sim_ws_url,
# sim_curl, sim_post and sim_state speak https:// / wss:// with that CA.
# VIGIL_T_TLS=0 runs them plain (http:// / ws://), as before.
VIGIL_T_TLS=${VIGIL_T_TLS:-1}
SIM_TLS_DIR=$VIGIL_TMP/sim-tls
SIM_CA=$SIM_TLS_DIR/ca.pem
# sim_start [vigil-sim options]: starts the sim (background "sim") on a free
# port and prints the port.
sim_start() {
	if [ "$VIGIL_T_TLS" = 1 ]; then
		start_port sim "$B/vigil-sim" --port 0 --tls-dir "$SIM_TLS_DIR" "$@"
	else
		start_port sim "$B/vigil-sim" --port 0 "$@"
	fi
}
# sim_url [PORT] / sim_ws_url [PORT]: the sim's REST / stream base URL.
sim_url() { if [ "$VIGIL_T_TLS" = 1 ]; then echo "https://127.0.0.1:${1:-$SIM_PORT}"; else echo "http://127.0.0.1:${1:-$SIM_PORT}"; fi; }
sim_ws_url() { if [ "$VIGIL_T_TLS" = 1 ]; then echo "wss://127.0.0.1:${1:-$SIM_PORT}"; else echo "ws://127.0.0.1:${1:-$SIM_PORT}"; fi; }
# sim_ca_line: the config line that trusts the sim's CA ("" when plain).
sim_ca_line() { [ "$VIGIL_T_TLS" != 1 ] || echo "ca_file = $SIM_CA"; }
# sim_curl ARGS...: curl that trusts the sim's CA (when TLS); URLs from sim_url.
sim_curl() { if [ "$VIGIL_T_TLS" = 1 ]; then curl --cacert "$SIM_CA" "$@"; else curl "$@"; fi; }
sim_post() { sim_curl -fsS -X POST --data-binary "$2" "$(sim_url)$1"; }
sim_state() { sim_curl -fsS "$(sim_url)/_sim/state?account=${1:-sim-binance-key}"; }

# wait_until SECS CMD...: retries CMD every 0.2 s until it succeeds.
wait_until() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# write_conf FILE MODE: one Binance account on the sim (TLS with the sim's CA
# as [vigil] ca_file unless VIGIL_T_TLS=0), no database unless DB_DSN is set,
# alerts as the ALERTS variable says, VIGIL_EXTRA / DB_EXTRA / ACCOUNT_EXTRA
# lines appended to their sections.
write_conf() {
	local file=$1 mode=$2
	{
		echo "[vigil]"
		echo "log_level = ${LOG_LEVEL:-info}"
		echo "audit_interval = ${AUDIT_INTERVAL:-500ms}"
		echo "audit_debounce = 50ms"
		echo "metrics_listen = 127.0.0.1:0"
		echo "instance = ${INSTANCE:-t}"
		echo "spool_dir = $VIGIL_TMP/spool"
		echo "rest_lag_tolerance = 1s"
		sim_ca_line
		[ -z "${VIGIL_EXTRA:-}" ] || printf '%s\n' "$VIGIL_EXTRA"
		echo "[database]"
		if [ -n "${DB_DSN:-}" ]; then echo "enabled = true"; echo "dsn = $DB_DSN"; else echo "enabled = false"; fi
		[ -z "${DB_EXTRA:-}" ] || printf '%s\n' "$DB_EXTRA"
		echo "[alerts]"
		echo "repeat_interval = 1h"
		echo "warning_hold = 0s"
		printf '%s\n' "${ALERTS:-}"
		echo "[account t-binance]"
		echo "exchange = binance"
		echo "rest_url = $(sim_url "${REST_PORT:-$SIM_PORT}")"
		echo "ws_url = $(sim_ws_url "${REST_PORT:-$SIM_PORT}")"
		echo "api_key_env = VIGIL_T_BN_KEY"
		echo "api_secret_env = VIGIL_T_BN_SECRET"
		echo "mode = $mode"
		echo "grace_open = ${GRACE:-1s}"
		echo "grace_order = ${GRACE:-1s}"
		echo "connect_timeout = 1s"
		echo "request_timeout = 2s"
		# vigil-sim is no shared production IP: audits every 300 ms must
		# not be paced by the real 2400/min budget (tests of the budget
		# set REQUEST_LIMIT themselves)
		echo "request_limit = ${REQUEST_LIMIT:-1000000}"
		[ -z "${ACCOUNT_EXTRA:-}" ] || printf '%s\n' "$ACCOUNT_EXTRA"
	} >"$file"
}

# metrics_port LOGFILE: the port vigil run logged for /metrics.
metrics_port() {
	sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$1" | head -1
}
# metric SERIES: the value of one series ("name" or "name{labels}"), "" if absent.
metric() { curl -fsS "http://127.0.0.1:$MPORT/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print v }'; }

# in_scratch_system "$0" "$@": runs the calling script again in a private
# mount namespace where /etc, /var/lib and /usr/local are overlays (writes go
# to $VIGIL_SCRATCH_DIR/*/up, the host's files stay as they are), so a test
# can `make install`, create the vigil user and run commands as cron would,
# on the real paths. Returns in the inner run; the outer one exits with the
# inner's status once the namespace and its mounts are gone, and its own
# cleanup removes the overlays' directories.
in_scratch_system() {
	local script=$1 d; shift
	if [ -z "${VIGIL_SCRATCH_DIR:-}" ]; then
		[ "$(id -u)" -eq 0 ] || fail "needs root (a mount namespace with overlays)"
		VIGIL_SCRATCH_DIR=$VIGIL_TMP/scratch unshare --mount --propagation private bash "$script" "$@"
		exit $?
	fi
	for d in /etc /var/lib /usr/local; do
		local o; o=$(scratch_upper "$d")/..
		mkdir -p "$o/up" "$o/work"
		mount -t overlay overlay -o "lowerdir=$d,upperdir=$o/up,workdir=$o/work" "$d" ||
			fail "overlay on $d"
	done
}
# scratch_upper DIR: where the scratch system's writes under DIR went.
scratch_upper() { echo "$VIGIL_SCRATCH_DIR/${1//\//_}/up"; }
