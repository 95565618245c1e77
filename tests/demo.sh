#!/usr/bin/env bash
# make demo: vigil against vigil-sim, with no keys and no internet.
# A throwaway PostgreSQL with the sample bot schema, vigil-sim replaying the
# seed incidents (etc/demo-scenario.json), `vigil run` in protect mode with
# the log alert channel, all over TLS (the sim generates a test CA, vigil
# trusts it with [vigil] ca_file); prints a live account of what vigil saw, decided
# and did, then `vigil status` and `vigil audit`, and cleans everything up.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}
V=$B/vigil
SIM=$B/vigil-sim
DEMO_SECS=${VIGIL_DEMO_SECS:-32}
for f in "$V" "$SIM"; do [ -x "$f" ] || { echo "demo: $f is missing (run make)" >&2; exit 1; }; done
PSQL=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/psql
hr() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

hr "1. throwaway PostgreSQL with the bot's sample schema"
pg_start >/dev/null || exit 1
"$PSQL" "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || exit 1
# the bot also believes in two more positions (KAVAUSDT and BASUSDT, seeds 002/004)
"$PSQL" "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "INSERT INTO positions (symbol, exchange, side, quantity, entry_price, status)
  VALUES ('KAVAUSDT','binance','long',62.9,0.5,'active'), ('BASUSDT','binance','long',1216,0.05,'active')" || exit 1
"$PSQL" "$DATABASE_URL" -c "SELECT symbol, exchange, side, quantity, status FROM positions ORDER BY id" | sed 's/^/  /'

hr "2. vigil-sim (fake Binance USD-M + Bybit v5 on loopback)"
CA=$VIGIL_TMP/sim-tls/ca.pem
"$SIM" --port 0 --tls-dir "$VIGIL_TMP/sim-tls" >"$VIGIL_TMP/sim.out" 2>"$VIGIL_TMP/sim.log" &
VIGIL_BG_PIDS[sim]=$!
for ((i = 0; i < 100; i++)); do grep -q '^port=' "$VIGIL_TMP/sim.out" 2>/dev/null && break; sleep 0.05; done
SIM_PORT=$(sed -n 's/^port=//p' "$VIGIL_TMP/sim.out")
[ -n "$SIM_PORT" ] || { echo "demo: vigil-sim did not start"; cat "$VIGIL_TMP/sim.log"; exit 1; }
echo "  vigil-sim on https://127.0.0.1:$SIM_PORT and wss:// (test CA $CA)"

export VIGIL_DEMO_BINANCE_KEY=sim-binance-key VIGIL_DEMO_BINANCE_SECRET=sim-binance-secret
export VIGIL_DEMO_BYBIT_KEY=sim-bybit-key VIGIL_DEMO_BYBIT_SECRET=sim-bybit-secret
CONF=$VIGIL_TMP/demo.conf
sed -e "s|http://127\.0\.0\.1:18080|https://127.0.0.1:$SIM_PORT|" \
    -e "s|ws://127\.0\.0\.1:18080|wss://127.0.0.1:$SIM_PORT|" \
    -e "s|^\[vigil\]$|[vigil]\nca_file = $CA|" \
    -e "s|^dsn = .*|dsn = $DATABASE_URL|" \
    -e "s|^spool_dir = .*|spool_dir = $VIGIL_TMP/spool|" etc/demo.conf >"$CONF"
"$V" db migrate -c "$CONF" >/dev/null || { echo "demo: vigil db migrate failed"; exit 1; }

hr "3. vigil run (protect mode, console alerts) — live"
cat <<'TXT'
  The bot (played by the scenario) will, within ~12 s:
   - open BTCUSDT (Binance) and ETHUSDT (Bybit) with DB rows but never place a stop;
   - SKLUSDT: open 308 with no DB row, close it 11.8 s later (seed 000: nothing to do);
   - AVLUSDT (Bybit): Buy 43 while REST lags 4.5 s, then a rollback that buys
     43 more (seeds 001/003): an orphan of 86 with no stop;
   - KAVAUSDT: REST answers [] for 6.5 s while the bot cancels its stop (seed 002);
   - BASUSDT: stop cancelled and position closed, DB row left 'active' (seed 004);
   - LTCUSDT on both exchanges: orphans (no DB row, no stop);
   - a stray stop for ETHUSDT on Binance, where there is no position.
  vigil waits out its 12 s grace, then protects what needs a stop.
TXT
"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
for ((i = 0; i < 100; i++)); do grep -q 'metrics on' "$VIGIL_TMP/vigil.log" 2>/dev/null && break; sleep 0.05; done
METRICS=$(sed -n 's|.*metrics on \(http://[^ ]*\).*|\1|p' "$VIGIL_TMP/vigil.log" | head -1)
sleep 2 # streams connect
curl --cacert "$CA" -fsS -X POST --data-binary @etc/demo-scenario.json "https://127.0.0.1:$SIM_PORT/_sim/scenario" >/dev/null ||
	{ echo "demo: could not load the scenario"; exit 1; }
echo "  scenario loaded at $(date +%T); following vigil for ${DEMO_SECS}s"
tail -n +1 -f "$VIGIL_TMP/vigil.out" --pid=$$ 2>/dev/null | sed 's/^/  | /' &
TAIL=$!
sleep "$DEMO_SECS"
kill "$TAIL" 2>/dev/null; wait "$TAIL" 2>/dev/null

hr "4. what the exchange now holds (vigil-sim /_sim/state stops)"
kill -0 "${VIGIL_BG_PIDS[sim]}" 2>/dev/null || { echo "  vigil-sim exited early; its log:"; tail -20 "$VIGIL_TMP/sim.log"; exit 1; }
for key in sim-binance-key sim-bybit-key; do
	curl --cacert "$CA" -fsS "https://127.0.0.1:$SIM_PORT/_sim/state?account=$key" | python3 -c '
import json, sys
s = json.load(sys.stdin)
pos = {p["symbol"]: p for p in s["positions"]}
print("  %s:" % s["exchange"])
for p in s["positions"]:
    stops = [x for x in s["stops"] if x["symbol"] == p["symbol"]]
    print("    %-9s %-5s %-8s stop: %s" % (p["symbol"], p["position_side"], p["amt"],
          ", ".join("%s by %s" % (x["trigger"], "vigil" if (x.get("client_id") or "").startswith("vgl-") else "bot") for x in stops) or "NONE"))
# `stops` lists only orders protecting an open leg: a leftover is in conditional_orders
for x in s["conditional_orders"]:
    if x["symbol"] not in pos:
        print("    %-9s no position, %s %s %s left behind by %s (ORPHAN_ORDER: protect mode alerts only)" % (
              x["symbol"], x["side"], x["stop_type"] or x["type"], x["trigger"],
              "vigil" if (x.get("client_id") or "").startswith("vgl-") else "bot"))
'
done
if [ -n "$METRICS" ]; then
	hr "5. /metrics (excerpt)"
	curl -fsS "$METRICS" | grep -E '^vigil_(audits_total|findings_open|actions_total|alerts_delivered_total|stream_up)' | grep -v ' 0$' | sed 's/^/  /'
fi
bg_stop vigil
echo "  vigil stopped (SIGTERM): $(tail -1 "$VIGIL_TMP/vigil.log")"

hr "6. vigil status"
"$V" status -c "$CONF" --listen 1s --grace 0s
hr "7. vigil audit (a cron-style check with the config's grace; Nagios exit code)"
"$V" audit -c "$CONF" --listen 1s
echo "  exit code: $? (0 ok, 1 warning, 2 critical, 3 could not audit)"
hr "done — cleaning up"
