# The cron recipe etc/vigil.cron, run as cron runs it: installed with
# `make install` on a scratch system (overlays in a private mount namespace),
# its job line executed by /bin/sh as the vigil user with only the
# environment cron gives a job (env -i + the file's variables + HOME,
# LOGNAME from the user, cwd = HOME), unchanged. Secrets come from the
# config's *_file keys (no secrets.env: only systemd reads that). A healthy
# account prints nothing (cron mails nothing); an unprotected position prints
# the Nagios report, whose first line is the verdict.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
VIGIL_T_TLS=0 # still plain HTTP / WebSocket (issue 21 switched the write_conf scripts)
in_scratch_system "$0" "$@"

make -s --no-print-directory BUILD="$B" install >"$VIGIL_TMP/install.out" 2>&1 || fail "make install: $(cat "$VIGIL_TMP/install.out")"
getent passwd vigil >/dev/null || fail "make install made no vigil user"

# the file: VAR=value lines, then exactly one job line for user vigil
vars=() job=
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	if [[ $line =~ ^[A-Z_]+= ]]; then vars+=("$line"); continue; fi
	[ -z "$job" ] || fail "more than one job line"
	job=$line
done <etc/vigil.cron
read -r m h dom mon dow user cmd <<<"$job"
[ "$user" = vigil ] || fail "job runs as '$user', not vigil"
[ "$m $h $dom $mon $dow" = "*/5 * * * *" ] || fail "schedule: $m $h $dom $mon $dow"
case $cmd in *%*) fail "an unescaped % (cron turns it into a newline): $cmd" ;; esac
printf '%s\n' "${vars[@]}" | grep -q '^PATH=.*/usr/local/bin' || fail "cron PATH lacks /usr/local/bin (make install's BINDIR)"
printf '%s\n' "${vars[@]}" | grep -q '^PATH=.*/usr/bin' || fail "cron PATH lacks /usr/bin (the package's)"

# the operator's setup: config 0640 root:vigil, secrets in vigil-owned 0600 files
pg_start >/dev/null || fail "postgres"
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
# the bot's table, holding the LTCUSDT long the test opens below (so that
# position is the bot's, and unprotected)
"$VIGIL_PG_BIN/psql" "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE TABLE positions (symbol text, exchange text,
	side text, quantity numeric, entry_price numeric, status text, opened_at timestamptz);
	INSERT INTO positions VALUES ('LTCUSDT', 'binance', 'long', 1, 0, 'pending', now())" || fail "bot table"
DB_DSN=$DATABASE_URL GRACE=0s write_conf /etc/vigil/vigil.conf observe
sed -i -e "s|^spool_dir = .*|spool_dir = /var/lib/vigil/spool|" \
	-e "s|^api_key_env = .*|api_key_file = /etc/vigil/t-binance.key|" \
	-e "s|^api_secret_env = .*|api_secret_file = /etc/vigil/t-binance.secret|" /etc/vigil/vigil.conf
printf '%s\n' "$VIGIL_T_BN_KEY" >/etc/vigil/t-binance.key
printf '%s\n' "$VIGIL_T_BN_SECRET" >/etc/vigil/t-binance.secret
chown vigil:vigil /etc/vigil/t-binance.key /etc/vigil/t-binance.secret
chmod 0600 /etc/vigil/t-binance.key /etc/vigil/t-binance.secret
chown root:vigil /etc/vigil/vigil.conf && chmod 0640 /etc/vigil/vigil.conf
# commands by hand run as the user the secret files belong to
runuser -u vigil -- vigil db -c /etc/vigil/vigil.conf migrate >"$VIGIL_TMP/migrate.out" 2>&1 ||
	fail "migrate: $(cat "$VIGIL_TMP/migrate.out")"

cron_job() { # runs the job line as cron would; its output is what cron mails
	(cd /var/lib/vigil && setpriv --reuid=vigil --regid=vigil --init-groups \
		/usr/bin/env -i HOME=/var/lib/vigil LOGNAME=vigil USER=vigil "${vars[@]}" /bin/sh -c "$cmd") \
		>"$VIGIL_TMP/mail.txt" 2>&1
}

cron_job; rc=$?
[ $rc -eq 0 ] || fail "healthy account: job exited $rc: $(cat "$VIGIL_TMP/mail.txt")"
[ ! -s "$VIGIL_TMP/mail.txt" ] || fail "healthy account: cron would mail: $(cat "$VIGIL_TMP/mail.txt")"
head -1 /var/lib/vigil/audit.txt | grep -q '^VIGIL OK - ' || fail "report: $(cat /var/lib/vigil/audit.txt)"
[ "$(stat -c %U /var/lib/vigil/audit.txt)" = vigil ] || fail "the report is not the vigil user's"

sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"
"$VIGIL_PG_BIN/psql" "$DATABASE_URL" -q -c "UPDATE positions SET status = 'active'" || fail "bot row"
cron_job
head -1 "$VIGIL_TMP/mail.txt" | grep -q '^VIGIL CRITICAL - 1 critical, 0 warning on 1 account | critical=1;' ||
	fail "unprotected position: the mail's first line: $(cat "$VIGIL_TMP/mail.txt")"
grep -q 'UNPROTECTED_POSITION' "$VIGIL_TMP/mail.txt" || fail "the mail does not name the finding: $(cat "$VIGIL_TMP/mail.txt")"
grep -q 'Permission denied\|not found' "$VIGIL_TMP/mail.txt" && fail "the job could not run: $(cat "$VIGIL_TMP/mail.txt")"
echo ok
