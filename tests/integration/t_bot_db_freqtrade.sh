# The bot's database as Freqtrade keeps it: a `trades` table (pair
# BTC/USDT:USDT, is_short, amount, is_open), in SQLite (its default
# tradesv3.sqlite, bot_dsn = sqlite://...) and in PostgreSQL, read through
# the README's recipe in bot_positions_query_file with db_symbol_style =
# ccxt. For each: check-config --connect lists the columns the query
# returns; a one-shot audit against vigil-sim knows BTCUSDT (the bot's open
# trade), finds the exchange's LTCUSDT an ORPHAN_POSITION and the bot's
# open ETH short a PHANTOM; `vigil status` shows the DB view; and
# bot_live_statuses decides which status words count. A query missing a
# column makes check-config --connect fail.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/wd_lib.sh

pg_start >/dev/null || fail "postgres"
DB_DSN=$DATABASE_URL
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
SIM_PORT=$(sim_start); [ -n "$SIM_PORT" ] || fail "vigil-sim"

# Freqtrade's columns (a subset of its trades table), one open long the
# exchange also has, one open short it does not, one closed trade.
"$PSQL" "$DB_DSN" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || fail "pg trades"
CREATE TABLE trades (
	id serial PRIMARY KEY, exchange varchar(25) NOT NULL, pair varchar(25) NOT NULL,
	is_open boolean NOT NULL, is_short boolean NOT NULL, amount double precision,
	open_rate double precision NOT NULL, open_date timestamp NOT NULL, close_date timestamp);
INSERT INTO trades (exchange, pair, is_open, is_short, amount, open_rate, open_date) VALUES
	('binance', 'BTC/USDT:USDT', true, false, 0.01, 60000, now() AT TIME ZONE 'UTC' - interval '2 hours'),
	('binance', 'ETH/USDT:USDT', true, true, 1, 3000, now() AT TIME ZONE 'UTC' - interval '3 hours'),
	('binance', 'SOL/USDT:USDT', false, false, 5, 150, '2025-10-01 10:00:00');
SQL
LITE=$VIGIL_TMP/ft/tradesv3.sqlite
mkdir -p "$VIGIL_TMP/ft"
python3 - "$LITE" <<'PY' || fail "sqlite trades"
import sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
db.execute("""CREATE TABLE trades (id INTEGER PRIMARY KEY, exchange VARCHAR(25) NOT NULL,
	pair VARCHAR(25) NOT NULL, is_open BOOLEAN NOT NULL, is_short BOOLEAN NOT NULL, amount FLOAT,
	open_rate FLOAT NOT NULL, open_date DATETIME NOT NULL, close_date DATETIME)""")
ago = lambda h: (datetime.datetime.utcnow() - datetime.timedelta(hours=h)).strftime("%Y-%m-%d %H:%M:%S.%f")
db.executemany("INSERT INTO trades (exchange, pair, is_open, is_short, amount, open_rate, open_date) VALUES (?,?,?,?,?,?,?)", [
	("binance", "BTC/USDT:USDT", 1, 0, 0.01, 60000, ago(2)),
	("binance", "ETH/USDT:USDT", 1, 1, 1, 3000, ago(3)),
	("binance", "SOL/USDT:USDT", 0, 0, 5, 150, "2025-10-01 10:00:00.000000")])
db.commit()
PY

# the README's recipe, verbatim (one query for both databases)
QUERY=$VIGIL_TMP/conf/freqtrade.sql
mkdir -p "$VIGIL_TMP/conf"
awk '/^-- Freqtrade.s trades table/ { on = 1 } on && /^```/ { exit } on' README.md >"$QUERY"
grep -q 'FROM trades' "$QUERY" || fail "README recipe not found: $(cat "$QUERY")"

sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"BTCUSDT","side":"BUY","qty":"0.01"}' >/dev/null || fail "open BTC"
sim_post /_sim/step '{"op":"open","exchange":"binance","symbol":"LTCUSDT","side":"BUY","qty":"1"}' >/dev/null || fail "open LTC"

