# Shell helpers for integration tests, the demo and benchmarks. Source it.
#   pg_start            throwaway PostgreSQL cluster; exports DATABASE_URL
#   pg_stop             stops and removes it (also run by the EXIT trap)
#   free_port           prints a free loopback TCP port
#   wait_port PORT [S]  waits until 127.0.0.1:PORT accepts connections
#   bg_start NAME CMD.. starts CMD in the background, logs to $VIGIL_TMP/NAME.log
#   bg_stop NAME        SIGTERM, then SIGKILL after 3 s
# Everything started here is stopped by vigil_cleanup, which the trap runs on
# exit, failure or Ctrl-C.

VIGIL_TMP=$(mktemp -d /tmp/vigil-test.XXXXXX)
chmod 755 "$VIGIL_TMP"
export VIGIL_TMP
declare -A VIGIL_BG_PIDS=()
VIGIL_PG_DIR=

vigil_cleanup() {
	local name
	for name in "${!VIGIL_BG_PIDS[@]}"; do bg_stop "$name"; done
	# servers started inside $(...) subshells leave NAME.pid files instead
	local f pid
	for f in "$VIGIL_TMP"/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null && sleep 0.1
		kill -KILL "$pid" 2>/dev/null || true
	done
	pg_stop
	[ -n "${VIGIL_KEEP_TMP:-}" ] || rm -rf "$VIGIL_TMP"
}
trap vigil_cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {
	local port=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "wait_port: nothing answers on 127.0.0.1:$port after ${secs}s" >&2
	return 1
}

bg_start() {
	local name=$1; shift
	"$@" >"$VIGIL_TMP/$name.log" 2>&1 &
	VIGIL_BG_PIDS[$name]=$!
}

bg_stop() {
	local name=$1 pid=${VIGIL_BG_PIDS[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "VIGIL_BG_PIDS[$name]"
}

# PostgreSQL refuses to run as root: run it as the `postgres` user then.
pg_run() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$bin" ] || { echo "pg_start: no PostgreSQL server installed" >&2; return 1; }
	VIGIL_PG_BIN=$bin
	VIGIL_PG_DIR=$(mktemp -d /tmp/vigil-pg.XXXXXX)
	[ "$(id -u)" -eq 0 ] && chown postgres: "$VIGIL_PG_DIR"
	VIGIL_PG_PORT=$(free_port)
	pg_run "$bin/initdb" -D "$VIGIL_PG_DIR/data" -U test -A trust -E UTF8 --no-locale --no-sync >"$VIGIL_TMP/initdb.log" 2>&1 ||
		{ cat "$VIGIL_TMP/initdb.log" >&2; return 1; }
	pg_ctl_start || return 1
	export VIGIL_PG_DIR VIGIL_PG_PORT VIGIL_PG_BIN
	export DATABASE_URL="host=127.0.0.1 port=$VIGIL_PG_PORT user=test dbname=postgres"
	echo "$DATABASE_URL"
}

pg_ctl_start() {
	pg_run "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -l "$VIGIL_PG_DIR/server.log" -w -t 30 \
		-o "-k $VIGIL_PG_DIR -p $VIGIL_PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null || { cat "$VIGIL_PG_DIR/server.log" >&2; return 1; }
}

# Stops the server but keeps the cluster (for "database goes away" tests).
pg_pause() {
	# The cluster runs with synchronous_commit=off: an immediate stop would
	# also lose commits the server already acknowledged (a journal row
	# written just before), which no client can defend against. Flush first.
	"$VIGIL_PG_BIN/psql" "$DATABASE_URL" -qc CHECKPOINT >/dev/null 2>&1 || true
	pg_run "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}
pg_resume() { pg_ctl_start; }

pg_stop() {
	[ -n "$VIGIL_PG_DIR" ] && [ -d "$VIGIL_PG_DIR" ] || return 0
	pg_run "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$VIGIL_PG_DIR"
	VIGIL_PG_DIR=
}
