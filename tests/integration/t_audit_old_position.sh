# A cron `vigil audit` (fresh memory, the config's grace, no --grace) finds
# a position the exchange has held for an hour: grace counts from the
# exchange's own position time (updateTime), not from vigil's first sight.
# A position opened just now is still inside grace (the bot may be placing
# its stop).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"
CONF=$VIGIL_TMP/a.conf
GRACE=5m write_conf "$CONF" observe
audit() { "$V" audit -c "$CONF" --listen 0s --json "$@" >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"; echo $?; }
codes() { python3 -c '
import json,sys
j=json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s" % (f["code"], f["symbol"]) for a in j["accounts"] for f in a["findings"])))' "$VIGIL_TMP/audit.out"; }

# a position opened "an hour ago": the sim stamps updateTime with its clock
sim_post /_sim/fault '{"type":"clock_offset","exchange":"binance","ms":-3600000}' >/dev/null || fail "fault"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open old"
sim_curl -fsS -X DELETE "$(sim_url)/_sim/faults" >/dev/null || fail "clear faults"
# and one opened now
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"ETHUSDT","side":"SELL","qty":"1"}' >/dev/null || fail "open new"

rc=$(audit)
c=$(codes)
[ "$rc" = 2 ] || fail "old unprotected position: want 2, got $rc: $c $(cat "$VIGIL_TMP/audit.err")"
case " $c " in *" UNPROTECTED_POSITION:LTCUSDT "*) ;; *) fail "old position not found without --grace: $c" ;; esac
case " $c " in *":ETHUSDT "*) fail "new position judged inside grace: $c" ;; esac

# --grace stays an option: 0s judges the young one too
rc=$(audit --grace 0s)
c=$(codes)
case " $c " in *" UNPROTECTED_POSITION:ETHUSDT "*) ;; *) fail "--grace 0s: $c" ;; esac
echo ok
