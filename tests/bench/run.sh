#!/usr/bin/env bash
# `make bench`: every benchmark of tests/bench/README.md, then a summary of
# "name value unit" lines. Figures, never a pass/fail on speed: the exit
# status is 0 unless a benchmark could not run at all. All traffic goes to
# vigil-sim on 127.0.0.1. BENCH_QUICK=1 shortens the long parts (fewer
# events and rounds, 10 s daemon windows instead of 60 s / 20 s).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}
QUICK=${BENCH_QUICK:-0}
SUM=$VIGIL_TMP/summary.txt
: >"$SUM"
T0=$(date +%s)
BROKEN=0

note() { echo "bench: $*" >&2; }
figs() { tee -a "$SUM"; }               # figure lines: stdout + summary
fig() { echo "$*" | figs; }
if [ "$QUICK" = 1 ]; then
	DETECT_N=300 ROUNDS=5 CCXT_RL_ROUNDS=1 IDLE_S=10 LOAD_S=10
else
	DETECT_N=1000 ROUNDS=11 CCXT_RL_ROUNDS=3 IDLE_S=20 LOAD_S=60
fi

# Everything over TLS, as real deployments run: vigil-sim serves https:// and
# wss:// with a test CA it generates (BENCH_TLS=0 for plain http / ws).
TLS_DIR=$VIGIL_TMP/sim-tls
# (--help exits 64: read its text, not the pipeline's status under pipefail)
SIM_USAGE=$("$B/vigil-sim" --help 2>&1)
if [ "${BENCH_TLS:-1}" = 1 ] && [[ $SIM_USAGE == *--tls-dir* ]]; then
	mkdir -p "$TLS_DIR"
	# vigil trusts the system's bundle plus the test CA: a deployment's
	# trust is ~140 certificates, and its memory shows only at that size
	# (trust.pem is made below, once the sim has made its CA)
	SIM_TLS_ARGS=(--tls-dir "$TLS_DIR") HTTP=https WS=wss CA_LINE="ca_file = $TLS_DIR/trust.pem"
	# (node has its own roots built in: it is given the test CA alone)
	export VIGIL_SIM_CA=$TLS_DIR/ca.pem NODE_EXTRA_CA_CERTS=$TLS_DIR/ca.pem
	export BENCH_VIGIL_CA=$TLS_DIR/trust.pem BENCH_CA=$TLS_DIR/trust.pem
else
	SIM_TLS_ARGS=() HTTP=http WS=ws CA_LINE= TLS_DIR=
fi

# start_sim NAME: a fresh vigil-sim; sets SIM_PORT
start_sim() {
	bg_stop "$1"
	"$B/vigil-sim" --port 0 "${SIM_TLS_ARGS[@]}" >"$VIGIL_TMP/$1.out" 2>"$VIGIL_TMP/$1.log" &
	VIGIL_BG_PIDS[$1]=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^port=' "$VIGIL_TMP/$1.out" 2>/dev/null && break
		sleep 0.05
	done
	SIM_PORT=$(sed -n 's/^port=//p' "$VIGIL_TMP/$1.out" | head -1)
	[ -n "$SIM_PORT" ] || { note "vigil-sim did not start"; return 1; }
}

if [ -n "$TLS_DIR" ]; then
	start_sim sim_ca && bg_stop sim_ca # the sim makes its CA in TLS_DIR
	cat /etc/ssl/certs/ca-certificates.crt "$TLS_DIR/ca.pem" >"$TLS_DIR/trust.pem" ||
		{ note "no trust bundle"; exit 1; }
fi

fig "machine_nproc $(nproc) cores"
echo "# machine: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)" | figs
fig "bench_quick $QUICK flag"
fig "bench_tls $([ -n "$TLS_DIR" ] && echo 1 || echo 0) flag"
[ -z "$TLS_DIR" ] || fig "bench_trust_certs $(grep -c 'BEGIN CERTIFICATE' "$TLS_DIR/trust.pem") certs"
# other work on the machine shows in the tails (p99/max): say how busy it was
fig "machine_load1_start $(cut -d' ' -f1 /proc/loadavg) load"

