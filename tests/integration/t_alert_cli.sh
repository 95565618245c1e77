# `vigil alert -c FILE test`: one test message to every configured channel
# (fake Telegram Bot API + aiosmtpd Maildir sink), one result line each;
# exit 0 when all accepted, 1 when one failed; the token never printed.
set -euo pipefail
. tests/lib.sh
V=${VIGIL_BUILD:-build}/vigil
PY=/usr/bin/python3
TOKEN='777001:AAcliTestTokenMustNotPrint'

TGP=$(free_port); SMP=$(free_port)
bg_start tg $PY tests/support/fake_telegram.py --port "$TGP" --log "$VIGIL_TMP/tg.jsonl" --token "$TOKEN"
bg_start smtp $PY tests/support/smtp_sink.py --port "$SMP" --maildir "$VIGIL_TMP/mail"
wait_port "$TGP" 10; wait_port "$SMP" 10

conf="$VIGIL_TMP/alert.conf"
cat >"$conf" <<CONF
[alerts.telegram]
enabled = true
api_url = http://127.0.0.1:$TGP
token_env = T_ALERT_CLI_TOKEN
chat_ids = -1001, 42

[alerts.smtp]
enabled = true
url = smtp://127.0.0.1:$SMP
from = vigil <vigil@example.test>
to = ops@example.test
require_starttls = false

[account sim]
exchange = binance
rest_url = http://127.0.0.1:1
ws_url = ws://127.0.0.1:1
api_key_env = T_ALERT_CLI_KEY
api_secret_env = T_ALERT_CLI_SECRET
CONF
export T_ALERT_CLI_TOKEN=$TOKEN T_ALERT_CLI_KEY=kkkkkkkk T_ALERT_CLI_SECRET=ssssssss

set +e
out=$($V alert -c "$conf" test 2>&1); rc=$?
set -e
echo "$out"
[ $rc -eq 0 ] || { echo "all channels up: exit must be 0, got $rc"; exit 1; }
grep -qE '^log +ok' <<<"$out"
grep -qE '^telegram +ok' <<<"$out"
grep -qE '^smtp +ok' <<<"$out"
n=$(grep -c '"status": 200' "$VIGIL_TMP/tg.jsonl")
[ "$n" -eq 2 ] || { echo "one message per chat id expected (2), got $n"; exit 1; }
[ "$(ls "$VIGIL_TMP/mail/new" | wc -l)" -eq 1 ] || { echo "expected one mail"; exit 1; }
grep -q '^Subject: \[vigil\] TEST alert channel smtp' "$VIGIL_TMP/mail/new/"*

# Telegram failing: exit 1, the failure reported, the token nowhere
curl -s -o /dev/null -X POST -d '{"fail":10,"status":502}' "http://127.0.0.1:$TGP/control"
set +e
out=$($V alert -c "$conf" test 2>&1); rc=$?
set -e
echo "$out"
[ $rc -eq 1 ] || { echo "a failed channel must exit 1, got $rc"; exit 1; }
grep -qE '^telegram +FAILED: telegram: HTTP 502' <<<"$out"
grep -qE '^smtp +ok' <<<"$out"
if grep -q "AAcliTestToken" <<<"$out"; then echo "token leaked"; exit 1; fi

# STARTTLS, required by default: a TLS-capable sink with our own CA works,
# and the plain sink is refused (no silent fall-back to clear text)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$VIGIL_TMP/k.pem" -out "$VIGIL_TMP/c.pem" 2>/dev/null
TLP=$(free_port)
bg_start smtptls $PY -m aiosmtpd -n -l "127.0.0.1:$TLP" --tlscert "$VIGIL_TMP/c.pem" --tlskey "$VIGIL_TMP/k.pem" \
	-c aiosmtpd.handlers.Mailbox "$VIGIL_TMP/tlsmail"
wait_port "$TLP" 10
curl -s -o /dev/null -X POST -d '{"reset":true}' "http://127.0.0.1:$TGP/control"
sed -i -e "s|^url = smtp://127.0.0.1:$SMP|url = smtp://127.0.0.1:$TLP|" -e "s|^require_starttls = false|ca_file = $VIGIL_TMP/c.pem|" "$conf"
set +e
out=$($V alert -c "$conf" test 2>&1); rc=$?
set -e
echo "$out"
[ $rc -eq 0 ] || { echo "STARTTLS send must work, got $rc"; exit 1; }
[ "$(ls "$VIGIL_TMP/tlsmail/new" | wc -l)" -eq 1 ] || { echo "expected one mail over STARTTLS"; exit 1; }
sed -i "s|^url = smtp://127.0.0.1:$TLP|url = smtp://127.0.0.1:$SMP|" "$conf"
set +e
out=$($V alert -c "$conf" test 2>&1); rc=$?
set -e
echo "$out"
[ $rc -eq 1 ] || { echo "a server without STARTTLS must fail when it is required, got $rc"; exit 1; }
grep -qE '^smtp +FAILED' <<<"$out"
[ "$(ls "$VIGIL_TMP/mail/new" | wc -l)" -eq 2 ] || { echo "nothing may go to the plain sink"; exit 1; }
sed -i "s|^ca_file = .*|require_starttls = false|" "$conf"

# plain SMTP to a non-loopback server is refused as a config error (78)
sed -i "s|^url = smtp://127.0.0.1:$SMP|url = smtp://mail.example.com:25|" "$conf"
set +e
out=$($V alert -c "$conf" test 2>&1); rc=$?
set -e
[ $rc -eq 78 ] || { echo "require_starttls=false to a remote host must be refused (78), got $rc: $out"; exit 1; }
grep -q loopback <<<"$out"

set +e
$V alert -c "$conf" >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 64 ] || { echo "missing subcommand must exit 64, got $rc"; exit 1; }
echo ok
