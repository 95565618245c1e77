# What protects a position, and whose orders are whose (reconcile/PROTECTION.md),
# as a bot operator sees it: vigil run / vigil audit against vigil-sim, on
# Binance and Bybit, one-way and hedge accounts. Every outcome is asserted from
# vigil-sim's own state (`protection` per leg, the orders) and logs (the order
# log's `by`, the request log), never from vigil's output.
#
#   1  take-profit only -> one vigil stop, TP kept; TP + real stop (full) -> nothing cancelled
#   2  unactivated trailing stop only -> one vigil stop, trailing kept
#   3  stuck TRIGGERING stop only -> one vigil stop
#   4  non-reduce-only closing-side stop (one-way) -> one vigil stop; never cancelled (full)
#   5  long + its stop + the bot's pyramiding BUY STOP_MARKET (full) -> nothing sent
#   6  breakout BUY STOP_MARKET on a flat symbol (full) -> not cancelled
#   7  hedge legs protected by closing-side quantity stops -> audit 0, run sends nothing
#   8  flip long -> short (full): leftover SELL stop cancelled, the short's BUY stop kept
#   9  a stop covering 2 of 3 (full) -> a top-up stop for 1, the bot's stop kept
#
# Prints one "PASS name" / "FAIL name" line per check; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh
VIGIL_T_TLS=0 # still plain HTTP / WebSocket (issue 21 switched the write_conf scripts)

GRACE=1s          # grace_open = grace_order
QUIET=3.5         # >= 3 x grace, a few audits
declare -A KEY=([bn]=p-bn [bb]=p-bb [bnh]=p-bnh [bbh]=p-bbh)
declare -A EXN=([bn]=binance [bb]=bybit [bnh]=binance [bbh]=bybit)
declare -A NAME=([bn]="binance one-way" [bb]="bybit one-way" [bnh]="binance hedge" [bbh]="bybit hedge")
for a in bn bb bnh bbh; do
	export "VIGIL_P_${a^^}_KEY=${KEY[$a]}" "VIGIL_P_${a^^}_SECRET=s-$a"
done
SIM_PORT=$(start_port sim "$B/vigil-sim" --port 0 --account binance:p-bn:s-bn:10000 \
	--account bybit:p-bb:s-bb:10000 --account binance:p-bnh:s-bnh:10000:hedge \
	--account bybit:p-bbh:s-bbh:10000:hedge)
[ -n "$SIM_PORT" ] || fail "vigil-sim"

# ---- the checker: q ACCOUNT EXPR evaluates EXPR (python) on the account's
# /_sim/state (s), /_sim/order_log (ol) and /_sim/log (lg); on false it
# prints what the exchange holds.
cat >"$VIGIL_TMP/q.py" <<'PY'
import json, sys, urllib.request
port, key, expr = sys.argv[1], sys.argv[2], sys.argv[3]
def get(p):
    return json.load(urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, p), timeout=5))
s = get("/_sim/state?account=" + key)
ol = get("/_sim/order_log?account=" + key)
lg = get("/_sim/log?account=" + key)
def P(sym, leg="BOTH"):
    r = [x for x in s["protection"] if x["symbol"] == sym and x["position_side"] == leg]
    return r[0] if r else None
def pc(sym, leg="BOTH"):           # client ids of the orders protecting the leg (None: no leg)
    r = P(sym, leg)
    return r["client_ids"] if r else None
def O(cid):
    r = [o for o in s["orders"] if o["client_id"] == cid]
    return r[-1] if r else None
def isopen(cid):
    o = O(cid)
    return bool(o and o["open"])
def vgl(sym=None):                 # orders vigil created (its client ids)
    return [o for o in s["orders"] if o["client_id"].startswith("vgl-") and sym in (None, o["symbol"])]
def cancels(by="rest", cid=None):
    return [e for e in ol if e["event"] == "cancel" and e["by"] == by and cid in (None, e["client_id"])]
