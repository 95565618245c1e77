# Secrets never leak: vigil runs with distinctive fake secrets (API keys and
# secrets, Telegram token, SMTP and database passwords, webhook HMAC key) loaded from the
# environment and from 0600 files, through every path a secret could escape
# by: check-config, audits against vigil-sim with valid keys, with wrong keys
# (the exchange answers auth errors) and with an unreachable exchange, a
# manual repair the exchange rejects, a Telegram endpoint that refuses the
# token, an unreachable SMTP server and (signing) webhook, a database that is down (the
# journal and alerts go to the spool), status, findings, the daemon with
# debug logging and its /metrics page. Then every byte vigil printed or
# wrote (stdout, stderr, spool, any new file) is searched: zero hits for any
# secret or any 8-character piece of one. The test also checks that each
# path really ran (auth error seen, alert failures seen, spool written), so
# it cannot pass by doing nothing.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/wd_lib.sh
VIGIL_T_TLS=0 # still plain HTTP / WebSocket (issue 21 switched the write_conf scripts)

S_BN_KEY=VGLSECRETbnKEY7f3c91d2e4a8b6
S_BN_SEC=VGLSECRETbnSEC0a91e44c7d3b2f
S_BB_KEY=VGLSECRETbbKEY5e8d1c0b9a7f6
S_BB_SEC=VGLSECRETbbSEC3b6a9f0e2d1c8
S_BAD_KEY=VGLSECRETbadKEY8c2e7a1f4b9d
S_BAD_SEC=VGLSECRETbadSEC6d4f1b8e2a0c
S_TG=VGLSECRETtg123456789:AAHtokenPart9x
S_SMTP=VGLSECRETsmtpPASS2f7b0c
S_DB=VGLSECRETdbPASS9e1a6d
S_WH=VGLSECRETwebhookHMAC4c8e2a
ALL=("$S_BN_KEY" "$S_BN_SEC" "$S_BB_KEY" "$S_BB_SEC" "$S_BAD_KEY" "$S_BAD_SEC" "$S_TG" "$S_SMTP" "$S_DB" "$S_WH")

SEC=$VIGIL_TMP/secrets OUT=$VIGIL_TMP/out
mkdir -p "$SEC" "$OUT"
chmod 700 "$SEC"
put() { (umask 077; printf '%s\n' "$2" >"$SEC/$1"); }
put bn_secret "$S_BN_SEC"
put bb_key "$S_BB_KEY"
put bad_secret "$S_BAD_SEC"
put smtp_pw "$S_SMTP"
put db_pw "$S_DB"
put webhook_secret "$S_WH"
export VIGIL_S_BN_KEY=$S_BN_KEY VIGIL_S_BB_SECRET=$S_BB_SEC VIGIL_S_BAD_KEY=$S_BAD_KEY VIGIL_S_TG=$S_TG
export VIGIL_S_DOWN_KEY=$S_BAD_KEY VIGIL_S_DOWN_SECRET=$S_BAD_SEC

# The exchange knows the good keys; "bad" ones get auth errors.
SIM_PORT=$(start_port sim "$B/vigil-sim" --port 0 --account "binance:$S_BN_KEY:$S_BN_SEC" \
	--account "bybit:$S_BB_KEY:$S_BB_SEC")
[ -n "$SIM_PORT" ] || fail "vigil-sim did not start: $(cat "$VIGIL_TMP/sim.log")"
# Telegram refuses vigil's token (401); nothing listens for SMTP, the
# webhook, the database or the "down" exchange.
TG_PORT=$(start_port tg python3 tests/support/fake_telegram.py --port 0 --token other-token \
	--log "$VIGIL_TMP/tg-requests.log")
[ -n "$TG_PORT" ] || fail "fake telegram did not start"
DEAD=$(free_port)

CONF=$VIGIL_TMP/secrets.conf
cat >"$CONF" <<CONF
[vigil]
log_level = debug
audit_interval = 500ms
audit_debounce = 50ms
metrics_listen = 127.0.0.1:0
instance = secrets
spool_dir = $VIGIL_TMP/spool
rest_lag_tolerance = 1s

[database]
enabled = true
dsn = host=127.0.0.1 port=$DEAD user=vigil dbname=vigil connect_timeout=1
password_file = $SEC/db_pw
connect_timeout = 1s
statement_timeout = 1s

