# Sharding (sql/db_shard.h): three `vigil run` instances (a, b, c) share one
# PostgreSQL and 30 Binance accounts on one vigil-sim (one API key per
# account), audit_interval 500 ms. They split the accounts 10 / 10 / 10;
# c is SIGKILLed and a and b take its accounts over (15 / 15). From the
# sim's request log per account and from vigil's audit_runs rows it checks:
# every account's listing requests kept coming (largest gap between two
# positionRisk calls <= 2 x audit_interval + 1 s, the kill included), no
# account was audited by two instances at once (never A, B, A within
# 2 x audit_interval), the accounts that moved did so once, after the kill,
# after the split no stream was opened but by a new holder (one listenKey
# for each of c's accounts, none for the others), and the fake Telegram got exactly one alert per unprotected position
# (three, two of them on c's accounts, alerted again by nobody after the
# takeover).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

N=30
IV_MS=500
pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$VIGIL_PG_BIN/psql
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql >/dev/null || fail "bot schema"
acct_args=()
for ((k = 1; k <= N; k++)); do
	id=$(printf '%02d' "$k")
	acct_args+=(--account "binance:key$id:secret$id")
	export "VIGIL_SK$id=key$id" "VIGIL_SS$id=secret$id"
done
SIM_PORT=$(sim_start "${acct_args[@]}"); [ -n "$SIM_PORT" ] || fail "vigil-sim"
TG_PORT=$(start_port tg python3 tests/support/fake_telegram.py --port 0 --log "$VIGIL_TMP/tg.jsonl" --token 123:shard-token)
[ -n "$TG_PORT" ] || fail "fake telegram"
export VIGIL_T_TG_TOKEN=123:shard-token

conf() { # conf INSTANCE
	{
		echo "[vigil]"
		echo "log_level = info"
		echo "audit_interval = ${IV_MS}ms"
		echo "audit_debounce = 50ms"
		echo "metrics_listen = 127.0.0.1:0"
		echo "instance = $1"
		echo "spool_dir = $VIGIL_TMP/spool-$1"
		sim_ca_line
		echo "[database]"
		echo "enabled = true"
		echo "dsn = $DB_DSN"
		echo "[alerts]"
		echo "repeat_interval = 1h"
		echo "warning_hold = 0s"
		echo "[alerts.telegram]"
		echo "enabled = true"
		echo "api_url = http://127.0.0.1:$TG_PORT"
		echo "token_env = VIGIL_T_TG_TOKEN"
		echo "chat_ids = 42"
		echo "min_severity = critical"
		for ((k = 1; k <= N; k++)); do
			id=$(printf '%02d' "$k")
			echo "[account s$id]"
			echo "exchange = binance"
			echo "rest_url = $(sim_url)"
			echo "ws_url = $(sim_ws_url)"
			echo "api_key_env = VIGIL_SK$id"
			echo "api_secret_env = VIGIL_SS$id"
			echo "mode = observe"
			echo "grace_open = 1s"
			echo "grace_order = 1s"
			echo "connect_timeout = 1s"
			echo "request_timeout = 2s"
			echo "request_limit = 100000000"
		done
	} >"$VIGIL_TMP/$1.conf"
}
for i in a b c; do conf $i; done
"$V" db migrate -c "$VIGIL_TMP/a.conf" >/dev/null || fail "migrate"

now_ms() { date +%s%3N; }
held_by() { # held_by INSTANCE: accounts it holds (pg_locks, the truth)
	"$PSQL" "$DB_DSN" -Atc "SELECT count(*) FROM pg_locks l JOIN vigil.instances i ON i.backend_pid = l.pid
		WHERE l.locktype = 'advisory' AND l.classid = ($((0x76676c03))::int4)::oid AND l.granted AND i.instance = '$1'"
}
split_is() { # split_is A B C (expected counts of a, b, c)
	[ "$(held_by a)" = "$1" ] && [ "$(held_by b)" = "$2" ] && [ "$(held_by c)" = "$3" ]
}
T0=$(now_ms)
for i in a b c; do
	"$V" run -c "$VIGIL_TMP/$i.conf" >"$VIGIL_TMP/$i.out" 2>"$VIGIL_TMP/$i.log" &
	VIGIL_BG_PIDS[$i]=$!
