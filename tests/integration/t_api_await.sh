# The bot's query API ([api], watchdog/api.c) against vigil-sim, as a bot
# uses it:
# - the issue's test: REST lags the stream by 4 s (sim fault rest_lag);
#   the bot awaits its position, opens it, and `await` answers within
#   100 ms of the stream event (measured from the open step's return) with
#   the stream's size while REST still lists nothing (lagging / glitch);
# - never more optimistic than vigil's rules: REST [] (positions_empty)
#   under a live stream is a glitch, not flat; a dropped stream says so and
#   REST decides;
# - protection by vigil's own rule (what is missing, then the stop);
# - unhappy paths: timeout (200, timed_out true, each source's view), bad
#   JSON 400, unknown account 404, oversize body 413, wrong method 405;
# - access: the unix socket's mode and group are honoured (a user outside
#   the group is refused by the kernel), a stale socket is replaced, a
#   symlink at the path is refused and left alone, the socket is removed
#   on a clean stop; TCP needs the token (none / wrong = 401), from a 0600
#   file only, on loopback only;
# - the README's Python client example, run as written.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
SOCKDIR=$(mktemp -d /tmp/vigil-api.XXXXXX)
chmod 0711 "$SOCKDIR"
SOCK=$SOCKDIR/api.sock
cleanup_sockdir() { rm -rf "$SOCKDIR"; vigil_cleanup; }
trap cleanup_sockdir EXIT