[alerts]
repeat_interval = 1h
warning_hold = 0s

[alerts.telegram]
enabled = true
api_url = http://127.0.0.1:$TG_PORT
token_env = VIGIL_S_TG
chat_ids = 1001
min_severity = info

[alerts.smtp]
enabled = true
url = smtp://127.0.0.1:$DEAD
from = vigil@example.com
to = ops@example.com
username = vigil
password_file = $SEC/smtp_pw
require_starttls = false
min_severity = info

[alerts.webhook]
enabled = true
url = http://127.0.0.1:$DEAD/hook
min_severity = info
secret_file = $SEC/webhook_secret

[account good-bn]
exchange = binance
rest_url = http://127.0.0.1:$SIM_PORT
ws_url = ws://127.0.0.1:$SIM_PORT
api_key_env = VIGIL_S_BN_KEY
api_secret_file = $SEC/bn_secret
mode = protect
grace_open = 0s
grace_order = 0s
connect_timeout = 1s
request_timeout = 2s

[account good-bb]
exchange = bybit
rest_url = http://127.0.0.1:$SIM_PORT
ws_url = ws://127.0.0.1:$SIM_PORT/v5/private
api_key_file = $SEC/bb_key
api_secret_env = VIGIL_S_BB_SECRET
mode = protect
grace_open = 0s
grace_order = 0s
connect_timeout = 1s
request_timeout = 2s

[account bad-bn]
exchange = binance
rest_url = http://127.0.0.1:$SIM_PORT
ws_url = ws://127.0.0.1:$SIM_PORT
api_key_env = VIGIL_S_BAD_KEY
api_secret_file = $SEC/bad_secret
mode = protect
connect_timeout = 1s
request_timeout = 2s

[account down-bb]
exchange = bybit
rest_url = http://127.0.0.1:$DEAD
ws_url = ws://127.0.0.1:$DEAD/v5/private
api_key_env = VIGIL_S_DOWN_KEY
api_secret_env = VIGIL_S_DOWN_SECRET
mode = protect
connect_timeout = 1s
request_timeout = 1s
CONF
chmod 644 "$CONF" # the file itself holds no secret, so it may be readable
touch "$VIGIL_TMP/.start"
sleep 1.1 # file times below have 1 s resolution on some filesystems

run() { # NAME CMD... : runs with a deadline, keeps stdout and stderr
	local name=$1; shift
	local t0=$SECONDS
	timeout 60 "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
	echo $? >"$OUT/$name.rc"
	[ -z "${SECRETS_TIMING:-}" ] || echo "$name: $((SECONDS - t0))s" >&2
}

# An unprotected position and an orphan stop; order placement rejected so
# every repair fails (REPAIR_FAILED, alerts, journal outcomes).
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null ||
	fail "sim step"
sim_post /_sim/step '{"op":"open","exchange":"bybit","symbol":"ETHUSDT","side":"Sell","qty":"0.5"}' >/dev/null
sim_post /_sim/step '{"op":"order","exchange":"binance","symbol":"LTCUSDT","type":"STOP_MARKET","side":"SELL","trigger":"50","close_position":true}' >/dev/null
sim_post /_sim/fault '{"type":"reject","code":-2019,"msg":"Margin is insufficient."}' >/dev/null

run check "$V" check-config "$CONF"
run audit "$V" audit -c "$CONF" --listen 300ms
run audit_json "$V" audit -c "$CONF" --json --listen 300ms
run status "$V" status -c "$CONF"
run findings "$V" findings -c "$CONF"
run alert "$V" alert -c "$CONF" test
run repair "$V" repair -c "$CONF" --account good-bn sl BTCUSDT --percent 2 --yes
run repair_bad "$V" repair -c "$CONF" --account bad-bn sl BTCUSDT --percent 2 --yes

# Without the database vigil may repair (with it down, it only observes):
# the exchange rejects the stop, so the repair fails with its error.
CONF2=$VIGIL_TMP/secrets-nodb.conf
sed '/^\[database\]/,/^\[/ s/^enabled = true/enabled = false/' "$CONF" >"$CONF2"
run repair2 "$V" repair -c "$CONF2" --account good-bn sl BTCUSDT --percent 2 --yes