def writes(sym=None):              # every non-GET request (vigil's orders, cancels, trading-stop)
    return [e for e in lg if e["method"] != "GET" and "listenKey" not in e["path"]
            and (sym is None or sym in (e.get("query") or "") + (e.get("body") or ""))]
def trailing_open(sym):
    return [o for o in s["conditional_orders"] if o["symbol"] == sym and o["trailing"]]
def amt(sym, leg="BOTH"):
    return sum(float(p["amt"]) for p in s["positions"] if p["symbol"] == sym and p["position_side"] == leg)
ok = eval(expr)
if not ok:
    print("assertion: %s" % expr)
    print("positions: %s" % [(p["symbol"], p["position_side"], p["amt"]) for p in s["positions"]])
    for r in s["protection"]:
        print("protection: %s %s %s size %s protected %s by %s" % (r["symbol"], r["position_side"], r["side"],
              r["size"], r["protected_qty"], r["client_ids"]))
    for o in s["orders"]:
        if o["conditional"] or o["client_id"].startswith("vgl-"):
            print("order: %s %s %s %s/%s %s qty %s trig %s dir %s ro %s cp %s leg %s status %s open %s by %s%s" % (
                o["client_id"], o["symbol"], o["side"], o["type"], o["stop_type"], "trail" if o["trailing"] else "",
                o["qty"], o["trigger"], o["trigger_direction"], o["reduce_only"], o["close_position"],
                o["position_side"], o["status"], o["open"], o["created_by"],
                (" cancelled by %s (%s)" % (o["cancelled_by"], o["cancel_type"])) if o["cancelled_by"] else ""))
    for e in writes():
        print("request: %s %s %s %s -> %s %s" % (e["method"], e["path"], e.get("query", "")[:160],
              (e.get("body") or "")[:200], e["status"], (e.get("answer") or "")[:160]))
sys.exit(0 if ok else 1)
PY
q() { python3 "$VIGIL_TMP/q.py" "$SIM_PORT" "${KEY[$1]}" "$2"; }

FAILS=0 PHASE=0
# check NAME ACCOUNT EXPR: one PASS / FAIL line; on FAIL what the exchange
# holds and vigil's live account lines for that account.
check() {
	local name=$1 a=$2 expr=$3
	if q "$a" "$expr" >"$VIGIL_TMP/chk.out" 2>&1; then
		echo "PASS $name"
	else
		echo "FAIL $name"
		FAILS=$((FAILS + 1))
		sed 's/^/    /' "$VIGIL_TMP/chk.out"
		[ -e "$VIGIL_TMP/vigil.$PHASE.out" ] && grep -a "p-$a\b\|a-$a\b" "$VIGIL_TMP/vigil.$PHASE.out" | tail -15 | sed 's/^/    vigil| /'
		[ -e "$VIGIL_TMP/vigil.$PHASE.log" ] && grep -a "account=a-$a " "$VIGIL_TMP/vigil.$PHASE.log" | grep -v 'stream' | tail -8 | sed 's/^/    log| /'
	fi
}
# bot ACCOUNT STEP: the bot's own action (POST /_sim/step on that account).
bot() {
	local r
	r=$(sim_post /_sim/step "{\"account\":\"${KEY[$1]}\",${2#\{}")
	grep -q '"ok":true' <<<"$r" || { echo "FAIL setup ${NAME[$1]}: $2 -> $r"; FAILS=$((FAILS + 1)); }
}