# ---- 1. classification throughput (reconcile core's benchmark) ----
note "classification"
if [ -x "$B/bench_classify" ]; then "$B/bench_classify" | figs || BROKEN=1; else note "no $B/bench_classify"; fi
# listing parsers: tree vs streamed, heap and time (issue 21)
if [ -x "$B/bench_parse" ]; then "$B/bench_parse" | figs || BROKEN=1; else note "no $B/bench_parse"; fi

# ---- 2. detection latency (in process) ----
note "detection latency: $DETECT_N events per exchange"
BENCH_TLS_DIR=$TLS_DIR VIGIL_BUILD=$B "$B/bench_detect" "$DETECT_N" | grep -v '_outbox_pending' | figs || BROKEN=1

# ---- 2b. many accounts on one stream hub (in process), over TLS when the
# sim serves it: 200 accounts, idle, then 500 position steps a second ----
if [ "$QUICK" = 1 ]; then HUB_IDLE=5 HUB_LOAD=5; else HUB_IDLE=10 HUB_LOAD=20; fi
note "stream hub: 200 accounts${TLS_DIR:+ over TLS}"
BENCH_TLS_DIR=$TLS_DIR VIGIL_BUILD=$B "$B/bench_hub" 200 "$HUB_IDLE" 500 "$HUB_LOAD" | figs || BROKEN=1

# ---- 3. one-shot audit cost, REST cost ----
note "one-shot audit: setup"
start_sim sim_audit || exit 1
# issue 11's size: 200 positions, 600 open orders (half conditional); a sim
# that refuses part of it skips the audit figures (exit status 1), never a
# smaller account
AUDIT_OK=0
if SETUP=$(python3 tests/bench/simctl.py setup-audit "$SIM_PORT" 200 600 "$VIGIL_TMP/rows.json" 2>"$VIGIL_TMP/setup.err"); then
	AUDIT_OK=1
	read -r NPOS NORD <<<"$SETUP"
	fig "audit_positions $NPOS count"
	fig "audit_open_orders $NORD count"
else
	note "audit set-up failed, no audit figures: $(tail -1 "$VIGIL_TMP/setup.err")"
	BROKEN=1
fi
export BENCH_AUDIT_KEY=bench-audit-key BENCH_AUDIT_SECRET=bench-secret
ACONF=$VIGIL_TMP/audit.conf
cat >"$ACONF" <<EOF
[vigil]
log_level = warn
instance = bench
spool_dir = $VIGIL_TMP/spool
$CA_LINE
[database]
enabled = false
[account bench]
exchange = binance
rest_url = $HTTP://127.0.0.1:$SIM_PORT
ws_url = $WS://127.0.0.1:$SIM_PORT
api_key_env = BENCH_AUDIT_KEY
api_secret_env = BENCH_AUDIT_SECRET
mode = observe
grace_open = 0s
grace_order = 0s
EOF
VIGIL_CMD=("$B/vigil" audit -c "$ACONF" --listen 0s)
FLOOR_CMD=("$B/bench_floor" "$HTTP://127.0.0.1:$SIM_PORT" bench-audit-key bench-secret)

HAVE_CCXT=0
if [ -d tests/bench/node_modules/ccxt ]; then
	HAVE_CCXT=1
elif command -v npm >/dev/null && command -v node >/dev/null; then
	note "installing ccxt into tests/bench/node_modules (first run)"
	(cd tests/bench && npm install --no-audit --no-fund --loglevel=error >"$VIGIL_TMP/npm.log" 2>&1) &&
		HAVE_CCXT=1 || { note "npm install failed: $(tail -3 "$VIGIL_TMP/npm.log")"; }
else
	note "no node/npm: the ccxt baseline is skipped"
