#!/usr/bin/env bash
# Integration tests: starts one throwaway PostgreSQL cluster for the run, then
# runs the C integration suites (build/itest, one line per suite) and every
# tests/integration/t_*.sh script. Prints "PASS name" / "FAIL name" lines.
# Each t_*.sh starts what else it needs (vigil-sim, SMTP sink, fake Telegram)
# through tests/lib.sh and must finish within its own timeout.
# run.sh NAME runs one thing alone: the script tests/integration/NAME.sh, or
# else the build/itest suite NAME (make check T=NAME).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
export VIGIL_BUILD=${VIGIL_BUILD:-build}
export VIGIL_TEST_LOGDIR=$VIGIL_TMP
only=${1:-}
scripts=(tests/integration/t_*.sh)
itest=(build/itest)
if [ -n "$only" ]; then
	if [ -f "tests/integration/$only.sh" ]; then
		scripts=("tests/integration/$only.sh") itest=()
	else
		scripts=() itest=(build/itest --suite "$only")
	fi
fi
if [ ${#itest[@]} -gt 0 ]; then
	pg_start >/dev/null || { echo "FAIL postgres-start"; exit 1; }
	export VIGIL_TEST_PG="$DATABASE_URL"
fi

if [ ${#itest[@]} -gt 0 ] && [ -x build/itest ]; then
	log="$VIGIL_TMP/itest.log"
	timeout 600 "${itest[@]}" >"$log" 2>&1
	rc=$?
	grep -E 'FAILED|^    [0-9]+\. |Run Summary|suites|tests |asserts' "$log"
	# one PASS/FAIL line per CUnit test
	grep -E '^  Test: ' "$log" | sed -E 's/^  Test: (.*) \.\.\.passed$/PASS \1/; s/^  Test: (.*) \.\.\.FAILED$/FAIL \1/' | grep -E '^(PASS|FAIL) '
	[ $rc -eq 0 ] || grep -q '^  Test: .*FAILED' "$log" || echo "FAIL itest-runner (exit $rc)"
fi

for t in "${scripts[@]}"; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	out="$VIGIL_TMP/$name.out"
	if timeout "${VIGIL_TEST_TIMEOUT:-300}" bash "$t" >"$out" 2>&1; then
		echo "PASS $name"
	else
		echo "FAIL $name"
		tail -40 "$out" | sed 's/^/    /'
	fi
done