# vigil_conf FILE MODE ACCOUNTS...: one [account a-X] per account, no database
# (no bot view: ORPHAN_POSITION is never judged, so full never closes here).
vigil_conf() {
	local file=$1 mode=$2 a; shift 2
	{
		printf '[vigil]\nlog_level = info\naudit_interval = 400ms\naudit_debounce = 50ms\n'
		printf 'metrics_listen = 127.0.0.1:0\ninstance = prot\nspool_dir = %s/spool\n' "$VIGIL_TMP"
		printf 'rest_lag_tolerance = 1s\n[database]\nenabled = false\n'
		printf '[alerts]\nrepeat_interval = 1h\nwarning_hold = 0s\n'
		for a in "$@"; do
			echo "[account a-$a]"
			echo "exchange = ${EXN[$a]}"
			echo "rest_url = http://127.0.0.1:$SIM_PORT"
			if [ "${EXN[$a]}" = bybit ]; then echo "ws_url = ws://127.0.0.1:$SIM_PORT/v5/private"
			else echo "ws_url = ws://127.0.0.1:$SIM_PORT"; fi
			echo "api_key_env = VIGIL_P_${a^^}_KEY"
			echo "api_secret_env = VIGIL_P_${a^^}_SECRET"
			echo "mode = $mode"
			echo "orphan_action = close"
			echo "grace_open = $GRACE"
			echo "grace_order = $GRACE"
			echo "stop_loss_percent = 2.0"
			case $a in *h) echo "hedge_mode = true" ;; *) echo "hedge_mode = false" ;; esac
			echo "connect_timeout = 1s"
			echo "request_timeout = 2s"
			echo "request_limit = 1000000"
		done
	} >"$file"
}

# phase TITLE: a fresh exchange (every account flat, no orders) for the next case.
phase() {
	PHASE=$((PHASE + 1))
	sim_post /_sim/reset '{}' >/dev/null || fail "reset"
	echo "# $PHASE. $1"
}
streams_up() { test "$(grep -c 'stream connected' "$VIGIL_TMP/vigil.$PHASE.log")" -ge "$1"; }
# vstart MODE ACCOUNTS...: vigil run on those accounts; returns once every
# stream is up and an audit succeeded.
vstart() {
	local mode=$1; shift
	CONF=$VIGIL_TMP/p$PHASE.conf
	vigil_conf "$CONF" "$mode" "$@"
	"$V" run -c "$CONF" >"$VIGIL_TMP/vigil.$PHASE.out" 2>"$VIGIL_TMP/vigil.$PHASE.log" &
	VIGIL_BG_PIDS[vigil]=$!
	VPID=$!
	wait_until 10 streams_up $# ||
		fail "vigil did not start: $(tail -20 "$VIGIL_TMP/vigil.$PHASE.log")"
	MPORT=$(metrics_port "$VIGIL_TMP/vigil.$PHASE.log")
	wait_until 10 curl -fsS "http://127.0.0.1:$MPORT/healthz" || fail "healthz"
}
vstop() {
	local rc i
	kill -TERM "$VPID"
	for ((i = 0; i < 100; i++)); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	wait "$VPID"; rc=$?
	unset "VIGIL_BG_PIDS[vigil]"
	if [ $rc = 0 ]; then echo "PASS vigil run exits 0 on SIGTERM (phase $PHASE)"
	else echo "FAIL vigil run exits 0 on SIGTERM (phase $PHASE): $rc"; FAILS=$((FAILS + 1)); fi
}
# leg ACCOUNT SIDE: the step keys naming the position leg of a bot order
# (one-way: none; hedge: Binance position_side, Bybit position_idx).
leg() {
	case $1 in
	bnh) echo ",\"position_side\":\"$2\"" ;;
	bbh) [ "$2" = LONG ] && echo ',"position_idx":1' || echo ',"position_idx":2' ;;
	esac
}
# ro ACCOUNT: reduce_only for a one-way exit (hedge: closing by side + leg).
ro() { case $1 in *h) echo "" ;; *) echo ',"reduce_only":true' ;; esac; }
# cond ACCOUNT SIDE TYPE QTY TRIGGER CID EXTRA: a conditional order; on
# Bybit a `Stop` order whose direction comes from TYPE (STOP* BUY rises,
# SELL falls; TAKE_PROFIT* the opposite), stated explicitly.
cond() {
	local a=$1 side=$2 type=$3 qty=$4 trig=$5 cid=$6 extra=${7:-} dir
	if [ "${EXN[$a]}" = bybit ]; then
		case $type:$side in STOP*:BUY | TAKE*:SELL) dir=1 ;; *) dir=2 ;; esac
		bot "$a" "{\"op\":\"order\",\"symbol\":\"$SYM\",\"type\":\"MARKET\",\"side\":\"$side\",\"qty\":\"$qty\",\"trigger\":\"$trig\",\"trigger_direction\":$dir,\"client_id\":\"$cid\"$extra}"
	else
		bot "$a" "{\"op\":\"order\",\"symbol\":\"$SYM\",\"type\":\"$type\",\"side\":\"$side\",\"qty\":\"$qty\",\"trigger\":\"$trig\",\"client_id\":\"$cid\"$extra}"
	fi
}
# all_q EXPR ACCOUNTS...: EXPR holds on every account (LEG in EXPR = the
# account's long leg: BOTH one-way, LONG hedge).
all_q() {
	local expr=$1 a; shift
	for a in "$@"; do q "$a" "${expr//LEG/$(legof "$a" LONG)}" >/dev/null 2>&1 || return 1; done
}
# within SECS CMD...: CMD until it succeeds, SECS of wall time at most.
within() {
	local end=$((SECONDS + $1)); shift
	while ((SECONDS < end)); do "$@" && return 0; sleep 0.2; done
	return 1
}
# wait_vigil_stop SYM ACCOUNTS...: until vigil's stop protects the long on
# every account (12 s at most; the checks that follow tell what is missing).
wait_vigil_stop() {
	local sym=$1; shift
	within 12 all_q "any(c.startswith('vgl-') for c in (pc('$sym','LEG') or []))" "$@" || true
}
# legof ACCOUNT LONG|SHORT: the position_side of that leg in `protection`
legof() { case $1 in *h) echo "$2" ;; *) echo BOTH ;; esac; }

