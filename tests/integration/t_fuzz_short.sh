# Short fuzz run for make check: builds every libFuzzer target
# (tests/fuzz/fuzz_*.c, clang + ASan + UBSan), replays every regression
# input in tests/fuzz/regress/, then fuzzes each target for a few seconds
# (FUZZ_SHORT_SECONDS, default 3; two targets at a time). Missing clang or
# libFuzzer runtime is a failure, not a skip. Any crash fails the test and
# names the crashing input.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
secs=${FUZZ_SHORT_SECONDS:-3}
start=$SECONDS
out=$VIGIL_TMP/fuzz.out
FUZZ_FRESH=1 FUZZ_SEED=${FUZZ_SEED:-1} tests/fuzz/run.sh "$secs" >"$out" 2>&1
rc=$?
grep -vE '^  (CC|LINK)\(fuzz\)' "$out"
ntargets=$(ls tests/fuzz/fuzz_*.c | wc -l)
echo "t_fuzz_short: $ntargets targets, ${secs}s each, $((SECONDS - start))s total, run.sh exit $rc"
exit $rc
