# The vigil CLI: help, version, usage errors (64), config errors (78).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
V=${VIGIL_BUILD:-build}/vigil
$V help | grep -q 'usage: vigil'
$V version | grep -qE '^vigil [0-9]+\.[0-9]+'
set +e
$V frobnicate >/dev/null 2>&1; [ $? -eq 64 ] || { echo "unknown command must exit 64"; exit 1; }
$V check-config >/dev/null 2>&1; [ $? -eq 64 ] || { echo "missing arg must exit 64"; exit 1; }
printf '[vigil]\nbogus = 1\n' >"$VIGIL_TMP/bad.conf"
out=$($V check-config "$VIGIL_TMP/bad.conf" 2>&1); rc=$?
[ $rc -eq 78 ] || { echo "config error must exit 78, got $rc"; exit 1; }
grep -q "bad.conf:2: .*bogus" <<<"$out" || { echo "message must name file, line and key: $out"; exit 1; }
# every subcommand's own --help / -h: exit 0, its usage line and options on stdout
for c in run audit status repair findings ack db alert check-config version; do
	for h in --help -h; do
		out=$($V $c $h 2>&1); rc=$?
		[ $rc -eq 0 ] || { echo "vigil $c $h must exit 0, got $rc: $out"; exit 1; }
		grep -q "^usage: vigil $c" <<<"$out" || { echo "vigil $c $h: no usage line: $out"; exit 1; }
		grep -q -- "--help" <<<"$out" || { echo "vigil $c $h: no options listed: $out"; exit 1; }
	done
done
out=$($V audit --help); grep -q -- '-t, --timeout' <<<"$out" || { echo "audit --help lacks -t: $out"; exit 1; }
set -e
VIGIL_DEMO_BINANCE_KEY=k1k1k1 VIGIL_DEMO_BINANCE_SECRET=s1s1s1 VIGIL_DEMO_BYBIT_KEY=k2k2k2 VIGIL_DEMO_BYBIT_SECRET=s2s2s2 \
	$V check-config etc/demo.conf | grep -q 'ok (2 accounts)'
echo ok