ALL=(bn bb bnh bbh)

# ------------------------------------------------------------------ 1a
phase "take-profit only (protect)"
SYM=LTCUSDT
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"1"}'
	cond "$a" SELL TAKE_PROFIT_MARKET 1 90 bot-tp "$(ro "$a")$(leg "$a" LONG)"
	check "${NAME[$a]} take-profit alone protects nothing (sim)" "$a" "pc('LTCUSDT','$(legof "$a" LONG)')==[] and isopen('bot-tp')"
done
vstart protect "${ALL[@]}"
wait_vigil_stop LTCUSDT "${ALL[@]}"
sleep 2
for a in "${ALL[@]}"; do
	l=$(legof "$a" LONG)
	check "${NAME[$a]} take-profit is not a stop: one stop placed, TP kept" "$a" \
		"len(pc('LTCUSDT','$l'))==1 and pc('LTCUSDT','$l')[0].startswith('vgl-') and len(vgl('LTCUSDT'))==1 and vgl()[0]['side']=='SELL' and float(vgl()[0]['trigger'])<80 and isopen('bot-tp') and not cancels()"
done
vstop

# ------------------------------------------------------------------ 1b
phase "take-profit beside a real stop (full)"
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"1"}'
	cond "$a" SELL TAKE_PROFIT_MARKET 1 90 bot-tp "$(ro "$a")$(leg "$a" LONG)"
	cond "$a" SELL STOP_MARKET 1 76 bot-sl "$(ro "$a")$(leg "$a" LONG)"
done
vstart full "${ALL[@]}"
sleep "$QUIET"
for a in "${ALL[@]}"; do
	check "${NAME[$a]} take-profit beside a stop is no duplicate: nothing cancelled, nothing sent (full)" "$a" \
		"not cancels() and not writes() and isopen('bot-tp') and isopen('bot-sl') and pc('LTCUSDT','$(legof "$a" LONG)')==['bot-sl']"
done
vstop

