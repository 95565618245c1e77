#!/usr/bin/env bash
# `make soak`: vigil run under position churn for SOAK_MIN minutes (default
# 60), RSS sampled every SOAK_SAMPLE_S seconds (default 30). Prints the
# series and figure lines: RSS after warm-up (the first third), at the end,
# and the growth over the last half. A figure, never a pass/fail: the
# target (growth < 100 kB over the last 30 minutes) is read in README.md.
#
# Churn: one position a second on each of two accounts (Binance, Bybit),
# alternately opened and closed, on a rotating set of 50 symbols — every
# event is a stream frame, a targeted check and an audit's worth of state.
# The accounts are in mode full with a short grace: positions left open
# past it take the repair path (a stop placed), and the stop a closed
# position leaves behind is cancelled as ORPHAN_ORDER (no database: no bot
# view, so ORPHAN_POSITION is never judged and nothing is closed).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
B=${VIGIL_BUILD:-build}
MIN=${SOAK_MIN:-60}
STEP=${SOAK_SAMPLE_S:-30}

SIM_PORT=$(start_port sim "$B/vigil-sim" --port 0)
[ -n "$SIM_PORT" ] || fail "vigil-sim"
export SOAK_BN=soak-bn SOAK_BB=soak-bb SOAK_SECRET=bench-secret
CONF=$VIGIL_TMP/soak.conf
{
	printf '[vigil]\nlog_level = warn\naudit_interval = 5s\naudit_debounce = 100ms\n'
	printf 'metrics_listen = 127.0.0.1:0\ninstance = soak\nspool_dir = %s/spool\n' "$VIGIL_TMP"
	printf '[database]\nenabled = false\n[alerts]\nrepeat_interval = 1h\n'
	for a in bn bb; do
		echo "[account soak-$a-acct]"
		if [ $a = bn ]; then echo "exchange = binance"; echo "ws_url = ws://127.0.0.1:$SIM_PORT"
		else echo "exchange = bybit"; echo "ws_url = ws://127.0.0.1:$SIM_PORT/v5/private"; fi
		echo "rest_url = http://127.0.0.1:$SIM_PORT"
		echo "api_key_env = SOAK_${a^^}"
		echo "api_secret_env = SOAK_SECRET"
		echo "mode = full"
		echo "grace_open = 3s"
		echo "grace_order = 3s"
		echo "stop_loss_percent = 5"
	done
} >"$CONF"
"$B/vigil" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
VPID=$!
sleep 3
kill -0 "$VPID" 2>/dev/null || fail "vigil run exited: $(tail -5 "$VIGIL_TMP/vigil.log")"

python3 tests/bench/simctl.py soak-churn "$SIM_PORT" $((MIN * 60)) soak-bn soak-bb >"$VIGIL_TMP/churn.out" 2>&1 &
CPID=$!
T0=$SECONDS
: >"$VIGIL_TMP/rss.txt"
while kill -0 "$CPID" 2>/dev/null; do
	kill -0 "$VPID" 2>/dev/null || fail "vigil run died: $(tail -5 "$VIGIL_TMP/vigil.log")"
	read -r _ rss _ < <(python3 tests/bench/simctl.py proc "$VPID")
	echo "$((SECONDS - T0)) $rss" | tee -a "$VIGIL_TMP/rss.txt" | sed 's/^/# soak t_s rss_kib: /'
	sleep "$STEP"
done
wait "$CPID"
read -r events refused <"$VIGIL_TMP/churn.out"
awk -v min="$MIN" -v ev="$events" -v bad="$refused" '
	{ t[NR] = $1; r[NR] = $2 }
	END {
		n = NR; w = 1; h = 1
		for (i = 1; i <= n; i++) { if (t[i] <= t[n] / 3) w = i; if (t[i] <= t[n] / 2) h = i }
		printf "soak_minutes %d min\n", min
		printf "soak_events %d events\n", ev
		printf "soak_refused %d events\n", bad
		printf "soak_rss_after_warmup_kib %d KiB\n", r[w]
		printf "soak_rss_end_kib %d KiB\n", r[n]
		printf "soak_rss_growth_last_half_kib %d KiB\n", r[n] - r[h]
		printf "soak_rss_growth_per_min_last_half_kib %.1f KiB/min\n", (r[n] - r[h]) * 60 / (t[n] - t[h] + 1e-9)
	}' "$VIGIL_TMP/rss.txt"
bg_stop vigil
