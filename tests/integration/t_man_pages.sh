# vigil(8) and vigil.conf(5) (docs/, mdoc): mandoc -Tlint and man-db's
# groff render them without a warning, and they stay complete: every option
# each subcommand's --help prints is in vigil(8), so is every finding code,
# and every key of the example config is in vigil.conf(5).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
for m in docs/vigil.8 docs/vigil.conf.5; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1) || fail "mandoc -Tlint $m: $out"
	[ -z "$out" ] || fail "mandoc -Tlint $m: $out"
	out=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "man -l $m: $out"
	[ "$(MANWIDTH=80 man -l "$m" 2>/dev/null | wc -l)" -gt 60 ] || fail "$m renders almost empty"
done
page=$(MANWIDTH=200 man -l docs/vigil.8 2>/dev/null)

# every subcommand's --help: exit 0, and each option it lists is in the page
for c in run audit status repair findings ack db alert check-config; do
	help=$("$V" "$c" --help 2>&1) || fail "vigil $c --help exited $?"
	grep -qF "vigil $c" <<<"$page" || fail "vigil(8) lacks the command $c"
	for o in $(grep -oE '^  +(-[a-z], )?--[a-z-]+' <<<"$help" | grep -oE -- '--[a-z-]+$'); do
		grep -qF -- "$o" <<<"$page" || fail "vigil $c --help lists $o, vigil(8) does not"
	done
done
# every finding code
for code in $(sed -n 's/.*\[REC_[A-Z_]*\] = { "\([A-Z_]*\)".*/\1/p' reconcile/model.c); do
	grep -qw "$code" <<<"$page" || fail "vigil(8) does not explain the finding $code"
done
# every key the parser knows (its tables in watchdog/config.c), and every
# key of the example config, is in vigil.conf(5)
conf=$(MANWIDTH=200 man -l docs/vigil.conf.5 2>/dev/null)
keys=$(sed -nE 's/^\t\{ "([a-z_]+)", CK_.*/\1/p' watchdog/config.c | sort -u)
[ "$(wc -w <<<"$keys")" -gt 40 ] || fail "found only $(wc -w <<<"$keys") keys in watchdog/config.c"
for k in $keys $(sed -nE 's/^;?([a-z_]+) =.*/\1/p' etc/vigil.conf.example | sort -u); do
	grep -qw -- "$k" <<<"$conf" || fail "vigil.conf(5) lacks the key $k"
	grep -qE "^;?$k =" etc/vigil.conf.example || fail "etc/vigil.conf.example lacks the key $k"
done
for s in vigil database alerts alerts.telegram alerts.smtp alerts.webhook api 'account NAME'; do
	grep -qF "SECTION [$s]" <<<"$conf" || fail "vigil.conf(5) lacks the section [$s]"
done
echo ok