done
wait_until 20 split_is 10 10 10 || fail "no 10/10/10 split: a=$(held_by a) b=$(held_by b) c=$(held_by c)"
# and every held account's stream up: the stream hub opens them one
# listenKey POST at a time per worker, so the last ones may trail the claim
connected() { cat "$VIGIL_TMP"/[abc].log | grep -c 'stream connected'; }
settled() { # no new stream for 1 s, at least one per account
	local n; n=$(connected); sleep 1; [ "$n" -ge 30 ] && [ "$(connected)" = "$n" ]
}
wait_until 20 settled || fail "streams did not settle: $(connected) connections"
split_is 10 10 10 || fail "the split moved while streams came up: a=$(held_by a) b=$(held_by b) c=$(held_by c)"
T_SPLIT=$(now_ms)
echo "split 10/10/10 after $((T_SPLIT - T0)) ms"

# unprotected positions: two on accounts c holds, one on a's
owner_of() { # the account names an instance holds, one a line
	"$PSQL" "$DB_DSN" -Atc "SELECT l.objid::int8 FROM pg_locks l JOIN vigil.instances i ON i.backend_pid = l.pid
		WHERE l.locktype = 'advisory' AND l.classid = ($((0x76676c03))::int4)::oid AND l.granted AND i.instance = '$1'"
}
# account name of a lock key: the same FNV-1a as db_shard_key
keyname() {
	python3 - "$@" <<'EOF'
import sys
def fnv(s):
    h = 2166136261
    for ch in s.encode():
        h = ((h ^ ch) * 16777619) & 0xffffffff
    return h
names = {fnv("s%02d" % k): "s%02d" % k for k in range(1, 31)}
for v in sys.argv[1:]:
    print(names[int(v) & 0xffffffff])
EOF
}
mapfile -t C_ACCTS < <(keyname $(owner_of c) | sort)
mapfile -t A_ACCTS < <(keyname $(owner_of a) | sort)
[ "${#C_ACCTS[@]}" = 10 ] && [ "${#A_ACCTS[@]}" = 10 ] || fail "account names of the holders"
POS=("${C_ACCTS[0]}" "${C_ACCTS[1]}" "${A_ACCTS[0]}")
for acc in "${POS[@]}"; do
	sim_post /_sim/step "{\"op\":\"open\",\"account\":\"key${acc#s}\",\"symbol\":\"LTCUSDT\",\"side\":\"BUY\",\"qty\":\"1\"}" >/dev/null ||
		fail "open on $acc"
done
ntg() { python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if "sendMessage" in json.loads(l)["path"] and json.loads(l)["status"] == 200))' "$VIGIL_TMP/tg.jsonl" 2>/dev/null || echo 0; }
wait_until 15 eval 'test "$(ntg)" -ge 3' || fail "the three positions were not alerted: $(ntg)"
sleep 1

T_KILL=$(now_ms)
kill -KILL "${VIGIL_BG_PIDS[c]}"
wait "${VIGIL_BG_PIDS[c]}" 2>/dev/null
unset "VIGIL_BG_PIDS[c]"
wait_until 10 eval 'test "$(held_by a)" = 15 && test "$(held_by b)" = 15' ||
	fail "no 15/15 after the kill: a=$(held_by a) b=$(held_by b)"
T_15=$(now_ms)
echo "15/15 $((T_15 - T_KILL)) ms after the SIGKILL"
sleep 4 # the survivors audit on; the moved findings must not alert again
T_END=$(now_ms)
bg_stop a
bg_stop b

"$PSQL" "$DB_DSN" -AtF' ' -c "SELECT account, instance, (extract(epoch FROM started_at) * 1000)::int8
	FROM vigil.audit_runs ORDER BY account, started_at" >"$VIGIL_TMP/runs.txt" || fail "audit_runs"
for ((k = 1; k <= N; k++)); do
	id=$(printf '%02d' "$k")
	sim_curl -fsS "$(sim_url)/_sim/log?account=key$id" >"$VIGIL_TMP/log-s$id.json" || fail "sim log"
	sim_curl -fsS "$(sim_url)/_sim/counters?account=key$id" >"$VIGIL_TMP/counters-s$id.json" || fail "counters"