# ------------------------------------------------------------------ 2
phase "unactivated trailing stop only (protect)"
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"1"}'
	if [ "${EXN[$a]}" = bybit ]; then
		bot "$a" "{\"op\":\"tpsl\",\"symbol\":\"LTCUSDT\",\"trailing_stop\":\"2\",\"active_price\":\"90\"$(leg "$a" LONG)}"
	else
		bot "$a" "{\"op\":\"order\",\"symbol\":\"LTCUSDT\",\"type\":\"TRAILING_STOP_MARKET\",\"side\":\"SELL\",\"qty\":\"1\",\"callback_rate\":\"1\",\"activate_price\":\"90\",\"client_id\":\"bot-trail\"$(ro "$a")$(leg "$a" LONG)}"
	fi
	check "${NAME[$a]} trailing stop not yet active protects nothing (sim)" "$a" \
		"pc('LTCUSDT','$(legof "$a" LONG)')==[] and len(trailing_open('LTCUSDT'))==1"
done
vstart protect "${ALL[@]}"
wait_vigil_stop LTCUSDT "${ALL[@]}"
sleep 2
for a in "${ALL[@]}"; do
	l=$(legof "$a" LONG)
	check "${NAME[$a]} unactivated trailing stop is no protection: one stop placed, trailing kept" "$a" \
		"len(pc('LTCUSDT','$l'))==1 and pc('LTCUSDT','$l')[0].startswith('vgl-') and len(vgl('LTCUSDT'))==1 and len(trailing_open('LTCUSDT'))==1 and not cancels()"
done
vstop

# ------------------------------------------------------------------ 3
phase "stuck TRIGGERING stop only (protect)"
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"1"}'
	cond "$a" SELL STOP_MARKET 1 76 bot-sl "$(ro "$a")$(leg "$a" LONG)"
	bot "$a" '{"op":"stuck_triggering","symbol":"LTCUSDT","client_id":"bot-sl"}'
	check "${NAME[$a]} stuck TRIGGERING stop protects nothing (sim)" "$a" \
		"pc('LTCUSDT','$(legof "$a" LONG)')==[] and O('bot-sl')['stuck']"
done
vstart protect "${ALL[@]}"
wait_vigil_stop LTCUSDT "${ALL[@]}"
sleep 2
for a in "${ALL[@]}"; do
	l=$(legof "$a" LONG)
	check "${NAME[$a]} stuck TRIGGERING stop is no protection: one stop placed" "$a" \
		"len(pc('LTCUSDT','$l'))==1 and pc('LTCUSDT','$l')[0].startswith('vgl-') and len(vgl('LTCUSDT'))==1 and not cancels()"
done
vstop

# ------------------------------------------------------------------ 4
for mode in protect full; do
	phase "non-reduce-only closing-side stop, one-way ($mode)"
	for a in bn bb; do
		bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"1"}'
		cond "$a" SELL STOP_MARKET 1 76 bot-entry ',"reduce_only":false'
		check "${NAME[$a]} non-reduce-only SELL stop on a long protects nothing (sim)" "$a" \
			"pc('LTCUSDT')==[] and isopen('bot-entry')"
	done
	vstart $mode bn bb
	wait_vigil_stop LTCUSDT bn bb
	sleep "$QUIET"
	for a in bn bb; do
		check "${NAME[$a]} non-reduce-only stop is the bot's: one stop placed, it is never cancelled ($mode)" "$a" \
			"len(pc('LTCUSDT'))==1 and pc('LTCUSDT')[0].startswith('vgl-') and len(vgl('LTCUSDT'))==1 and isopen('bot-entry') and not cancels()"
	done
	vstop
done

# ------------------------------------------------------------------ 5 + 6
phase "pyramiding entry beside the stop, breakout entry on a flat symbol (full)"
for a in "${ALL[@]}"; do
	SYM=BTCUSDT
	bot "$a" '{"op":"open","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}'
	cond "$a" SELL STOP_MARKET 0.01 58000 bot-sl "$(ro "$a")$(leg "$a" LONG)"
	cond "$a" BUY STOP_MARKET 0.02 61000 bot-add ",\"reduce_only\":false$(leg "$a" LONG)"
	SYM=ETHUSDT
	cond "$a" BUY STOP_MARKET 0.02 3100 bot-breakout ",\"reduce_only\":false$(leg "$a" LONG)"
	check "${NAME[$a]} the long is protected by the bot's stop alone (sim)" "$a" \
		"pc('BTCUSDT','$(legof "$a" LONG)')==['bot-sl'] and isopen('bot-add') and isopen('bot-breakout')"