fi
CCXT_CMD=(node tests/bench/ccxt_audit.js "$HTTP://127.0.0.1:$SIM_PORT" bench-audit-key bench-secret "$VIGIL_TMP/rows.json")

# rest_cost NAME CMD...: requests and Binance weight of one run, from the
# sim's counters (delta around the run)
rest_cost() {
	local name=$1; shift
	python3 tests/bench/simctl.py counters "$SIM_PORT" bench-audit-key >"$VIGIL_TMP/c0.json"
	"$@" >"$VIGIL_TMP/$name.run" 2>&1
	python3 tests/bench/simctl.py counters "$SIM_PORT" bench-audit-key >"$VIGIL_TMP/c1.json"
	python3 - "$name" "$VIGIL_TMP/c0.json" "$VIGIL_TMP/c1.json" <<'PY' | figs
import json, sys
n, a, b = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
print("rest_%s_requests %d requests" % (n, b["total"] - a["total"]))
print("rest_%s_weight %d weight" % (n, b["weight"] - a["weight"]))
eps = []
for k, v in sorted(b["endpoints"].items()):
    c = v["count"] - a["endpoints"].get(k, {}).get("count", 0)
    if c:
        eps.append("%s x%d" % (k, c))
print("# rest_%s_endpoints: %s" % (n, ", ".join(eps)))
PY
}
if [ $AUDIT_OK = 1 ]; then
	note "REST cost per audit"
	rest_cost vigil "${VIGIL_CMD[@]}"
	grep -q '^VIGIL ' "$VIGIL_TMP/vigil.run" || { note "vigil audit failed: $(tail -3 "$VIGIL_TMP/vigil.run")"; BROKEN=1; }
	rest_cost floor "${FLOOR_CMD[@]}"
	if [ $HAVE_CCXT = 1 ]; then
		rest_cost ccxt "${CCXT_CMD[@]}" norl
		grep -q '^positions=' "$VIGIL_TMP/ccxt.run" || note "ccxt baseline failed: $(tail -3 "$VIGIL_TMP/ccxt.run")"
	fi

	note "one-shot audit: $ROUNDS interleaved rounds"
	if [ $HAVE_CCXT = 1 ]; then
		"$B/bench_spawn" audit "$ROUNDS" vigil "${VIGIL_CMD[@]}" :: floor "${FLOOR_CMD[@]}" \
			:: ccxt "${CCXT_CMD[@]}" norl | figs
		note "ccxt with its default client-side rate limiter: $CCXT_RL_ROUNDS rounds"
		"$B/bench_spawn" audit_rl "$CCXT_RL_ROUNDS" vigil "${VIGIL_CMD[@]}" :: ccxt_default "${CCXT_CMD[@]}" |
			grep -E '_ccxt_default_' | figs
	else
		"$B/bench_spawn" audit "$ROUNDS" vigil "${VIGIL_CMD[@]}" :: floor "${FLOOR_CMD[@]}" | figs
	fi
fi
bg_stop sim_audit

