# The throwaway PostgreSQL helper leaves no process and no temp dir behind,
# after a passing run, a failing run and an interrupted one.
set -uo pipefail
cd "$(dirname "$0")/../.."
probe() { # $1 = how the child ends: ok | fail | int
	bash -c '
		. tests/lib.sh
		pg_start >/dev/null || exit 9
		echo "$VIGIL_PG_DIR"
		psql "$DATABASE_URL" -Atc "select 1" >/dev/null || exit 8
		case "$1" in ok) exit 0;; fail) false; exit 1;; int) kill -INT $$; sleep 5;; esac
	' probe "$1"
}
for how in ok fail int; do
	dir=$(probe $how | head -1)
	[ -n "$dir" ] || { echo "$how: no cluster started"; exit 1; }
	sleep 0.3
	[ ! -e "$dir" ] || { echo "$how: $dir left behind"; exit 1; }
	if pgrep -f -- "-D $dir/data" >/dev/null; then echo "$how: postgres still running"; exit 1; fi
done
echo ok