# api(PATH [curl args]): GET/POST on the unix socket; prints body, then "HTTP nnn"
api() { local p=$1; shift; curl -sS --max-time 40 --unix-socket "$SOCK" -w '\nHTTP %{http_code}\n' "$@" "http://vigil$p"; }
status_of() { tail -1 <<<"$1" | sed 's/HTTP //'; }
body_of() { sed '$d' <<<"$1"; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

CONF=$VIGIL_TMP/api.conf
write_conf "$CONF" observe
cat >>"$CONF" <<CONF
[api]
listen = unix:$SOCK
socket_mode = 0660
socket_group = daemon
CONF
"$V" check-config "$CONF" >/dev/null || fail "check-config: $("$V" check-config "$CONF" 2>&1)"

# a stale socket left by a killed vigil is replaced
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$SOCK"
[ -S "$SOCK" ] || fail "could not make a stale socket"

start_vigil() {
	"$V" run -c "$1" >"$VIGIL_TMP/vigil.out" 2>"$VIGIL_TMP/vigil.log" &
	VIGIL_BG_PIDS[vigil]=$!
	VPID=$!
	wait_until 10 grep -q 'api on ' "$VIGIL_TMP/vigil.log" || fail "vigil did not start: $(cat "$VIGIL_TMP/vigil.log")"
	wait_until 10 grep -q 'stream connected' "$VIGIL_TMP/vigil.log" || fail "stream"
}
stop_vigil() {
	kill -TERM "$VPID"
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	wait "$VPID"; local rc=$?
	unset "VIGIL_BG_PIDS[vigil]"
	[ $rc -eq 0 ] || fail "vigil run exit $rc after SIGTERM"
}
start_vigil "$CONF"
grep -q 'replaced the stale socket' "$VIGIL_TMP/vigil.log" || fail "stale socket not reported replaced"
# mode and group as configured
[ "$(stat -c '%a %G' "$SOCK")" = "660 daemon" ] || fail "socket mode/group: $(stat -c '%a %G' "$SOCK")"
# a user in the group may connect, one outside it is refused by the kernel
setpriv --reuid=nobody --regid=daemon --clear-groups curl -sS --unix-socket "$SOCK" http://vigil/v1/accounts >/dev/null ||
	fail "a member of socket_group could not connect"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups curl -sS --unix-socket "$SOCK" http://vigil/v1/accounts 2>&1) &&
	fail "a user outside socket_group connected: $out"
grep -qi 'permission denied\|couldn.t connect' <<<"$out" || fail "unexpected refusal: $out"

r=$(api /v1/accounts); [ "$(status_of "$r")" = 200 ] || fail "accounts: $r"
body_of "$r" | jq_py 'a=d["accounts"]; assert [x["account"] for x in a]==["t-binance"], a; assert a[0]["stream"]["status"]=="fresh", a' ||
	fail "accounts body: $r"
wait_until 10 eval 'api /v1/accounts | sed "\$d" | jq_py "assert d[\"accounts\"][0][\"last_audit\"][\"audited\"]"' ||
	fail "no audit published"

# ---- the issue's test: REST lags 4 s; await answers from the stream ----
sim_post /_sim/fault '{"type":"rest_lag","exchange":"binance","ms":4000}' >/dev/null || fail "rest_lag fault"
python3 - "$SOCK" "$(sim_url)" "$([ "$VIGIL_T_TLS" = 1 ] && echo "$SIM_CA")" >"$VIGIL_TMP/await.json" <<'PY' || fail "await under REST lag: $(cat "$VIGIL_TMP/await.json")"
import http.client, json, socket, sys, threading, time, urllib.request
sock, sim, ca = sys.argv[1], sys.argv[2], sys.argv[3]
class U(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.settimeout(40); self.sock.connect(sock)
res = {}
def waiter():
    c = U("vigil"); c.request("POST", "/v1/accounts/t-binance/await",
        json.dumps({"symbol": "AVLUSDT", "side": "LONG", "size": 4000, "timeout_ms": 10000}))
    r = c.getresponse(); res["status"] = r.status; res["doc"] = json.loads(r.read()); res["t"] = time.monotonic()
t = threading.Thread(target=waiter); t.start()
time.sleep(0.4)                     # the await is waiting before the bot opens
step = {"op": "open", "exchange": "binance", "symbol": "AVLUSDT", "side": "BUY", "qty": "4000"}
t0 = time.monotonic()
import ssl
urllib.request.urlopen(urllib.request.Request(sim + "/_sim/step",
    data=json.dumps(step).encode(), method="POST"), timeout=5,
    context=ssl.create_default_context(cafile=ca) if ca else None).read()
t1 = time.monotonic()
t.join(15)
d = res["doc"]; p = d["position"]
lat = (res["t"] - t1) * 1000
print(json.dumps({"after_step_return_ms": round(lat, 2), "after_step_start_ms": round((res["t"] - t0) * 1000, 2),
                  "doc": d}))
assert res["status"] == 200, res
assert d["matched"] is True and d["timed_out"] is False and d["matched_by"] == "stream", d
assert p["state"] == "OPEN" and p["side"] == "LONG" and p["size"] == 4000 and p["from"] == "stream", p
assert p["sources"]["stream"]["authoritative"] is True, p
assert p["sources"]["rest"]["present"] is False, p            # REST still shows nothing
assert p["sources"]["rest"]["status"] in ("lagging", "glitch"), p
assert p["rule"] in ("rest_lag", "rest_glitch"), p
assert lat < 100, "await answered %.1f ms after the stream event's step returned" % lat
PY
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("await answered %.2f ms after the open step returned (%.2f ms after it started)" % (d["after_step_return_ms"], d["after_step_start_ms"]))' "$VIGIL_TMP/await.json"
# REST still lags: the position view says so, and is OPEN from the stream
r=$(api /v1/accounts/t-binance/positions/AVLUSDT)
body_of "$r" | jq_py 'p=d["positions"][0]; assert p["state"]=="OPEN" and p["from"]=="stream" and not p["sources"]["rest"]["present"] and p["sources"]["rest"]["status"] in ("lagging","glitch"), p' ||
	fail "positions under lag: $r"
# once REST caught up it agrees
wait_until 10 eval 'api /v1/accounts/t-binance/positions/AVLUSDT | sed "\$d" | jq_py "assert d[\"positions\"][0][\"sources\"][\"rest\"][\"status\"]==\"agrees\""' ||
	fail "REST never caught up: $(api /v1/accounts/t-binance/positions/AVLUSDT)"
sim_post /_sim/step '{"op":"clear_faults"}' >/dev/null

# ---- REST [] under a live stream: a glitch, never flat ----
sim_post /_sim/fault '{"type":"positions_empty","exchange":"binance"}' >/dev/null || fail "positions_empty"
glitch() { api /v1/accounts/t-binance/positions/AVLUSDT | sed '$d' | jq_py '
p=d["positions"][0]; assert p["state"]=="OPEN" and p["size"]==4000 and p["rule"]=="rest_glitch" and p["sources"]["rest"]["status"]=="glitch", p'; }
wait_until 10 glitch || fail "REST [] not reported as a glitch: $(api /v1/accounts/t-binance/positions/AVLUSDT)"
sim_post /_sim/step '{"op":"clear_faults"}' >/dev/null

# ---- protection by vigil's rule: missing, then the bot's stop covers ----
r=$(api /v1/accounts/t-binance/protection/AVLUSDT)
body_of "$r" | jq_py 'l=d["legs"][0]; assert l["missing"]["code"]=="UNPROTECTED_POSITION" and l["missing"]["stop_side"]=="SELL" and l["missing"]["uncovered_qty"]==4000, l' ||
	fail "protection before the stop: $r"
sim_post /_sim/step '{"op":"stop","exchange":"binance","symbol":"AVLUSDT","trigger":"0.2"}' >/dev/null || fail "stop step"
covered() { api /v1/accounts/t-binance/protection/AVLUSDT | sed '$d' | jq_py '
l=d["legs"][0]; assert l["missing"] is None and l["coverage"]["covered"] and l["coverage"]["full"], l
o=[x for x in l["orders"] if x["protects"]=="YES"]; assert len(o)==1 and o[0]["role"]=="stop" and o[0]["order_side"]=="SELL", l'; }
wait_until 10 covered || fail "protection after the stop: $(api /v1/accounts/t-binance/protection/AVLUSDT)"

# ---- unhappy paths ----
t0=$(date +%s%N)
r=$(api /v1/accounts/t-binance/await -X POST --data-binary '{"symbol":"BTCUSDT","side":"SHORT","size":1,"timeout_ms":600}')
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(status_of "$r")" = 200 ] || fail "timeout status: $r"
body_of "$r" | jq_py 'assert d["matched"] is False and d["timed_out"] is True and d["waited_ms"]>=600, d
s=d["position"]["sources"]; assert set(s)=={"stream","rest","db"} and s["stream"]["status"]=="fresh" and s["rest"]["ok"], s' ||
	fail "timeout body: $r"
[ "$ms" -ge 600 ] && [ "$ms" -lt 2000 ] || fail "timeout answered after $ms ms"
r=$(api /v1/accounts/t-binance/await -X POST --data-binary '{"symbol":"BTCUSDT",'); [ "$(status_of "$r")" = 400 ] || fail "bad JSON: $r"
r=$(api /v1/accounts/t-binance/await -X POST --data-binary '{"symbol":"BTCUSDT","side":"UP","size":1,"timeout_ms":5}')
[ "$(status_of "$r")" = 400 ] || fail "bad side: $r"
r=$(api /v1/accounts/t-binance/await -X POST --data-binary '{"symbol":"BTCUSDT","side":"LONG","size":1,"timeout_ms":30001}')
[ "$(status_of "$r")" = 400 ] || fail "timeout over 30 s: $r"
r=$(api /v1/accounts/nosuch/positions); [ "$(status_of "$r")" = 404 ] || fail "unknown account: $r"
r=$(api /v1/accounts/nosuch/await -X POST --data-binary '{}'); [ "$(status_of "$r")" = 404 ] || fail "unknown account await: $r"
r=$(api /v1/nothing); [ "$(status_of "$r")" = 404 ] || fail "unknown path: $r"
r=$(api /v1/accounts/t-binance/positions -X POST --data-binary '{}'); [ "$(status_of "$r")" = 405 ] || fail "POST positions: $r"
r=$(api /v1/accounts/t-binance/await); [ "$(status_of "$r")" = 405 ] || fail "GET await: $r"
head -c 5000 /dev/zero | tr '\0' ' ' >"$VIGIL_TMP/big.json"
r=$(api /v1/accounts/t-binance/await -X POST --data-binary @"$VIGIL_TMP/big.json"); [ "$(status_of "$r")" = 413 ] || fail "oversize: $r"
r=$(api /v1/accounts/t-binance/await -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$VIGIL_TMP/big.json")
[ "$(status_of "$r")" = 413 ] || fail "oversize chunked: $r"
# a client that sends half a request and stops is cut off after 2 s
python3 - "$SOCK" <<'PY' || fail "a silent client was not cut off"
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(6)
s.sendall(b"GET /v1/accounts HTTP/1.1\r\nHost: x\r\n")
t = time.monotonic(); data = s.recv(100)
assert not data or b"408" in data or b"400" in data, data
assert time.monotonic() - t < 5, time.monotonic() - t
PY

# ---- the README's client example, as written ----
sed -n '/^<!-- api-client-example -->$/,/^```$/p' README.md | sed '1,2d;$d' >"$VIGIL_TMP/vigil_client.py"
[ "$(wc -l <"$VIGIL_TMP/vigil_client.py")" -gt 10 ] || fail "README client example not found"
[ "$(wc -l <"$VIGIL_TMP/vigil_client.py")" -lt 30 ] || fail "README client example is $(wc -l <"$VIGIL_TMP/vigil_client.py") lines"
(sleep 0.5; sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"KAVAUSDT","side":"SELL","qty":"50"}' >/dev/null) &
OPENER=$!
out=$(VIGIL_API=$SOCK timeout 20 python3 "$VIGIL_TMP/vigil_client.py" t-binance KAVAUSDT SHORT 50) || fail "README client: $out"
wait "$OPENER"
grep -q '^opened OPEN 50' <<<"$out" || fail "README client printed: $out"

# ---- a stream that drops says so; REST decides ----
sim_post /_sim/fault '{"type":"ws_disconnect","exchange":"binance","until_ms":4000}' >/dev/null || fail "ws_disconnect"
down() { api /v1/accounts/t-binance/positions/KAVAUSDT | sed '$d' | jq_py '
p=d["positions"][0]; assert d["stream"]["status"] in ("down","connecting") and p["rule"]=="rest_truth" and not p["sources"]["stream"]["authoritative"], p'; }
wait_until 5 down || fail "dropped stream: $(api /v1/accounts/t-binance/positions/KAVAUSDT)"
wait_until 15 grep -c 'stream connected' "$VIGIL_TMP/vigil.log" >/dev/null

stop_vigil
[ ! -e "$SOCK" ] || fail "socket left after a clean stop"

# ---- a symlink at the path is refused and left alone ----
ln -s "$VIGIL_TMP/elsewhere" "$SOCK"
"$V" run -c "$CONF" >/dev/null 2>"$VIGIL_TMP/vigil-link.log"; rc=$?
[ $rc = 69 ] || fail "run with a symlink at the socket path: exit $rc: $(cat "$VIGIL_TMP/vigil-link.log")"
grep -q 'not a socket (a symlink)' "$VIGIL_TMP/vigil-link.log" || fail "symlink message: $(cat "$VIGIL_TMP/vigil-link.log")"
[ -L "$SOCK" ] || fail "the symlink was removed"
rm -f "$SOCK"

# ---- TCP on loopback: the bearer token is required ----
TOKEN=vgl-api-token-5f2e9a71c3d04b68
printf '%s\n' "$TOKEN" >"$VIGIL_TMP/api.token"; chmod 600 "$VIGIL_TMP/api.token"
CONF2=$VIGIL_TMP/api-tcp.conf
write_conf "$CONF2" observe
printf '[api]\nlisten = 127.0.0.1:0\n' >>"$CONF2"
"$V" check-config "$CONF2" >/dev/null 2>&1; rc=$?; [ $rc = 78 ] || fail "TCP without token_file: exit $rc"
printf 'token_file = %s\n' "$VIGIL_TMP/api.token" >>"$CONF2"
chmod 644 "$VIGIL_TMP/api.token"
"$V" check-config "$CONF2" >/dev/null 2>&1; rc=$?; [ $rc = 78 ] || fail "world-readable token file: exit $rc"
chmod 600 "$VIGIL_TMP/api.token"
write_conf "$VIGIL_TMP/api-remote.conf" observe
printf '[api]\nlisten = 0.0.0.0:0\ntoken_file = %s\n' "$VIGIL_TMP/api.token" >>"$VIGIL_TMP/api-remote.conf"
"$V" check-config "$VIGIL_TMP/api-remote.conf" >/dev/null 2>&1; rc=$?; [ $rc = 78 ] || fail "non-loopback listen: exit $rc"
start_vigil "$CONF2"
APORT=$(sed -n 's|.*api on http://127.0.0.1:\([0-9]*\).*|\1|p' "$VIGIL_TMP/vigil.log" | head -1)
[ -n "$APORT" ] || fail "no api port in the log"
code() { curl -sS -o /dev/null -w '%{http_code}' "$@" "http://127.0.0.1:$APORT/v1/accounts"; }
[ "$(code)" = 401 ] || fail "no token: $(code)"
[ "$(code -H "Authorization: Bearer wrong-token-0000000000")" = 401 ] || fail "wrong token"
[ "$(code -H "Authorization: Bearer ${TOKEN}x")" = 401 ] || fail "longer token"
[ "$(code -H "Authorization: Bearer ${TOKEN:0:10}")" = 401 ] || fail "token prefix"
[ "$(code -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "right token"
# a 401 is given before any body is read
r=$(curl -sS -w ' %{http_code}' -X POST --data-binary @"$VIGIL_TMP/big.json" "http://127.0.0.1:$APORT/v1/accounts/t-binance/await")
[ "${r##* }" = 401 ] || fail "unauthenticated POST: $r"
stop_vigil
! grep -qF "$TOKEN" "$VIGIL_TMP"/vigil.log "$VIGIL_TMP"/vigil.out || fail "the token reached the log"
echo ok