# ---- 4. daemon footprint ----
note "daemon: 10 accounts, idle ${IDLE_S}s, then 50 events/s for ${LOAD_S}s"
start_sim sim_daemon || exit 1
KEYS=$(python3 tests/bench/simctl.py setup-daemon "$SIM_PORT" 5)
export BENCH_SECRET=bench-secret
DCONF=$VIGIL_TMP/daemon.conf
{
	echo "[vigil]"
	echo "log_level = info"
	echo "audit_interval = 30s"
	echo "audit_debounce = 250ms"
	echo "metrics_listen = 127.0.0.1:0"
	echo "instance = bench"
	echo "spool_dir = $VIGIL_TMP/dspool"
	echo "$CA_LINE"
	echo "[database]"
	echo "enabled = false"
	for k in $KEYS; do
		v=$(echo "$k" | tr 'a-z-' 'A-Z_')
		export "$v=$k"
		echo "[account ${k#bench-}]" # named apart from the key: keys are redacted in logs
		case $k in
		bench-bn-*) echo "exchange = binance"; echo "ws_url = $WS://127.0.0.1:$SIM_PORT" ;;
		*) echo "exchange = bybit"; echo "ws_url = $WS://127.0.0.1:$SIM_PORT/v5/private" ;;
		esac
		echo "rest_url = $HTTP://127.0.0.1:$SIM_PORT"
		echo "api_key_env = $v"
		echo "api_secret_env = BENCH_SECRET"
		echo "mode = observe"
	done
} >"$DCONF"
"$B/vigil" run -c "$DCONF" >"$VIGIL_TMP/daemon.log" 2>&1 &
VIGIL_BG_PIDS[daemon]=$!
DPID=${VIGIL_BG_PIDS[daemon]}
sleep 3 # streams up, first audits done
if ! kill -0 "$DPID" 2>/dev/null; then
	note "vigil run exited: $(tail -5 "$VIGIL_TMP/daemon.log")"
	BROKEN=1
else
	read -r c0 _ _ < <(python3 tests/bench/simctl.py proc "$DPID")
	sleep "$IDLE_S"
	read -r c1 rss_idle _ < <(python3 tests/bench/simctl.py proc "$DPID")
	python3 tests/bench/simctl.py push "$SIM_PORT" 50 "$LOAD_S" $KEYS >"$VIGIL_TMP/push.out" 2>&1
	read -r c2 rss_load hwm < <(python3 tests/bench/simctl.py proc "$DPID")
	read -r sent bad secs <"$VIGIL_TMP/push.out"
	awk -v c0="$c0" -v c1="$c1" -v c2="$c2" -v idle="$IDLE_S" -v secs="$secs" -v ri="$rss_idle" \
		-v rl="$rss_load" -v hwm="$hwm" -v sent="$sent" -v bad="$bad" 'BEGIN {
		printf "daemon_idle_cpu_pct %.2f %%core\n", 100 * (c1 - c0) / idle
		printf "daemon_load_cpu_pct %.2f %%core\n", 100 * (c2 - c1) / secs
		printf "daemon_load_events %d orders\n", sent
		printf "daemon_load_refused %d orders\n", bad
		printf "daemon_load_seconds %.1f s\n", secs
		printf "daemon_rss_idle_mib %.1f MiB\n", ri / 1024
		printf "daemon_rss_end_mib %.1f MiB\n", rl / 1024
		printf "daemon_peak_rss_mib %.1f MiB\n", hwm / 1024
	}' | figs
	MPORT=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$VIGIL_TMP/daemon.log" | head -1)
	if [ -n "$MPORT" ]; then
		curl -fsS "http://127.0.0.1:$MPORT/metrics" 2>/dev/null | awk '
			/^vigil_audits_total/ { au += $NF }
			/^vigil_stream_up/ { up += $NF }
			END { printf "daemon_streams_up %d accounts\ndaemon_audits %d audits\n", up, au }' | figs
	fi
fi
bg_stop daemon
bg_stop sim_daemon

