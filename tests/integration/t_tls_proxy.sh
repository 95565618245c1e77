# [account] proxy = http://HOST:PORT (issue 21): REST and the stream both go
# through a local HTTP CONNECT proxy (tests/support/connect_proxy.py, which
# logs every tunnel and the User-Agent of its CONNECT: libcurl sends vigil's,
# libwebsockets "lws"), TLS end to end to vigil-sim --tls-dir.
# 1. vigil audit via the proxy: OK, and the proxy carried tunnels of both
#    kinds to the sim's port and nothing else; vigil run via the proxy sees a
#    stream event (the stream's view of a new position).
# 2. The proxy down: audit exits 3 and names the connection failure.
# 3. Config: userinfo (never echoed), socks5h:// (lws here has no SOCKS5),
#    socks5:// / https://, no port, a path, and a remote proxy with plain
#    exchange URLs are errors (78, file:line); a remote http:// proxy with
#    https:// / wss:// URLs is fine.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
VIGIL_T_TLS=1

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
PLOG=$VIGIL_TMP/proxy.jsonl
PPORT=$(start_port proxy python3 tests/support/connect_proxy.py --port 0 --log "$PLOG"); [ -n "$PPORT" ] || fail "proxy"

# ---- 1. through the proxy ----
CONF=$VIGIL_TMP/p.conf
ACCOUNT_EXTRA="proxy = http://127.0.0.1:$PPORT" GRACE=0s write_conf "$CONF" observe
"$V" audit -c "$CONF" --listen 1s >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"; rc=$?
[ $rc = 0 ] || fail "audit via the proxy: want 0, got $rc: $(cat "$VIGIL_TMP/audit.out" "$VIGIL_TMP/audit.err")"
grep -q STREAM_DOWN "$VIGIL_TMP/audit.out" && fail "stream down via the proxy: $(cat "$VIGIL_TMP/audit.out")"
tunnels() { # AGENT: tunnels opened with that User-Agent
	python3 - "$PLOG" "$1" "127.0.0.1:$SIM_PORT" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert not any("refused" in r for r in recs), recs
assert all(r["target"] == sys.argv[3] for r in recs), recs
print(sum(1 for r in recs if r.get("open") and r["agent"].startswith(sys.argv[2])))
PY
}
[ "$(tunnels vigil/)" -ge 1 ] || fail "no REST tunnel through the proxy: $(cat "$PLOG")"
[ "$(tunnels lws)" -ge 1 ] || fail "no stream tunnel through the proxy: $(cat "$PLOG")"

AUDIT_INTERVAL=1h ACCOUNT_EXTRA="proxy = http://127.0.0.1:$PPORT" GRACE=0s write_conf "$VIGIL_TMP/run.conf" observe
before=$(tunnels lws)
"$V" run -c "$VIGIL_TMP/run.conf" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
VIGIL_BG_PIDS[vigil]=$!
wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream via the proxy: $(cat "$VIGIL_TMP/vigil.log")"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open"
wait_until 10 grep -q 'UNPROTECTED_POSITION LTCUSDT *stream: LONG 1' "$VIGIL_TMP/vigil.out" ||
	fail "no stream event via the proxy: $(tail -20 "$VIGIL_TMP/vigil.out")"
bg_stop vigil
[ "$(tunnels lws)" -gt "$before" ] || fail "the daemon's stream did not use the proxy: $(cat "$PLOG")"
sim_post /_sim/reset '{}' >/dev/null

# ---- 2. the proxy down ----
ACCOUNT_EXTRA="proxy = http://127.0.0.1:$(free_port)" write_conf "$VIGIL_TMP/down.conf" observe
"$V" audit -c "$VIGIL_TMP/down.conf" --listen 0s >"$VIGIL_TMP/audit.out" 2>&1; rc=$?
[ $rc = 3 ] || fail "proxy down: want 3, got $rc: $(cat "$VIGIL_TMP/audit.out")"
head -1 "$VIGIL_TMP/audit.out" | grep -qi "couldn't connect" || fail "proxy down not explained: $(head -1 "$VIGIL_TMP/audit.out")"

# ---- 3. config ----
refused() { # PROXY PATTERN [URLS=plain]
	local line out rc
	if [ "${3:-}" = plain ]; then VIGIL_T_TLS=0 ACCOUNT_EXTRA="proxy = $1" write_conf "$VIGIL_TMP/c.conf" observe
	else ACCOUNT_EXTRA="proxy = $1" write_conf "$VIGIL_TMP/c.conf" observe; fi
	line=$(grep -n '^proxy = ' "$VIGIL_TMP/c.conf" | cut -d: -f1)
	out=$("$V" check-config "$VIGIL_TMP/c.conf" 2>&1); rc=$?
	[ $rc = 78 ] || fail "proxy $1: want 78, got $rc: $out"
	grep -q "c.conf:$line: \[account t-binance\] proxy: .*$2" <<<"$out" || fail "proxy $1: want line $line and '$2': $out"
}
refused "http://user:VGLSECRETproxypw@127.0.0.1:3128" "a proxy that needs a login is not supported"
out=$("$V" check-config "$VIGIL_TMP/c.conf" 2>&1)
grep -q VGLSECRETproxypw <<<"$out" && fail "the proxy password was echoed: $out"
refused "socks5h://127.0.0.1:1080" "without SOCKS5"
refused "socks5://127.0.0.1:1080" "must be http://HOST:PORT"
refused "https://127.0.0.1:3128" "must be http://HOST:PORT"
refused "http://127.0.0.1" "no port"
refused "http://127.0.0.1:3128/x" "has a path"
refused "http://127.0.0.1:3128#f" "fragment"
refused "http://proxy.example.test:3128" "needs https:// and wss://" plain
ACCOUNT_EXTRA="proxy = http://proxy.example.test:3128" write_conf "$VIGIL_TMP/c.conf" observe
"$V" check-config "$VIGIL_TMP/c.conf" >/dev/null 2>&1 || fail "a remote CONNECT proxy with TLS URLs: $("$V" check-config "$VIGIL_TMP/c.conf" 2>&1)"
echo ok
