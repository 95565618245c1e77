# make install / make uninstall as an operator runs them: into the live
# system (here a scratch one: /etc, /var/lib, /usr/local are overlays in a
# private mount namespace), as root, with the default PREFIX. Proves what
# lands where (the overlay's upper layer shows exactly what was written),
# that the user and directories exist with the right modes, that the
# installed binary finds its installed migrations, that the unit runs the
# installed binary, and that uninstall leaves no file behind. Then a DESTDIR
# + PREFIX=/opt/vigil staging install, as a packager would.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
in_scratch_system "$0" "$@"
mk() { make -s --no-print-directory BUILD="$B" "$@"; }

mk install >"$VIGIL_TMP/install.out" 2>&1 || fail "make install: $(cat "$VIGIL_TMP/install.out")"
grep -q "user vigil and /etc/vigil" "$VIGIL_TMP/install.out" || fail "install did not set up the system: $(cat "$VIGIL_TMP/install.out")"
up=$(scratch_upper /usr/local)
want="bin/vigil
lib/systemd/system/vigil.service
lib/sysusers.d/vigil.conf
lib/tmpfiles.d/vigil.conf
share/doc/vigil/README.md
$(for f in etc/vigil.conf.example etc/vigil.cron etc/prometheus/vigil-alerts.yml etc/grafana/vigil-dashboard.json; do
	[ -e "$f" ] && echo "share/doc/vigil/examples/${f##*/}"; done)
share/man/man5/vigil.conf.5
share/man/man8/vigil.8
$(for f in sql/[0-9][0-9][0-9]_*.sql; do echo "share/vigil/sql/${f##*/}"; done)"
got=$(cd "$up" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
want=$(LC_ALL=C sort <<<"$want")
[ "$got" = "$want" ] || fail "installed files differ from the list: $(diff <(echo "$want") <(echo "$got"))"
[ "$(stat -c %a /usr/local/bin/vigil)" = 755 ] || fail "binary mode $(stat -c %a /usr/local/bin/vigil)"
grep -qx 'ExecStart=/usr/local/bin/vigil run -c /etc/vigil/vigil.conf --quiet' /usr/local/lib/systemd/system/vigil.service ||
	fail "unit does not run the installed binary: $(grep ^Exec /usr/local/lib/systemd/system/vigil.service)"

# the user and the directories (systemd-sysusers / systemd-tmpfiles ran)
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd vigil)"
[ -n "${uid:-}" ] || fail "no user vigil"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/vigil ] && [ "$shell" = /usr/sbin/nologin ] ||
	fail "vigil user: uid $uid home $home shell $shell"
getent group vigil >/dev/null || fail "no group vigil"
for spec in "/var/lib/vigil 700 vigil vigil" "/var/lib/vigil/spool 700 vigil vigil" "/etc/vigil 750 root vigil"; do
	set -- $spec
	[ "$(stat -c '%a %U %G' "$1")" = "$2 $3 $4" ] || fail "$1: $(stat -c '%a %U %G' "$1"), want $2 $3 $4"
done
# the installed binary migrates from the installed sql/, wherever it is run from
pg_start >/dev/null || fail "postgres"
VIGIL_T_TLS=0 DB_DSN=$DATABASE_URL SIM_PORT=1 write_conf "$VIGIL_TMP/v.conf" observe
mkdir -p "$VIGIL_TMP/elsewhere/sql" && echo "this is no migration" >"$VIGIL_TMP/elsewhere/sql/001_bogus.sql"
(cd "$VIGIL_TMP/elsewhere" && env -u VIGIL_SQL_DIR /usr/local/bin/vigil db -c "$VIGIL_TMP/v.conf" migrate) >"$VIGIL_TMP/migrate.out" 2>&1 ||
	fail "installed migrate: $(cat "$VIGIL_TMP/migrate.out")"
grep -q "/usr/local/share/vigil/sql" "$VIGIL_TMP/migrate.out" || fail "migrate did not use the installed files: $(cat "$VIGIL_TMP/migrate.out")"
man -l /usr/local/share/man/man8/vigil.8 2>&1 >/dev/null | grep . && fail "installed vigil(8) renders with warnings"

mk uninstall >"$VIGIL_TMP/uninstall.out" 2>&1 || fail "make uninstall: $(cat "$VIGIL_TMP/uninstall.out")"
left=$(cd "$up" && find . -type f)
[ -z "$left" ] || fail "uninstall left: $left"
[ -d /var/lib/vigil/spool ] && getent passwd vigil >/dev/null || fail "uninstall removed the user or the data"

# staging: DESTDIR and another PREFIX; nothing outside DESTDIR, no user made
stage=$VIGIL_TMP/stage
before=$(cd "$(scratch_upper /etc)" && find . | LC_ALL=C sort)
mk install DESTDIR="$stage" PREFIX=/opt/vigil >"$VIGIL_TMP/stage.out" 2>&1 || fail "DESTDIR install: $(cat "$VIGIL_TMP/stage.out")"
[ -x "$stage/opt/vigil/bin/vigil" ] && [ -f "$stage/opt/vigil/share/vigil/sql/001_init.sql" ] || fail "DESTDIR layout: $(cd "$stage" && find . -type f)"
grep -qx 'ExecStart=/opt/vigil/bin/vigil run -c /etc/vigil/vigil.conf --quiet' "$stage/opt/vigil/lib/systemd/system/vigil.service" ||
	fail "unit path for PREFIX=/opt/vigil: $(grep ^Exec "$stage/opt/vigil/lib/systemd/system/vigil.service")"
[ "$(cd "$(scratch_upper /etc)" && find . | LC_ALL=C sort)" = "$before" ] || fail "a DESTDIR install touched /etc"
mk uninstall DESTDIR="$stage" PREFIX=/opt/vigil >/dev/null 2>&1 || fail "DESTDIR uninstall"
[ -z "$(find "$stage" -type f)" ] || fail "DESTDIR uninstall left: $(find "$stage" -type f)"
echo ok
