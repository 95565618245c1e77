# Files holding secrets must not be readable by group or others: vigil
# refuses them with a clear message (file named, mode shown, the chmod that
# fixes it), exit 78, and the message never shows the secret itself. Checked
# for every secret key that has a _file form, for group- and other-
# readable modes, through check-config and through the commands that load a
# config (audit exits 3, run exits 78). A secret in the config file itself
# (a password inside the database DSN) is refused as well.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/wd_lib.sh

S=VGLSECRETpermPASS4b1e9a7c
SEC=$VIGIL_TMP/sec
mkdir -p "$SEC"
(umask 077; printf '%s\n' "$S" >"$SEC/s")
export VIGIL_P_KEY=VGLSECRETpermKEY0c3d8e2f

# conf KEY_LINE...: one Binance account (key from env, secret from the
# file) plus the extra lines given (whole sections).
conf() {
	{
		echo "[account p]"
		echo "exchange = binance"
		echo "rest_url = http://127.0.0.1:1"
		echo "ws_url = ws://127.0.0.1:1"
		echo "api_key_env = VIGIL_P_KEY"
		echo "api_secret_file = $SEC/s"
		printf '%s\n' "$@"
	} >"$VIGIL_TMP/p.conf"
}

# refused MODE WHAT: check-config must refuse the secret file at MODE.
refused() {
	local mode=$1 what=$2 out rc
	chmod "$mode" "$SEC/s"
	out=$("$V" check-config "$VIGIL_TMP/p.conf" 2>&1); rc=$?
	[ $rc -eq 78 ] || fail "$what: secret file mode $mode: want exit 78, got $rc: $out"
	grep -qF "$SEC/s" <<<"$out" || fail "$what: message must name the file: $out"
	grep -qiE 'group|others' <<<"$out" || fail "$what: message must say who can read it: $out"
	grep -qF 'chmod 600' <<<"$out" || fail "$what: message must say how to fix it: $out"
	grep -qF 'VGLSECRET' <<<"$out" && fail "$what: message shows the secret: $out"
	chmod 600 "$SEC/s"
	return 0
}

# Every secret that has a _file form.
conf
refused 640 "api_secret_file"
refused 604 "api_secret_file"
refused 660 "api_secret_file"
conf "[database]" "enabled = true" "dsn = host=127.0.0.1 port=1 user=v dbname=v" "password_file = $SEC/s"
sed -i "s|^api_secret_file = .*|api_secret_env = VIGIL_P_KEY|" "$VIGIL_TMP/p.conf"
refused 640 "[database] password_file"
conf "[alerts.telegram]" "enabled = true" "api_url = http://127.0.0.1:1" "token_file = $SEC/s" "chat_ids = 1"
sed -i "s|^api_secret_file = .*|api_secret_env = VIGIL_P_KEY|" "$VIGIL_TMP/p.conf"
refused 604 "[alerts.telegram] token_file"
conf "[alerts.smtp]" "enabled = true" "url = smtp://127.0.0.1:1" "from = a@b" "to = c@d" "password_file = $SEC/s"
sed -i "s|^api_secret_file = .*|api_secret_env = VIGIL_P_KEY|" "$VIGIL_TMP/p.conf"
refused 640 "[alerts.smtp] password_file"
sed -i "s|^api_key_env = .*|api_key_file = $SEC/s|" "$VIGIL_TMP/p.conf"
refused 644 "api_key_file"

# 0600 and 0400 are accepted.
conf
for m in 600 400; do
	chmod $m "$SEC/s"
	"$V" check-config "$VIGIL_TMP/p.conf" >/dev/null 2>&1 || fail "mode $m must be accepted"
done
chmod 600 "$SEC/s"

# The commands that load a config refuse it too (audit: Nagios UNKNOWN).
chmod 640 "$SEC/s"
out=$("$V" audit -c "$VIGIL_TMP/p.conf" 2>&1); rc=$?
[ $rc -eq 3 ] || fail "audit with a readable secret file: want 3, got $rc: $out"
grep -qiE 'group|others' <<<"$out" || fail "audit must say why: $out"
out=$(timeout 10 "$V" run -c "$VIGIL_TMP/p.conf" 2>&1); rc=$?
[ $rc -eq 78 ] || fail "run with a readable secret file: want 78, got $rc: $out"
grep -qF 'VGLSECRET' <<<"$out" && fail "run's refusal shows the secret: $out"
chmod 600 "$SEC/s"

# Not a regular file (a directory, a FIFO would block): refused.
conf
sed -i "s|^api_secret_file = .*|api_secret_file = $SEC|" "$VIGIL_TMP/p.conf"
chmod 700 "$SEC"
out=$("$V" check-config "$VIGIL_TMP/p.conf" 2>&1); rc=$?
[ $rc -eq 78 ] || fail "secret file that is a directory: want 78, got $rc: $out"

# A secret written into the config file itself: the DSN's password= . The
# file is readable by everyone here; vigil must refuse to use it and point
# at password_env / password_file, without printing the password.
conf "[database]" "enabled = true" "dsn = host=127.0.0.1 port=1 user=v dbname=v password=$S"
chmod 644 "$VIGIL_TMP/p.conf"
out=$("$V" check-config "$VIGIL_TMP/p.conf" 2>&1); rc=$?
grep -qF 'VGLSECRET' <<<"$out" && fail "check-config prints the DSN password: $out"
[ $rc -eq 78 ] || fail "a password inside dsn (config mode 644) must be refused (exit 78, use password_env/password_file), got $rc: $out"
grep -qiE 'password' <<<"$out" || fail "refusal must name the password: $out"
echo ok
