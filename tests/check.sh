#!/usr/bin/env bash
# make check, after the build: unit tests, the same under ASan+UBSan, then the
# integration tests. Prints each runner's summary and one closing line
# "N passed, N failed" for the whole run. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export VIGIL_FIXTURES=${VIGIL_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
passed=0 failed=0

count() { # $1 = log of a CUnit runner
	local line
	line=$(grep -E '^vigil-tests: ran=' "$1" | tail -1)
	if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
	local p f
	p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")
	passed=$((passed + p)); failed=$((failed + f))
}

run_unit() { # $1 = label, $2 = binary
	local log; log=$(mktemp)
	echo "== $1"
	"$2" >"$log" 2>&1
	local rc=$?
	grep -E 'FAILED|^    [0-9]+\. |Run Summary|suites|tests |asserts|Elapsed' "$log"
	count "$log"
	[ $rc -eq 0 ] || { echo "$1: runner exited $rc"; grep -E 'ERROR|runtime error|Sanitizer' "$log" | head -20; [ $failed -gt 0 ] || failed=$((failed + 1)); }
	rm -f "$log"
}

run_unit "unit tests" build/unit-tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_unit "unit tests (ASan+UBSan)" build/san/unit-tests

echo "== integration tests"
ilog=$(mktemp)
tests/integration/run.sh 2>&1 | tee "$ilog"
ip=$(grep -cE '^PASS ' "$ilog"); ifl=$(grep -cE '^FAIL ' "$ilog")
passed=$((passed + ip)); failed=$((failed + ifl))
rm -f "$ilog"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
