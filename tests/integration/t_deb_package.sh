# The Debian package: debian/ builds with `dpkg-buildpackage -us -uc -b`
# (from a copy of the source, tests/build_deb.sh), lintian reports no error
# and no warning, and the .deb installs into a scratch root (dpkg --root,
# maintainer scripts run against it through DPKG_ROOT): the files land, the
# postinst creates the vigil user and its directories, the unit is enabled
# but skipped until /etc/vigil/vigil.conf exists, the packaged binary
# migrates a database from its packaged sql/, and remove + purge take it all
# away again.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
for t in dpkg-buildpackage dh lintian fakeroot; do
	command -v $t >/dev/null || fail "$t missing (make deps installs debhelper, lintian, fakeroot)"
done
[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg --root)"

ver=$(dpkg-parsechangelog -S Version)
grep -q "VIGIL_VERSION \"$ver\"" watchdog/version.h || fail "debian/changelog says $ver, watchdog/version.h $(grep VIGIL_VERSION watchdog/version.h)"
deb=$(tests/build_deb.sh "$VIGIL_TMP/deb") || fail "package build"
[ -f "$deb" ] || fail "no .deb: $deb"
lintian --tag-display-limit 0 "$deb" >"$VIGIL_TMP/lintian.out" 2>&1
grep -E '^[EW]: ' "$VIGIL_TMP/lintian.out" && fail "lintian: $(grep -E '^[EW]: ' "$VIGIL_TMP/lintian.out")"
dpkg-deb -f "$deb" Depends | grep -q 'libwebsockets' || fail "Depends lacks the shared libraries: $(dpkg-deb -f "$deb" Depends)"

R=$VIGIL_TMP/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc" "$R/var/log"
: >"$R/var/lib/dpkg/status"
dpk() { dpkg --root="$R" --log="$R/var/log/dpkg.log" --force-script-chrootless --force-depends "$@"; }
dpk -i "$deb" >"$VIGIL_TMP/dpkg.out" 2>&1 || fail "dpkg -i: $(cat "$VIGIL_TMP/dpkg.out")"
dpkg --root="$R" -s vigil 2>/dev/null | grep -q '^Status: install ok installed' || fail "not installed: $(cat "$VIGIL_TMP/dpkg.out")"
for f in /usr/bin/vigil /lib/systemd/system/vigil.service /usr/lib/sysusers.d/vigil.conf /usr/lib/tmpfiles.d/vigil.conf \
	/usr/share/man/man8/vigil.8.gz /usr/share/man/man5/vigil.conf.5.gz /usr/share/vigil/sql/001_init.sql \
	/usr/share/doc/vigil/examples/vigil.conf.example /usr/share/doc/vigil/examples/vigil.cron /usr/share/doc/vigil/copyright; do
	[ -e "$R$f" ] || fail "not in the package: $f"
done
"$R/usr/bin/vigil" version | grep -qF "$ver" || fail "packaged binary: $("$R/usr/bin/vigil" version 2>&1)"
grep -qx 'ExecStart=/usr/bin/vigil run -c /etc/vigil/vigil.conf --quiet' "$R/lib/systemd/system/vigil.service" ||
	fail "unit: $(grep ^Exec "$R/lib/systemd/system/vigil.service")"

# postinst: the user (system uid, no shell) and the directories
line=$(grep '^vigil:' "$R/etc/passwd") || fail "postinst made no vigil user: $(cat "$VIGIL_TMP/dpkg.out")"
IFS=: read -r _ _ uid gid _ home shell <<<"$line"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/vigil ] && [ "$shell" = /usr/sbin/nologin ] || fail "user: $line"
grep -q "^vigil:x:$gid:" "$R/etc/group" || fail "no group vigil"
for spec in "/var/lib/vigil/spool 700 $uid $gid" "/var/lib/vigil 700 $uid $gid" "/etc/vigil 750 0 $gid"; do
	set -- $spec
	[ "$(stat -c '%a %u %g' "$R$1")" = "$2 $3 $4" ] || fail "$1: $(stat -c '%a %u %g' "$R$1"), want $2 $3 $4"
done
# enabled, but nothing starts until configured
[ -L "$R/etc/systemd/system/multi-user.target.wants/vigil.service" ] || fail "unit not enabled: $(ls -R "$R/etc/systemd" 2>&1 | head)"
grep -qx 'ConditionPathExists=/etc/vigil/vigil.conf' "$R/lib/systemd/system/vigil.service" || fail "unit has no config condition"
[ ! -e "$R/etc/vigil/vigil.conf" ] || fail "the package ships a live config"
# the packaged unit as systemd reads it (its binary path pointed into the root)
sed "s|/usr/bin/vigil|$R/usr/bin/vigil|g" "$R/lib/systemd/system/vigil.service" >"$VIGIL_TMP/vigil.service"
systemd-analyze verify --man=no "$VIGIL_TMP/vigil.service" >"$VIGIL_TMP/verify.out" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$VIGIL_TMP/verify.out")"
[ ! -s "$VIGIL_TMP/verify.out" ] || fail "systemd-analyze verify: $(cat "$VIGIL_TMP/verify.out")"
for m in man8/vigil.8.gz man5/vigil.conf.5.gz; do
	lint=$(zcat "$R/usr/share/man/$m" | mandoc -Tlint -W warning 2>&1) && [ -z "$lint" ] || fail "packaged $m: $(head -5 <<<"$lint")"
done

# the packaged binary finds the packaged migrations
pg_start >/dev/null || fail "postgres"
VIGIL_T_TLS=0 DB_DSN=$DATABASE_URL SIM_PORT=1 write_conf "$VIGIL_TMP/v.conf" observe
(cd / && env -u VIGIL_SQL_DIR "$R/usr/bin/vigil" db -c "$VIGIL_TMP/v.conf" migrate) >"$VIGIL_TMP/migrate.out" 2>&1 ||
	fail "packaged migrate: $(cat "$VIGIL_TMP/migrate.out")"
grep -q "($R/usr/share/vigil/sql)" "$VIGIL_TMP/migrate.out" || fail "migrated from elsewhere: $(tail -1 "$VIGIL_TMP/migrate.out")"

# remove, then purge: files and the enablement go; the user stays (Debian's way)
dpk -r vigil >"$VIGIL_TMP/remove.out" 2>&1 || fail "dpkg -r: $(cat "$VIGIL_TMP/remove.out")"
[ ! -e "$R/usr/bin/vigil" ] && [ ! -e "$R/usr/share/vigil/sql/001_init.sql" ] || fail "remove left files"
dpk -P vigil >"$VIGIL_TMP/purge.out" 2>&1 || fail "dpkg -P: $(cat "$VIGIL_TMP/purge.out")"
[ ! -e "$R/etc/systemd/system/multi-user.target.wants/vigil.service" ] || fail "purge left the unit enabled"
left=$(cd "$R" && find usr lib -type f 2>/dev/null)
[ -z "$left" ] || fail "purge left: $left"
echo ok