done
python3 - "$VIGIL_TMP" "$T_SPLIT" "$T_KILL" "$T_END" "$IV_MS" "${C_ACCTS[*]}" "${POS[*]}" <<'EOF' || fail "measurements"
import collections, json, sys
tmp, t_split, t_kill, t_end, iv = sys.argv[1], *map(int, sys.argv[2:6])
c_accts, pos = set(sys.argv[6].split()), sys.argv[7].split()
bad = []
# 1. every account audited throughout: gaps between listing calls (sim log)
worst, worst_moved = 0, 0
streams, early = {}, {}
for k in range(1, 31):
    a = "s%02d" % k
    log = json.load(open("%s/log-%s.json" % (tmp, a)))
    ts = sorted(e["t"] for e in log if e["path"].endswith("/positionRisk") and t_split <= e["t"] <= t_end)
    if len(ts) < 10:
        bad.append("%s: only %d listings" % (a, len(ts)))
        continue
    gaps = [y - x for x, y in zip(ts, ts[1:])] + [ts[0] - t_split, t_end - ts[-1]]
    g = max(gaps)
    worst = max(worst, g)
    if a in c_accts:
        worst_moved = max(worst_moved, g)
    if g > 2 * iv + 1000:
        bad.append("%s: listing gap %d ms" % (a, g))
    # streams: only the holder opens one (a listenKey per stream start):
    # after the split none for an account that stayed, one for c's
    lk = sum(1 for e in log if e["path"] == "/fapi/v1/listenKey" and e["method"] == "POST" and t_split <= e["t"] <= t_end)
    streams[a] = lk
    if lk != (1 if a in c_accts else 0):
        bad.append("%s: %d streams opened after the split" % (a, lk))
    early[a] = sum(1 for e in log if e["path"] == "/fapi/v1/listenKey" and e["method"] == "POST" and e["t"] < t_split)
    cnt = json.load(open("%s/counters-%s.json" % (tmp, a)))
    if cnt["total"] <= 0:
        bad.append("%s: no requests counted" % a)
print("streams opened per account before the split (start-up churn): %s, after it: %s" % (
    sorted(collections.Counter(early.values()).items()), sorted(collections.Counter(streams.values()).items())))
print("largest gap between listings: %d ms (moved accounts %d ms; limit %d)" % (worst, worst_moved, 2 * iv + 1000))
# 2. one instance at a time, from audit_runs (after the split)
runs = collections.defaultdict(list)
for line in open(tmp + "/runs.txt"):
    acct, inst, t = line.split()
    runs[acct].append((int(t), inst))
takeover = []
for a, rs in runs.items():
    rs = [r for r in rs if t_split <= r[0] <= t_end]  # not the stop at the end
    for (t1, i1), (t2, i2), (t3, i3) in zip(rs, rs[1:], rs[2:]):
        if i1 == i3 and i2 != i1 and t3 - t1 < 2 * iv:
            bad.append("%s audited by %s and %s at once (%d..%d)" % (a, i1, i2, t1, t3))
    insts = [i for _, i in rs]
    switches = [(rs[j][0], insts[j], insts[j + 1]) for j in range(len(insts) - 1) if insts[j] != insts[j + 1]]
    if a in c_accts:
        if len(switches) != 1 or switches[0][1] != "c" or switches[0][0] > t_kill:
            bad.append("%s (c's): moves %s" % (a, switches))
        else:
            last_c = max(t for t, i in rs if i == "c")
            first_new = min(t for t, i in rs if i != "c")
            takeover.append(first_new - last_c)
    elif switches:
        bad.append("%s moved though its holder lived: %s" % (a, switches))
if takeover:
    print("takeover of c's 10 accounts: last audit by c to first by the survivor %d..%d ms" % (min(takeover), max(takeover)))
# 3. one alert per position across instances
msgs = [json.loads(l) for l in open(tmp + "/tg.jsonl")]
sent = [m for m in msgs if "sendMessage" in m["path"] and m["status"] == 200]
per = collections.Counter()
for m in sent:
    text = m["body"].get("text", "")
    for a in pos:
        if "(%s)" % a in text or " %s " % a in text or (a + ":") in text:
            per[a] += 1
print("telegram messages: %d; per position account: %s" % (len(sent), dict(per)))
if len(sent) != 3 or any(per[a] != 1 for a in pos):
    bad.append("alerts: %d sent, per account %s (want one each for %s)" % (len(sent), dict(per), pos))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
for i in a b c; do
	grep -q 'holding 10 of 30 accounts' "$VIGIL_TMP/$i.log" || fail "$i never said it holds 10"
done
grep -q 'holding 15 of 30 accounts' "$VIGIL_TMP/a.log" || fail "a never said it holds 15"
echo ok
