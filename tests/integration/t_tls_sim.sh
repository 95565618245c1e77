# vigil over TLS against vigil-sim --tls-dir (issue 21).
# 1. The sim generates a test CA and a server certificate for IP:127.0.0.1 /
#    DNS:localhost (key 0600) and serves its port over TLS only.
# 2. vigil audit and vigil run on https:// / wss:// with [vigil] ca_file =
#    the sim's CA: a clean audit is OK, an unprotected position is critical,
#    and a stream event (audit_interval 1h) brings the finding with the
#    stream's view of the position.
# 3. A certificate from another CA is refused: audit exits 3 naming the
#    verification failure (REST), run logs it for the stream; without any
#    ca_file the system's bundle does not know the test CA either. An
#    account's ca_file wins over [vigil]'s.
# 4. A certificate of the right CA for another name is refused (hostname
#    check), with the sim serving the directory's own server.pem.
# 5. ca_file that is missing, a directory or no PEM is a config error
#    (exit 78, file:line), never a runtime surprise.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
VIGIL_T_TLS=1

# ---- 1. the sim's PKI ----
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim --tls-dir: $(cat "$VIGIL_TMP/sim.log")"
for f in ca.pem server.pem server.key; do [ -s "$SIM_TLS_DIR/$f" ] || fail "no $f generated"; done
[ "$(stat -c %a "$SIM_TLS_DIR/server.key")" = 600 ] || fail "server.key mode $(stat -c %a "$SIM_TLS_DIR/server.key")"
openssl x509 -in "$SIM_TLS_DIR/server.pem" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1, DNS:localhost' ||
	fail "SAN: $(openssl x509 -in "$SIM_TLS_DIR/server.pem" -noout -ext subjectAltName)"
openssl verify -CAfile "$SIM_CA" "$SIM_TLS_DIR/server.pem" >/dev/null || fail "server.pem not signed by ca.pem"
sim_curl -fsS "$(sim_url)/fapi/v1/time" | grep -q serverTime || fail "https with the CA"
sim_curl -fsS "https://localhost:$SIM_PORT/fapi/v1/time" | grep -q serverTime || fail "https://localhost with the CA"
curl -fsS "http://127.0.0.1:$SIM_PORT/fapi/v1/time" >/dev/null 2>&1 && fail "the TLS port answers plain HTTP"
curl -fsS "https://127.0.0.1:$SIM_PORT/fapi/v1/time" >/dev/null 2>&1 && fail "curl without the CA trusted the sim"

# ---- 2. audit and run over TLS ----
CONF=$VIGIL_TMP/tls.conf
GRACE=0s write_conf "$CONF" observe
grep -q "^rest_url = https://127.0.0.1:$SIM_PORT$" "$CONF" && grep -q "^ws_url = wss://" "$CONF" &&
	grep -q "^ca_file = $SIM_CA$" "$CONF" || fail "write_conf TLS: $(cat "$CONF")"
