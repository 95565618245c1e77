#!/usr/bin/env bash
# Fuzzing: tests/fuzz/run.sh SECONDS [TARGET...]
# Builds every tests/fuzz/fuzz_<name>.c with clang libFuzzer + ASan + UBSan
# (tests/fuzz/fuzz.mk, into build/fuzz/), replays the regression inputs of
# tests/fuzz/regress/<name>/, then fuzzes each target for SECONDS starting
# from a copy of tests/fuzz/corpus/<name>/ in build/fuzz/corpus-<name>/ (the
# repository's corpus is never modified; the copy grows across runs).
# Exits non-zero on any build failure, regression or crash, and prints the
# crashing input's path; turn it into a regression test with
#   cp build/fuzz/crashes/<name>/crash-... tests/fuzz/regress/<name>/
# Env: FUZZ_JOBS (targets fuzzed at once, default: number of CPUs),
#      FUZZ_KEEP_GOING=1 (keep fuzzing past crashes, report them all),
#      FUZZ_FRESH=1 (start from the repository's seeds, not the grown copy),
#      FUZZ_BUILD (default build/fuzz), FUZZ_CC (default clang).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
secs=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
B=${FUZZ_BUILD:-build/fuzz}
CC=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc)}

die() { echo "fuzz: $*" >&2; exit 1; }

# No clang or no libFuzzer runtime is a failure, never a skip.
command -v "$CC" >/dev/null || die "$CC not found (install clang and libclang-rt-14-dev: make deps)"
mkdir -p "$B"
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$B/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined -o "$B/probe" "$B/probe.c" >"$B/probe.log" 2>&1 ||
	{ cat "$B/probe.log" >&2; die "$CC cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"; }

if [ $# -gt 0 ]; then names=("$@"); else
	names=()
	for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); names+=("${n#fuzz_}"); done
fi
[ ${#names[@]} -gt 0 ] || die "no targets"

echo "== fuzz: building ${#names[@]} targets with $CC"
bins=()
for n in "${names[@]}"; do bins+=("$B/fuzz_$n"); done
make --no-print-directory -s -j"$(nproc)" -f tests/fuzz/fuzz.mk FUZZ_BUILD="$B" FUZZ_CC="$CC" \
	"${bins[@]}" || die "build failed"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0

# 1. Regressions: every input that ever crashed a target, each run once
# on its own so that every one still failing is listed.
for n in "${names[@]}"; do
	d=tests/fuzz/regress/$n
	[ -d "$d" ] || continue
	total=0 bad=0
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		total=$((total + 1))
		if ! "$B/fuzz_$n" -runs=1 "$f" >"$B/regress-$n.log" 2>&1 </dev/null; then
			[ $bad -eq 0 ] && echo "FAIL regress $n: an old crash is back"
			bad=$((bad + 1))
			echo "    $f:"
			grep -aE 'runtime error|FUZZ_CHECK|Assertion|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$B/regress-$n.log" | head -2 | sed 's/^/      /'
		fi
	done
	if [ $bad -gt 0 ]; then fail=1; elif [ $total -gt 0 ]; then echo "PASS regress $n ($total inputs)"; fi
done

# 2. Fuzz each target for SECONDS, up to $jobs at a time.
fuzz_one() { # $1 = name; prints one PASS/FAIL line (+ details)
	local n=$1
	local corp=$B/corpus-$n art=$B/crashes/$n log=$B/fuzz-$n.log dict=() more=()
	# FUZZ_FRESH=1 (make check): start from the repository's seeds only, so
	# the short run does not depend on what earlier long runs collected.
	if [ -n "${FUZZ_FRESH:-}" ]; then corp=$B/fresh-corpus-$n; rm -rf "$corp"; fi
	mkdir -p "$corp" "$art"
	[ -d "tests/fuzz/corpus/$n" ] && cp -n tests/fuzz/corpus/"$n"/* "$corp"/ 2>/dev/null
	[ -f "tests/fuzz/dict/$n.dict" ] && dict=(-dict="tests/fuzz/dict/$n.dict")
	# FUZZ_KEEP_GOING=1: do not stop at the first crash (a known, unfixed
	# bug would hide the next ones); every crashing input is kept.
	[ -n "${FUZZ_KEEP_GOING:-}" ] && more=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
	# FUZZ_SEED (make check sets it): the same mutation sequence every run
	[ -n "${FUZZ_SEED:-}" ] && more+=(-seed="$FUZZ_SEED")
	touch "$B/start-$n"
	"$B/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512 \
		-max_len=16384 -print_final_stats=1 "${dict[@]}" "${more[@]}" -artifact_prefix="$art/" "$corp" \
		>"$log" 2>&1 </dev/null
	local rc=$? execs crashes=()
	execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
	[ -n "$execs" ] || execs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	while IFS= read -r f; do crashes+=("$f"); done < <(find "$art" -type f -newer "$B/start-$n" | sort)
	rm -f "$B/start-$n"
	if [ $rc -eq 0 ] && [ ${#crashes[@]} -eq 0 ]; then
		echo "PASS fuzz $n (${secs}s, ${execs:-?} runs)"
		return 0
	fi
	echo "FAIL fuzz $n: ${#crashes[@]} crashing input(s) (log: $log)"
	for f in "${crashes[@]}"; do
		echo "    $f"
		"$B/fuzz_$n" -runs=1 "$f" 2>&1 </dev/null | grep -aE 'runtime error|FUZZ_CHECK|Assertion|ERROR: (Address|Leak)Sanitizer|in (bn|bb|xch|rec|sim|db|wd|alert)_' |
			head -3 | sed 's/^/      /'
	done
	[ ${#crashes[@]} -gt 0 ] || grep -aE 'ERROR|runtime error' "$log" | head -5 | sed 's/^/    /'
	echo "    keep each as a regression test: cp INPUT tests/fuzz/regress/$n/"
	return 1
}

running=0
for n in "${names[@]}"; do
	( fuzz_one "$n" >"$B/result-$n" ) &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
for n in "${names[@]}"; do
	cat "$B/result-$n"
	grep -q '^FAIL' "$B/result-$n" && fail=1
	rm -f "$B/result-$n"
done
exit $fail