done
vstart full "${ALL[@]}"
sleep "$QUIET"
for a in "${ALL[@]}"; do
	check "${NAME[$a]} pyramiding BUY STOP_MARKET beside the stop is the bot's entry: nothing cancelled, nothing sent (full)" "$a" \
		"not cancels() and not writes('BTCUSDT') and isopen('bot-add') and isopen('bot-sl') and pc('BTCUSDT','$(legof "$a" LONG)')==['bot-sl']"
	check "${NAME[$a]} breakout BUY STOP_MARKET on a flat symbol is the bot's entry: not cancelled (full)" "$a" \
		"isopen('bot-breakout') and not cancels(cid='bot-breakout') and not writes('ETHUSDT')"
	check "${NAME[$a]} vigil sent no request at all beside the bot's entries (full)" "$a" "not writes()"
done
vstop

# ------------------------------------------------------------------ 7
phase "hedge legs protected by closing-side quantity stops (audit, protect)"
for a in bnh bbh; do
	SYM=LTCUSDT
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"SELL","qty":"1"}'
	cond "$a" BUY STOP_MARKET 1 82 bot-sl-ltc-short "$(leg "$a" SHORT)"
	SYM=BTCUSDT
	bot "$a" '{"op":"open","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}'
	bot "$a" '{"op":"open","symbol":"BTCUSDT","side":"SELL","qty":"0.02"}'
	cond "$a" SELL STOP_MARKET 0.01 58000 bot-sl-btc-long "$(leg "$a" LONG)"
	cond "$a" BUY STOP_MARKET 0.02 62000 bot-sl-btc-short "$(leg "$a" SHORT)"
	check "${NAME[$a]} each leg fully protected by its own closing-side stop (sim)" "$a" \
		"pc('LTCUSDT','SHORT')==['bot-sl-ltc-short'] and pc('BTCUSDT','LONG')==['bot-sl-btc-long'] and pc('BTCUSDT','SHORT')==['bot-sl-btc-short'] and all(r['full'] for r in s['protection'])"
done
sleep 1.5 # every leg past grace_open by the exchange's own time
vigil_conf "$VIGIL_TMP/audit.conf" protect bnh bbh
for a in bnh bbh; do
	"$V" audit -c "$VIGIL_TMP/audit.conf" --account "a-$a" --listen 1s --grace 0s >"$VIGIL_TMP/audit.$a.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then echo "PASS ${NAME[$a]} audit: legs protected by quantity stops without reduceOnly are OK (exit 0)"
	else
		echo "FAIL ${NAME[$a]} audit: legs protected by quantity stops without reduceOnly are OK (exit 0): exit $rc"
		FAILS=$((FAILS + 1)); sed 's/^/    /' "$VIGIL_TMP/audit.$a.out" | head -30
	fi
done
vstart protect bnh bbh
sleep "$QUIET"
for a in bnh bbh; do
	check "${NAME[$a]} legs protected by closing-side quantity stops: run in protect sends nothing" "$a" \
		"not writes() and not vgl() and pc('LTCUSDT','SHORT')==['bot-sl-ltc-short'] and pc('BTCUSDT','LONG')==['bot-sl-btc-long'] and pc('BTCUSDT','SHORT')==['bot-sl-btc-short']"