declare -A DPID=()
daemon_start() { # NAME CONF
	"$V" run -c "$2" >"$OUT/$1.out" 2>"$OUT/$1.err" &
	DPID[$1]=$!
	echo $! >"$VIGIL_TMP/$1.pid"
}
daemon_stop() { # NAME: reads its /metrics, then SIGTERM (it drains for up to 5 s)
	local name=$1 pid=${DPID[$1]} i port
	port=$(metrics_port "$OUT/$name.err")
	[ -z "$port" ] || curl -sS "http://127.0.0.1:$port/metrics" >"$OUT/$name-metrics.out" 2>&1
	kill -TERM $pid 2>/dev/null
}
daemon_wait() { # NAME
	local pid=${DPID[$1]} i
	for ((i = 0; i < 200; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
}
# Both daemons at once (their shutdown drains overlap): the first with the
# database down (streams: auth refused for bad-bn, down-bb unreachable;
# audits; alerts failing on every channel; the spool), the second without a
# database, where its own repairs are rejected by the exchange.
daemon_start run "$CONF"
daemon_start run2 "$CONF2"
sleep 3
daemon_stop run
daemon_stop run2
daemon_wait run
daemon_wait run2

# ---- the paths really ran ----
[ "$(cat "$OUT/check.rc")" = 0 ] || fail "check-config: $(cat "$OUT/check.out" "$OUT/check.err")"
grep -qiE 'auth|api-key|-2015|invalid' "$OUT"/audit.* || fail "no auth error seen from the wrong keys: $(cat "$OUT/audit.out" "$OUT/audit.err")"
grep -qiE 'telegram' "$OUT"/alert.* || fail "alert test did not try telegram: $(cat "$OUT/alert.out" "$OUT/alert.err")"
[ "$(cat "$OUT/alert.rc")" != 0 ] || fail "alert test reported success with every channel broken"
[ "$(cat "$OUT/repair2.rc")" != 0 ] || fail "repair against a rejecting exchange reported success"
grep -qE -- '-2019|insufficient' "$OUT"/repair2.* || fail "repair did not reach the exchange: $(cat "$OUT/repair2.out")"
grep -qE -- '-2019|insufficient|REPAIR_FAILED' "$OUT"/run2.err || fail "daemon repair did not reach the exchange"
[ -s "$VIGIL_TMP/tg-requests.log" ] || fail "nothing reached the Telegram endpoint"
[ -s "$OUT/run-metrics.out" ] && [ -s "$OUT/run2-metrics.out" ] || fail "daemon metrics page not read: $(tail -5 "$OUT/run.err")"
ls "$VIGIL_TMP"/spool/* >/dev/null 2>&1 || fail "database down but nothing spooled"
for f in "$VIGIL_TMP"/spool/*; do
	[ -f "$f" ] || continue
	m=$(stat -c %a "$f"); [ "$m" = 600 ] || fail "spool file $f has mode $m, want 600"
done

# ---- zero hits ----
# Everything vigil printed, plus every file created or changed since the
# start, except the secrets themselves and what the remote parties logged
# (the exchange and Telegram are meant to receive the keys / token).
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$VIGIL_TMP" -type f -newer "$VIGIL_TMP/.start" \
	! -path "$SEC/*" ! -name 'sim.*' ! -name 'tg.*' ! -name 'tg-requests.log' ! -name '*.pid' -print0)
[ ${#files[@]} -ge 10 ] || fail "too few outputs collected (${#files[@]})"
hits=0
for s in "${ALL[@]}"; do
	# the secret, and every 8-character piece of its distinctive part
	# (a truncated or partly redacted secret is still a leak)
	pieces=("$s")
	core=${s#VGLSECRET}
	for ((k = 0; k + 8 <= ${#core}; k += 4)); do pieces+=("${core:k:8}"); done
	for p in "${pieces[@]}"; do
		if grep -rlF -- "$p" "${files[@]}" >/dev/null 2>&1; then
			echo "LEAK: '$p' (from a secret) found in:"; grep -rnF -- "$p" "${files[@]}" | head -5
			hits=$((hits + 1))
		fi
	done
done
grep -rlF 'VGLSECRET' "${files[@]}" && { echo "LEAK: secret prefix found"; hits=$((hits + 1)); }
[ $hits -eq 0 ] || fail "$hits secret leak(s)"
echo "ok: ${#files[@]} outputs searched, zero hits for ${#ALL[@]} secrets"