# ---- 5b. the bot's query API (issue 23): stream frame -> await answer,
# and the daemon's CPU / RSS idle vs 100 requests/s ----
note "query API: await latency, cost at 100 requests/s"
if start_sim sim_api; then
	export BENCH_BN_KEY=sim-binance-key BENCH_BN_SECRET=sim-binance-secret
	APICONF=$VIGIL_TMP/api.conf
	APISOCK=$VIGIL_TMP/api.sock
	printf '%s\n' "[vigil]" "log_level = warn" "audit_interval = 5s" "audit_debounce = 250ms" \
		"metrics_listen = 127.0.0.1:0" "spool_dir = $VIGIL_TMP/aspool" "$CA_LINE" "[database]" "enabled = false" \
		"[api]" "listen = unix:$APISOCK" "[account t-binance]" "exchange = binance" \
		"rest_url = $HTTP://127.0.0.1:$SIM_PORT" "ws_url = $WS://127.0.0.1:$SIM_PORT" \
		"api_key_env = BENCH_BN_KEY" "api_secret_env = BENCH_BN_SECRET" "request_limit = 1000000" >"$APICONF"
	"$B/vigil" run -c "$APICONF" --quiet >"$VIGIL_TMP/api-daemon.log" 2>&1 &
	VIGIL_BG_PIDS[api_daemon]=$!
	for ((i = 0; i < 100; i++)); do [ -S "$APISOCK" ] && break; sleep 0.05; done
	sleep 2 # stream up, first audit done
	if [ "$QUICK" = 1 ]; then API_ROUNDS=40 API_IDLE=5 API_LOAD=10; else API_ROUNDS=200 API_IDLE=10 API_LOAD=30; fi
	python3 tests/bench/bench_api.py "$APISOCK" "$SIM_PORT" "${VIGIL_BG_PIDS[api_daemon]}" "$API_ROUNDS" \
		"$API_IDLE" "$API_LOAD" 100 | figs || BROKEN=1
	bg_stop api_daemon
	bg_stop sim_api
fi

# ---- 6. request budget under the bot's churn (issue 15) ----
# One Binance account with the documented limit (2400 weight / min, vigil's
# share 20 % = 480): the bot places and cancels an order every 200 ms, then
# 10 a second; every order event wakes vigil. The figure is vigil's weight
# per minute as vigil-sim counted it for the key (the churn goes through the
# control API, so all of it is vigil's).
note "request budget under churn"
CHURN_S=$([ "$QUICK" = 1 ] && echo 15 || echo 60)
if start_sim sim_budget; then
	export BENCH_BN_KEY=sim-binance-key BENCH_BN_SECRET=sim-binance-secret
	BCONF=$VIGIL_TMP/budget.conf
	{
		echo "[vigil]"
		echo "log_level = warn"
		echo "audit_interval = 30s"
		echo "audit_debounce = 250ms"
		echo "metrics_listen = 127.0.0.1:0"
		echo "instance = bench-budget"
		echo "spool_dir = $VIGIL_TMP/bspool"
		echo "$CA_LINE"
		echo "[database]"
		echo "enabled = false"
		echo "[account churn]"
		echo "exchange = binance"
		echo "rest_url = $HTTP://127.0.0.1:$SIM_PORT"
		echo "ws_url = $WS://127.0.0.1:$SIM_PORT"
		echo "api_key_env = BENCH_BN_KEY"
		echo "api_secret_env = BENCH_BN_SECRET"
		echo "mode = observe"
	} >"$BCONF"
	"$B/vigil" run -c "$BCONF" >"$VIGIL_TMP/budget.log" 2>&1 &
	VIGIL_BG_PIDS[budget]=$!
	sleep 3
	weight() { python3 tests/bench/simctl.py counters "$SIM_PORT" sim-binance-key |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("weight", 0))'; }
	# GET /fapi/v1/openOrders requests and weight: 40 each for a full
	# listing, 1 for a targeted check (symbol=)
	oo() { python3 tests/bench/simctl.py counters "$SIM_PORT" sim-binance-key |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["endpoints"].get("GET /fapi/v1/openOrders", {}); print(e.get("count", 0), e.get("weight", 0))'; }
	for period in 200 100; do
		w0=$(weight)
		read -r oc0 ow0 <<<"$(oo)"
		n=$(python3 tests/bench/simctl.py churn "$SIM_PORT" sim-binance-key "$period" "$CHURN_S")
		w1=$(weight)
		read -r oc1 ow1 <<<"$(oo)"
		awk -v w0="$w0" -v w1="$w1" -v s="$CHURN_S" -v n="$n" -v p="$period" \
			-v oc="$((oc1 - oc0))" -v ow="$((ow1 - ow0))" 'BEGIN {
			full = int((ow - oc) / 39)
			printf "budget_churn_%dms_orders %d orders\n", p, n
			printf "budget_churn_%dms_vigil_weight_per_min %.0f weight/min\n", p, (w1 - w0) * 60 / s
			printf "budget_churn_%dms_full_listings_per_min %.1f listings/min\n", p, full * 60 / s
			printf "budget_churn_%dms_targeted_checks_per_min %.1f checks/min\n", p, (oc - full) * 60 / s
		}' | figs
	done
	fig "budget_vigil_share 480 weight/min"
	bg_stop budget
	bg_stop sim_budget