done
vstop
# control: the same audit does see a leg once its stop is gone
for a in bnh bbh; do
	bot "$a" '{"op":"cancel","symbol":"LTCUSDT","client_id":"bot-sl-ltc-short"}'
	"$V" audit -c "$VIGIL_TMP/audit.conf" --account "a-$a" --listen 1s --grace 0s >"$VIGIL_TMP/audit.$a.out" 2>&1
	rc=$?
	if [ $rc = 2 ] && grep -q UNPROTECTED_POSITION "$VIGIL_TMP/audit.$a.out"; then
		echo "PASS ${NAME[$a]} audit: the short leg without its stop is critical (exit 2)"
	else
		echo "FAIL ${NAME[$a]} audit: the short leg without its stop is critical (exit 2): exit $rc"
		FAILS=$((FAILS + 1)); sed 's/^/    /' "$VIGIL_TMP/audit.$a.out" | head -30
	fi
done

# ------------------------------------------------------------------ 8
phase "flip long -> short, the old SELL stop left behind (full)"
SYM=BTCUSDT
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}'
	cond "$a" SELL STOP_MARKET 0.01 58000 bot-sl-long "$(ro "$a")$(leg "$a" LONG)"
done
vstart full "${ALL[@]}"
sleep 1
for a in "${ALL[@]}"; do
	check "${NAME[$a]} protected long before the flip: nothing sent (full)" "$a" "not writes()"
	# the bot closes the long, opens a short of the same size, places its BUY stop
	bot "$a" "{\"op\":\"close\",\"symbol\":\"BTCUSDT\"$(leg "$a" LONG)}"
	bot "$a" '{"op":"open","symbol":"BTCUSDT","side":"SELL","qty":"0.01"}'
	cond "$a" BUY STOP_MARKET 0.01 62000 bot-sl-short "$(ro "$a")$(leg "$a" SHORT)"
done
within 10 all_q "not isopen('bot-sl-long')" "${ALL[@]}" || true
sleep "$QUIET"
for a in "${ALL[@]}"; do
	l=$(legof "$a" SHORT)
	case $a in *h) why="exit on the flat LONG leg (ORPHAN_ORDER)" ;; *) why="wrong-side (WRONG_SIDE_STOP)" ;; esac
	check "${NAME[$a]} flip: the leftover SELL stop is cancelled as $why" "$a" \
		"len(cancels(cid='bot-sl-long'))==1 and not isopen('bot-sl-long')"
	check "${NAME[$a]} flip: the short's BUY stop is never cancelled, the short is protected once by it, no vigil stop" "$a" \
		"isopen('bot-sl-short') and not cancels(cid='bot-sl-short') and [e['client_id'] for e in cancels()]==['bot-sl-long'] and pc('BTCUSDT','$l')==['bot-sl-short'] and not vgl() and amt('BTCUSDT','$l')==-0.01"
done
vstop

# ------------------------------------------------------------------ 9
phase "a stop covering 2 of 3 (full): a top-up for the rest, the bot's stop kept"
SYM=LTCUSDT
for a in "${ALL[@]}"; do
	bot "$a" '{"op":"open","symbol":"LTCUSDT","side":"BUY","qty":"3"}'
	cond "$a" SELL STOP_MARKET 2 76 bot-sl-part "$(ro "$a")$(leg "$a" LONG)"
	check "${NAME[$a]} the bot's stop covers 2 of the 3 (sim)" "$a" \
		"float(P('LTCUSDT','$(legof "$a" LONG)')['protected_qty'])==2 and not P('LTCUSDT','$(legof "$a" LONG)')['full']"
done
vstart full "${ALL[@]}"
wait_vigil_stop LTCUSDT "${ALL[@]}"
sleep "$QUIET"
for a in "${ALL[@]}"; do
	l=$(legof "$a" LONG)
	check "${NAME[$a]} undersized: one vigil SELL stop for the uncovered 1, the bot's stop never cancelled (full)" "$a" \
		"len(vgl('LTCUSDT'))==1 and vgl()[0]['side']=='SELL' and float(vgl()[0]['qty'])==1 and isopen('bot-sl-part') and not cancels() and float(P('LTCUSDT','$l')['protected_qty'])==3"
done
vstop

if [ "$FAILS" -gt 0 ]; then
	echo "$FAILS check(s) failed"
	exit 1
fi
echo ok
