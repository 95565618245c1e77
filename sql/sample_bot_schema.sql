-- A sample of the trading bot's own database, shaped like the one in the
-- incident reports: a `positions` table whose open rows have status
-- 'active', with quantity, side and exchange. vigil only reads it, with
-- the default [database] bot_positions_query:
--   SELECT symbol, exchange, side, quantity, entry_price, status, opened_at
--   FROM positions WHERE status = 'active'
-- Load it with: psql "$DSN" -v ON_ERROR_STOP=1 -f sql/sample_bot_schema.sql
-- (it creates public.positions and a few rows; safe to re-run).

CREATE TABLE IF NOT EXISTS positions (
	id            bigserial PRIMARY KEY,
	symbol        text        NOT NULL,          -- BTCUSDT or ccxt style BTC/USDT:USDT
	exchange      text        NOT NULL,          -- 'binance' / 'bybit'
	side          text        NOT NULL,          -- 'long' / 'short'
	quantity      numeric(28, 10) NOT NULL DEFAULT 0,
	entry_price   numeric(28, 10) NOT NULL DEFAULT 0,
	current_price numeric(28, 10),
	stop_loss_price numeric(28, 10),
	status        text        NOT NULL DEFAULT 'pending', -- pending / active / closed / rolled_back
	opened_at     timestamptz NOT NULL DEFAULT now(),
	closed_at     timestamptz,
	exit_reason   text
);
CREATE INDEX IF NOT EXISTS positions_status ON positions (status);

-- Rows from the incidents: a normal long, a short with its stop, a
-- position the bot rolled back although the exchange kept it (SKLUSDT),
-- and a closed one. Inserted only into an empty table.
INSERT INTO positions (symbol, exchange, side, quantity, entry_price, status, opened_at, closed_at)
SELECT * FROM (VALUES
	('BTCUSDT',  'binance', 'long',  0.010::numeric,   43250.5::numeric, 'active',      timestamptz '2025-10-20 10:00:00+00', NULL::timestamptz),
	('ETHUSDT',  'bybit',   'short', 0.500::numeric,    2250.0::numeric, 'active',      timestamptz '2025-10-20 10:05:00+00', NULL::timestamptz),
	('SKLUSDT',  'binance', 'long',  308::numeric,      0.0231::numeric, 'rolled_back', timestamptz '2025-10-20 22:34:12+00', NULL::timestamptz),
	('AVLUSDT',  'binance', 'short', 120::numeric,      0.1520::numeric, 'closed',      timestamptz '2025-10-19 08:00:00+00', timestamptz '2025-10-19 09:00:00+00')
) AS v
WHERE NOT EXISTS (SELECT 1 FROM positions);
