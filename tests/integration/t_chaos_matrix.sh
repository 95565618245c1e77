# Fault matrix (tests/chaos/): the seed incidents and orphan / unprotected /
# crossed-stop rows against vigil-sim faults, a database restart and vigil
# restarts, asserted from vigil-sim's state and the fake alert receivers.
# make check runs the reduced matrix (every row and every column at least
# once); VIGIL_CHAOS_FULL=1 (make chaos) runs every cell. The table is also
# left in $VIGIL_BUILD/chaos/matrix.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${VIGIL_BUILD:-build}
pg_start >/dev/null || { echo "FAIL: postgres" >&2; exit 1; }
args=()
if [ "${VIGIL_CHAOS_FULL:-}" = 1 ]; then
	# run.sh gives each script VIGIL_TEST_TIMEOUT (300 s default): more
	# cells at once keep the full matrix inside it
	args=(--full --jobs "${VIGIL_CHAOS_JOBS:-6}")
else
	args=(--jobs "${VIGIL_CHAOS_JOBS:-4}")
fi
mkdir -p "$B/chaos"
VIGIL_BUILD=$B python3 tests/chaos/chaos.py "${args[@]}" 2>&1 | tee "$B/chaos/matrix.txt"
exit "${PIPESTATUS[0]}"