else
	BROKEN=1
fi

fig "machine_load1_end $(cut -d' ' -f1 /proc/loadavg) load"
fig "bench_total_seconds $(($(date +%s) - T0)) s"

# targets of issue 11, judged from the figures above
python3 - "$SUM" <<'PY' >>"$SUM"
import sys
f = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) >= 2 and not line.startswith("#"):
        try:
            f[p[0]] = float(p[1])
        except ValueError:
            pass
def t(name, ok, what):
    if ok is None:
        print("# target %-28s n/a     (%s)" % (name, what))
    else:
        print("# target %-28s %-7s (%s)" % (name, "met" if ok else "MISSED", what))
g = f.get
a = g("detect_all_a_frame_to_finding_p99")
t("detect_a_p99<1ms", None if a is None else a < 1, "p99 %s ms" % a)
c, rt = g("detect_all_c_frame_to_stop_ack_p99"), g("detect_binance_stop_rest_rtt_p50")
t("detect_c_p99<rtt+5ms", None if c is None or rt is None else c < rt + 5, "p99 %s ms, rtt p50 %s ms" % (c, rt))
w, m = g("audit_ccxt_over_vigil_wall"), g("audit_ccxt_over_vigil_rss")
t("audit_wall>=10x_ccxt", None if w is None else w >= 10, "%sx (ccxt without its throttle)" % w)
t("audit_rss>=15x_ccxt", None if m is None else m >= 15, "%sx" % m)
sp, ob = g("parse_stream_peak_kib"), g("parse_one_object_kib")
t("parse_stream_peak<=4x_object", None if sp is None or not ob else sp <= 4 * ob, "%s KiB, one object %s KiB" % (sp, ob))
fl = g("audit_vigil_over_floor_wall")
t("audit_wall<=1.5x_floor", None if fl is None else fl <= 1.5, "%sx" % fl)
r = g("daemon_peak_rss_mib")
t("daemon_rss<16MiB", None if r is None else r < 16, "%s MiB" % r)
i = g("daemon_idle_cpu_pct")
t("daemon_idle_cpu<0.5%", None if i is None else i < 0.5, "%s %% of a core" % i)
hr, hc, ht, hp = g("hub_200acct_rss_kib"), g("hub_200acct_idle_cpu_pct"), g("hub_200acct_threads_added"), g("hub_200acct_detect_p99")
tls = "TLS" if g("hub_200acct_tls") else "plain ws"
t("hub_200acct_rss<64MiB", None if hr is None else hr < 64 * 1024, "%s KiB, %s" % (hr, tls))
t("hub_200acct_idle_cpu<2%", None if hc is None else hc < 2, "%s %% of a core" % hc)
t("hub_200acct_threads_const", None if ht is None else ht == 5, "%s threads for 200 streams (1 service + 4 REST workers)" % ht)
t("hub_200acct_detect_p99<1ms", None if hp is None else hp < 1, "p99 %s ms at 500 steps/s" % hp)
cl = g("classify_1000sym_5000ord_p99")
t("classify<5ms", None if cl is None else cl < 5, "p99 %s ms" % cl)
PY
echo
echo "==== vigil benchmark summary ===="
grep -v '^#' "$SUM"
grep '^#' "$SUM"
exit $BROKEN
