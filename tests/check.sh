#!/usr/bin/env bash
# make check, after the build: unit tests, the same under ASan+UBSan, then the
# integration tests. Prints each runner's summary and one closing line
# "N passed, N failed" for the whole run. Exits non-zero on any failure.
# tests/check.sh NAME (make check T=NAME) runs one thing alone: the
# integration script tests/integration/NAME.sh (NAME = t_...), else the unit
# suite NAME, else the itest suite NAME (both by exact suite name).
set -uo pipefail
cd "$(dirname "$0")/.."
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

run_unit() { # $1 = label, $2... = runner and its arguments
	local log; log=$(mktemp)
	echo "== $1"
	"${@:2}" >"$log" 2>&1
	local rc=$?
	grep -E 'FAILED|^    [0-9]+\. |Run Summary|suites|tests |asserts|Elapsed' "$log"
	count "$log"
	[ $rc -eq 0 ] || { echo "$1: runner exited $rc"; grep -E 'ERROR|runtime error|Sanitizer' "$log" | head -20; [ $failed -gt 0 ] || failed=$((failed + 1)); }
	rm -f "$log"
}

run_integration() { # $@ = arguments of tests/integration/run.sh
	local ilog; ilog=$(mktemp)
	tests/integration/run.sh "$@" 2>&1 | tee "$ilog"
	local ip ifl
	ip=$(grep -cE '^PASS ' "$ilog"); ifl=$(grep -cE '^FAIL ' "$ilog")
	passed=$((passed + ip)); failed=$((failed + ifl))
	[ $((ip + ifl)) -gt 0 ] || failed=$((failed + 1))
	rm -f "$ilog"
}

summary() {
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

if [ $# -gt 0 ]; then
	t=$1
	if [ -f "tests/integration/$t.sh" ]; then
		echo "== integration script $t"
		run_integration "$t"
	elif build/unit-tests --list | grep -qxF -- "$t"; then
		run_unit "unit suite $t" build/unit-tests --suite "$t"
	elif build/itest --list 2>/dev/null | grep -qxF -- "$t"; then
		echo "== itest suite $t"
		run_integration "$t"
	else
		echo "check: no integration script tests/integration/$t.sh, unit suite or itest suite named '$t'" >&2
		echo "  unit suites: $(build/unit-tests --list | tr '\n' ' ')" >&2
		[ -x build/itest ] && echo "  itest suites: $(build/itest --list | tr '\n' ' ')" >&2
		exit 2
	fi
	summary
	exit
fi

run_unit "unit tests" build/unit-tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_unit "unit tests (ASan+UBSan)" build/san/unit-tests

echo "== integration tests"
run_integration

summary
