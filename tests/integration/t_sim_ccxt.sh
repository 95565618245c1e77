#!/usr/bin/env bash
# ccxt (binanceusdm + bybit, the npm package) against vigil-sim: markets,
# balance, positions, open orders, market order + fetch, limit + cancel,
# stops; every answer checked against GET /_sim/state.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "SKIP: node/npm not installed"; exit 0
fi
if [ ! -d tests/ccxt/node_modules/ccxt ]; then
	(cd tests/ccxt && timeout 240 npm install --no-audit --no-fund --loglevel=error) || {
		echo "npm install of ccxt failed"; exit 1; }
fi
"$B/vigil-sim" --port 0 >"$VIGIL_TMP/sim.out" 2>"$VIGIL_TMP/sim.err" &
VIGIL_BG_PIDS[sim]=$!
for _ in $(seq 100); do grep -q '^port=' "$VIGIL_TMP/sim.out" && break; sleep 0.05; done
PORT=$(sed -n 's/^port=//p' "$VIGIL_TMP/sim.out")
[ -n "$PORT" ] || { echo "vigil-sim did not print port="; cat "$VIGIL_TMP/sim.err"; exit 1; }
timeout 90 node tests/ccxt/ccxt_sim.js "http://127.0.0.1:$PORT"
