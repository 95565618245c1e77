# TLS: certificate verification is on for every non-loopback URL and no
# setting turns it off for one.
# 1. There is no verification knob: keys such as tls_verify / insecure /
#    ssl_verify are unknown keys (exit 78) in every section, and no source
#    file of vigil (the simulator aside) sets a libcurl / libwebsockets /
#    OpenSSL option that skips verification.
# 2. The knobs that would send without TLS are refused for a non-loopback
#    host (exit 78, a message naming the key): http:// and ws:// exchange
#    URLs, an http:// Telegram or webhook URL, smtp:// with
#    require_starttls = false, and a database DSN whose sslmode does not
#    verify (disable, allow, prefer, require). Loopback (127.0.0.1,
#    localhost, [::1]) may use plain connections: that is how vigil-sim and
#    the tests run. Only check-config runs here: nothing is contacted.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/wd_lib.sh
export VIGIL_T_KEY=VGLSECRETtlsKEY1a2b3c VIGIL_T_SECRET=VGLSECRETtlsSEC4d5e6f

# conf REST WS [extra lines]: one Binance account plus the extra lines.
conf() {
	local rest=$1 ws=$2; shift 2
	{
		printf '%s\n' "$@"
		echo "[account t]"
		echo "exchange = binance"
		echo "rest_url = $rest"
		echo "ws_url = $ws"
		echo "api_key_env = VIGIL_T_KEY"
		echo "api_secret_env = VIGIL_T_SECRET"
	} >"$VIGIL_TMP/t.conf"
}
# Part 2 collects every problem before failing, so one run lists them all.
problems=()
accepted() { # WHAT
	local out
	out=$("$V" check-config "$VIGIL_TMP/t.conf" 2>&1) || problems+=("$1 must be accepted: $out")
}
refused() { # WHAT KEY-REGEX
	local out rc
	out=$("$V" check-config "$VIGIL_TMP/t.conf" 2>&1); rc=$?
	if [ $rc -ne 78 ]; then
		problems+=("$1 must be refused with exit 78, got $rc")
	elif ! grep -qiE "$2" <<<"$out"; then
		problems+=("$1: the message must name the setting ($2): $out")
	fi
}

# ---- 1. no knob ----
for sec in "[vigil]" "[database]" "[alerts.telegram]" "[alerts.smtp]" "[alerts.webhook]"; do
	for key in tls_verify ssl_verify verify_tls verify_peer insecure skip_verify tls_insecure; do
		conf https://fapi.binance.com wss://fstream.binance.com "$sec" "$key = false"
		out=$("$V" check-config "$VIGIL_TMP/t.conf" 2>&1); rc=$?
		[ $rc -eq 78 ] && grep -q "$key" <<<"$out" || fail "$sec $key must be an unknown key (78), got $rc: $out"
	done
done
for key in tls_verify ssl_verify verify_peer insecure skip_verify; do
	conf https://fapi.binance.com wss://fstream.binance.com
	echo "$key = false" >>"$VIGIL_TMP/t.conf"
	out=$("$V" check-config "$VIGIL_TMP/t.conf" 2>&1); rc=$?
	[ $rc -eq 78 ] || fail "[account] $key must be an unknown key (78), got $rc: $out"
done
# The sources: nothing that skips verification (the simulator is a server
# on loopback and is left out).
bad=$(grep -rnE 'CURLOPT_(PROXY_)?SSL_VERIFY(PEER|HOST|STATUS)|LCCSCF_(ALLOW_SELFSIGNED|SKIP_SERVER_CERT_HOSTNAME_CHECK|ALLOW_EXPIRED|ALLOW_INSECURE)|SSL_VERIFY_NONE|SSL_CTX_set_verify|sslmode=(disable|allow|prefer|require)\b' \
	--include='*.c' --include='*.h' watchdog exchanges alerts sql reconcile | grep -v '^exchanges/sim/')
[ -z "$bad" ] || fail "verification options found in the sources:
$bad"

# ---- 2. plain connections: loopback only ----
conf http://127.0.0.1:1 ws://127.0.0.1:1
accepted "plain http/ws to 127.0.0.1"
conf http://localhost:1 ws://localhost:1
accepted "plain http/ws to localhost"
conf https://fapi.binance.com wss://fstream.binance.com
accepted "https/wss to a public host"
conf http://fapi.binance.com wss://fstream.binance.com
refused "rest_url http:// to a public host" 'rest_url'
conf https://fapi.binance.com ws://fstream.binance.com
refused "ws_url ws:// to a public host" 'ws_url'
conf http://10.1.2.3:8080 wss://fstream.binance.com
refused "rest_url http:// to a LAN host" 'rest_url'

conf https://fapi.binance.com wss://fstream.binance.com \
	"[alerts.telegram]" "enabled = true" "api_url = http://api.telegram.org" "token_env = VIGIL_T_KEY" "chat_ids = 1"
refused "telegram api_url http:// (the token is in the URL path)" 'api_url|telegram'
conf https://fapi.binance.com wss://fstream.binance.com \
	"[alerts.webhook]" "enabled = true" "url = http://hooks.example.com/x"
refused "webhook url http:// to a public host" 'url|webhook'
conf https://fapi.binance.com wss://fstream.binance.com \
	"[alerts.smtp]" "enabled = true" "url = smtp://mail.example.com:587" "from = a@b" "to = c@d" "require_starttls = false"
refused "smtp require_starttls = false to a public host" 'starttls'
conf https://fapi.binance.com wss://fstream.binance.com \
	"[alerts.smtp]" "enabled = true" "url = smtp://127.0.0.1:25" "from = a@b" "to = c@d" "require_starttls = false"
accepted "smtp without STARTTLS on loopback"
for mode in disable allow prefer require; do
	conf https://fapi.binance.com wss://fstream.binance.com \
		"[database]" "enabled = true" "dsn = host=db.example.com user=v dbname=v sslmode=$mode"
	refused "database sslmode=$mode to a public host" 'sslmode'
done
conf https://fapi.binance.com wss://fstream.binance.com \
	"[database]" "enabled = true" "dsn = host=db.example.com user=v dbname=v sslmode=verify-full"
accepted "database sslmode=verify-full"
conf https://fapi.binance.com wss://fstream.binance.com \
	"[database]" "enabled = true" "dsn = host=127.0.0.1 user=v dbname=v sslmode=disable"
accepted "database without TLS on loopback"
if [ ${#problems[@]} -gt 0 ]; then
	printf '  %s\n' "${problems[@]}" >&2
	fail "${#problems[@]} TLS problem(s)"
fi
echo ok