audit() { "$V" audit -c "$1" --listen 500ms "${@:2}" >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"; echo $?; }
rc=$(audit "$CONF"); [ "$rc" = 0 ] || fail "clean account over TLS: want 0, got $rc: $(cat "$VIGIL_TMP/audit.out" "$VIGIL_TMP/audit.err")"
grep -q 'STREAM_DOWN' "$VIGIL_TMP/audit.out" && fail "stream not up over wss: $(cat "$VIGIL_TMP/audit.out")"

AUDIT_INTERVAL=1h GRACE=0s write_conf "$VIGIL_TMP/run.conf" observe
"$V" run -c "$VIGIL_TMP/run.conf" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "wss stream: $(cat "$VIGIL_TMP/vigil.log")"
# audit_interval 1h: the audit after the open is the stream event's, and the
# finding shows what the stream (over wss) said about the position
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"
wait_until 10 grep -q 'UNPROTECTED_POSITION LTCUSDT *stream: LONG 1' "$VIGIL_TMP/vigil.out" ||
	fail "no finding after the stream event: $(cat "$VIGIL_TMP/vigil.out" | tail -20)"
bg_stop vigil

rc=$(audit "$CONF"); [ "$rc" = 2 ] || fail "unprotected position over TLS: want 2, got $rc: $(cat "$VIGIL_TMP/audit.out")"
grep -q 'UNPROTECTED_POSITION' "$VIGIL_TMP/audit.out" || fail "finding not listed"

# ---- 3. another CA, no CA, the account's CA wins ----
OTHER=$VIGIL_TMP/other-ca
OPORT=$(start_port other "$B/vigil-sim" --port 0 --tls-dir "$OTHER"); [ -n "$OPORT" ] || fail "second sim"
kill "$(cat "$VIGIL_TMP/other.pid")" # only its CA is needed
sed "s|^ca_file = .*|ca_file = $OTHER/ca.pem|" "$CONF" >"$VIGIL_TMP/wrong.conf"
rc=$(audit "$VIGIL_TMP/wrong.conf"); [ "$rc" = 3 ] || fail "another CA: want 3, got $rc: $(cat "$VIGIL_TMP/audit.out")"
head -1 "$VIGIL_TMP/audit.out" | grep -q 'SSL certificate problem: unable to get local issuer certificate' ||
	fail "another CA: the reason must be in the status line: $(head -1 "$VIGIL_TMP/audit.out")"
"$V" audit -c "$VIGIL_TMP/wrong.conf" --listen 500ms --json >"$VIGIL_TMP/audit.json" 2>/dev/null
python3 -c '
import json,sys; j=json.load(open(sys.argv[1]))
assert j["exit_code"]==3, j
assert "SSL certificate problem" in json.dumps(j), j' "$VIGIL_TMP/audit.json" || fail "--json: $(cat "$VIGIL_TMP/audit.json")"
# the stream alone (Bybit: no REST call before the WebSocket) says why too
cat >"$VIGIL_TMP/bb-wrong.conf" <<CONF
[vigil]
metrics_listen = 127.0.0.1:0
spool_dir = $VIGIL_TMP/spool
ca_file = $OTHER/ca.pem
[database]
enabled = false
[account t-bybit]
exchange = bybit
rest_url = $(sim_url)
ws_url = $(sim_ws_url)/v5/private
api_key_env = VIGIL_T_BB_KEY
api_secret_env = VIGIL_T_BB_SECRET
request_limit = 1000000
CONF
"$V" audit -c "$VIGIL_TMP/bb-wrong.conf" --listen 500ms >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"; rc=$?
[ "$rc" = 3 ] || fail "Bybit, another CA: want 3, got $rc"
grep -q 'stream connect failed: TLS certificate verification failed: unable to get local issuer certificate' "$VIGIL_TMP/audit.err" ||
	fail "stream refusal not explained: $(cat "$VIGIL_TMP/audit.err")"
# no ca_file at all: the system's bundle does not trust the test CA
sed "/^ca_file = /d" "$CONF" >"$VIGIL_TMP/noca.conf"
rc=$(audit "$VIGIL_TMP/noca.conf"); [ "$rc" = 3 ] || fail "system bundle: want 3, got $rc"
grep -q 'SSL certificate problem' "$VIGIL_TMP/audit.out" || fail "system bundle: $(head -1 "$VIGIL_TMP/audit.out")"
# [vigil] ca_file wrong, the account's right: the account's wins
ACCOUNT_EXTRA="ca_file = $SIM_CA" write_conf "$VIGIL_TMP/acct.conf" observe
sed -i "0,/^ca_file = .*/s||ca_file = $OTHER/ca.pem|" "$VIGIL_TMP/acct.conf"
grep -c "^ca_file = " "$VIGIL_TMP/acct.conf" | grep -qx 2 || fail "acct.conf: $(cat "$VIGIL_TMP/acct.conf")"
rc=$(audit "$VIGIL_TMP/acct.conf"); [ "$rc" = 2 ] || fail "the account's ca_file must win: want 2, got $rc: $(head -1 "$VIGIL_TMP/audit.out")"

# ---- 4. the right CA, another name: the sim serves a directory's own pair ----
N=$VIGIL_TMP/named
mkdir -p "$N"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=named test CA" \
	-keyout "$N/ca.key" -out "$N/ca.pem" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign >/dev/null 2>&1 || fail "openssl CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=example.test" \
	-keyout "$N/server.key" -out "$N/server.csr" >/dev/null 2>&1 || fail "openssl csr"
printf 'subjectAltName=DNS:example.test\nextendedKeyUsage=serverAuth\n' >"$N/ext"
openssl x509 -req -in "$N/server.csr" -CA "$N/ca.pem" -CAkey "$N/ca.key" -CAcreateserial -days 2 \
	-extfile "$N/ext" -out "$N/server.pem" >/dev/null 2>&1 || fail "openssl sign"
NPORT=$(start_port named "$B/vigil-sim" --port 0 --tls-dir "$N"); [ -n "$NPORT" ] || fail "sim with given files"
cmp -s "$N/server.pem" <(openssl s_client -connect "127.0.0.1:$NPORT" </dev/null 2>/dev/null | openssl x509) ||
	fail "the sim does not serve the directory's own server.pem"
sed -e "s|127.0.0.1:$SIM_PORT|127.0.0.1:$NPORT|g" -e "s|^ca_file = .*|ca_file = $N/ca.pem|" "$CONF" >"$VIGIL_TMP/named.conf"
rc=$(audit "$VIGIL_TMP/named.conf"); [ "$rc" = 3 ] || fail "another name: want 3, got $rc"
grep -q "no alternative certificate subject name matches target host name '127.0.0.1'" "$VIGIL_TMP/audit.out" ||
	fail "hostname check: $(head -1 "$VIGIL_TMP/audit.out")"
sed -e "s|127.0.0.1:$SIM_PORT|127.0.0.1:$NPORT|g" -e "s|^ca_file = .*|ca_file = $N/ca.pem|" \
	"$VIGIL_TMP/bb-wrong.conf" >"$VIGIL_TMP/bb-named.conf"
"$V" audit -c "$VIGIL_TMP/bb-named.conf" --listen 500ms >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"
grep -q 'stream connect failed: TLS certificate verification failed: IP address mismatch' "$VIGIL_TMP/audit.err" ||
	fail "stream hostname check: $(cat "$VIGIL_TMP/audit.err")"
# a partial directory is refused by the sim
mkdir -p "$VIGIL_TMP/partial" && cp "$SIM_CA" "$VIGIL_TMP/partial/"
"$B/vigil-sim" --port 0 --tls-dir "$VIGIL_TMP/partial" >/dev/null 2>"$VIGIL_TMP/partial.err"; rc=$?
[ $rc = 73 ] && grep -q 'not the rest' "$VIGIL_TMP/partial.err" || fail "partial tls dir: rc $rc $(cat "$VIGIL_TMP/partial.err")"

# ---- 5. ca_file errors at load ----
bad_ca() { # WHAT PATTERN: the [vigil] ca_file line replaced by $CA
	sed "s|^ca_file = .*|ca_file = $CA|" "$CONF" >"$VIGIL_TMP/bad.conf"
	local line out rc
	line=$(grep -n '^ca_file' "$VIGIL_TMP/bad.conf" | cut -d: -f1)
	out=$("$V" check-config "$VIGIL_TMP/bad.conf" 2>&1); rc=$?
	[ $rc = 78 ] || fail "$1: want 78, got $rc: $out"
	grep -q "bad.conf:$line: \[vigil\] ca_file: .*$2" <<<"$out" || fail "$1: want file:$line and '$2': $out"
	rc=$(audit "$VIGIL_TMP/bad.conf"); [ "$rc" = 3 ] || fail "$1: audit want 3, got $rc"
}
CA=$VIGIL_TMP/nosuch.pem bad_ca "missing ca_file" "No such file or directory"
CA=$VIGIL_TMP bad_ca "a directory" "not a regular file"
echo "not a certificate" >"$VIGIL_TMP/junk.pem"
CA=$VIGIL_TMP/junk.pem bad_ca "no PEM" "holds no PEM certificate"
CA=$SIM_TLS_DIR/server.key bad_ca "a key, no certificate" "holds no PEM certificate"
# a relative ca_file is relative to the config file
cp "$SIM_CA" "$VIGIL_TMP/rel-ca.pem"
CA=rel-ca.pem
sed "s|^ca_file = .*|ca_file = $CA|" "$CONF" >"$VIGIL_TMP/rel.conf"
VABS=$(realpath "$V")
(cd / && "$VABS" check-config "$VIGIL_TMP/rel.conf" >/dev/null 2>&1) || fail "relative ca_file: $("$V" check-config "$VIGIL_TMP/rel.conf" 2>&1)"
# the account's ca_file is checked too, at its own line
ACCOUNT_EXTRA="ca_file = $VIGIL_TMP/nosuch.pem" write_conf "$VIGIL_TMP/bad2.conf" observe
line=$(grep -n '^ca_file' "$VIGIL_TMP/bad2.conf" | tail -1 | cut -d: -f1)
out=$("$V" check-config "$VIGIL_TMP/bad2.conf" 2>&1); rc=$?
[ $rc = 78 ] && grep -q "bad2.conf:$line: \[account t-binance\] ca_file: cannot open" <<<"$out" || fail "account ca_file: $rc $out"
echo ok