# conf FILE BOT_DSN [database lines...]: the sim account in the bot's style
conf() {
	local file=$1 bot=$2; shift 2
	write_conf "$file" observe
	echo "db_symbol_style = ccxt" >>"$file" # the account is the last section
	# into write_conf's [database] section (a section given twice is an error)
	{
		echo "bot_dsn = $bot"
		echo "bot_positions_query_file = freqtrade.sql" # relative to the config file
		printf '%s\n' "$@"
	} >"$file.db"
	awk -v extra="$file.db" '{ print } /^\[database\]$/ { while ((getline l < extra) > 0) print l }' "$file" >"$file.new" &&
		mv "$file.new" "$file" && rm -f "$file.db"
}
codes() { python3 -c '
import json,sys
j=json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s" % (f["code"], f["symbol"]) for a in j["accounts"] for f in a["findings"])))' "$VIGIL_TMP/audit.out"; }

CONF=$VIGIL_TMP/conf/ft.conf
conf "$CONF" "$DB_DSN"
"$V" db migrate -c "$CONF" >/dev/null || fail "migrate"

for kind in sqlite postgresql; do
	if [ $kind = sqlite ]; then bot="sqlite://../ft/tradesv3.sqlite"; else bot=$DB_DSN; fi
	conf "$CONF" "$bot"
	out=$("$V" check-config --connect "$CONF" 2>&1) || fail "$kind: check-config --connect: $out"
	grep -q "bot database ($kind): query ran" <<<"$out" || fail "$kind: $out"
	grep -q 'columns returned: symbol, exchange, side, quantity, entry_price, status, opened_at' <<<"$out" ||
		fail "$kind: columns: $out"
	grep -qE '^ +opened_at +ok' <<<"$out" || fail "$kind: opened_at: $out"

	"$V" audit -c "$CONF" --listen 0s --grace 0s --json >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"
	c=$(codes)
	case " $c " in *" ORPHAN_POSITION:LTCUSDT "*) ;; *) fail "$kind: no orphan for LTCUSDT: $c $(cat "$VIGIL_TMP/audit.err")" ;; esac
	case " $c " in *" PHANTOM_POSITION:ETHUSDT "*) ;; *) fail "$kind: no phantom for the ETH short: $c" ;; esac
	case " $c " in *"ORPHAN_POSITION:BTCUSDT"* | *"SOLUSDT"* | *"SOURCE_UNREACHABLE"*) fail "$kind: $c" ;; esac

	st=$("$V" status -c "$CONF" --listen 0s 2>&1) || true
	grep -iE 'BTCUSDT.*long 0\.01 +open' <<<"$st" >/dev/null || fail "$kind: status has no DB view of BTCUSDT: $st"

	# only "active" is live now: the bot's open BTC trade no longer counts
	conf "$CONF" "$bot" "bot_live_statuses = active"
	"$V" audit -c "$CONF" --listen 0s --grace 0s --json >"$VIGIL_TMP/audit.out" 2>"$VIGIL_TMP/audit.err"
	c=$(codes)
	case " $c " in *" ORPHAN_POSITION:BTCUSDT "*) ;; *) fail "$kind: bot_live_statuses = active: $c" ;; esac

	# a query without a needed column: --connect says which, exits non-zero
	sed 's/ AS quantity/ AS qty/' "$QUERY" >"$VIGIL_TMP/conf/bad.sql"
	conf "$CONF" "$bot"
	sed -i 's/= freqtrade.sql/= bad.sql/' "$CONF"
	out=$("$V" check-config --connect "$CONF" 2>&1); rc=$?
	[ $rc != 0 ] || fail "$kind: missing column accepted: $out"
	grep -qE '^ +quantity +MISSING' <<<"$out" || fail "$kind: $out"
	"$V" check-config "$CONF" >/dev/null || fail "$kind: check-config without --connect runs no query"
done

# vigil never writes the bot's SQLite file
python3 -c 'import sqlite3,sys; sys.exit(0 if sqlite3.connect(sys.argv[1]).execute("select count(*) from trades").fetchone()[0] == 3 else 1)' "$LITE" ||
	fail "sqlite changed"
echo ok
