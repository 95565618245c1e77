-- vigil's own schema, version 1. Runs with search_path set to vigil's
-- schema (configurable), so names here are unqualified. Applied inside one
-- transaction by `vigil db migrate`; do not put BEGIN/COMMIT in this file.
-- Times are timestamptz; ids chosen by vigil (journal, outbox) are random
-- int8 so records spooled while the database was down keep their id.

-- One row per audit of one account.
CREATE TABLE audit_runs (
	id              bigserial PRIMARY KEY,
	account         text        NOT NULL,
	started_at      timestamptz NOT NULL,
	duration_ms     bigint      NOT NULL DEFAULT 0,
	sources_reached integer     NOT NULL DEFAULT 0,  -- rec_source bits
	sources         text        NOT NULL DEFAULT '', -- same, for humans
	findings        integer     NOT NULL DEFAULT 0,
	critical        integer     NOT NULL DEFAULT 0,
	warnings        integer     NOT NULL DEFAULT 0,
	actions         integer     NOT NULL DEFAULT 0,
	instance        text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_runs_account_started ON audit_runs (account, started_at DESC);

-- Findings: at most one open row per key; resolved rows are history.
CREATE TABLE findings (
	id          bigserial PRIMARY KEY,
	key         text        NOT NULL,
	code        integer     NOT NULL, -- enum rec_code (append-only numbering)
	code_name   text        NOT NULL,
	severity    integer     NOT NULL, -- enum rec_severity
	account     text        NOT NULL,
	exchange    text        NOT NULL,
	symbol      text        NOT NULL DEFAULT '',
	first_seen  timestamptz NOT NULL,
	last_seen   timestamptz NOT NULL,
	resolved_at timestamptz,
	acked_at    timestamptz,
	details     jsonb       NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX findings_open_key ON findings (key) WHERE resolved_at IS NULL;
CREATE INDEX findings_account_open ON findings (account) WHERE resolved_at IS NULL;

-- The actions journal: a row is written as an intent before anything is
-- sent, and completed with the outcome after.
CREATE TABLE actions (
	id             bigint      PRIMARY KEY,
	seq            bigserial   UNIQUE,  -- insertion order (spool replays keep it)
	kind           integer     NOT NULL, -- enum rec_action_kind
	account        text        NOT NULL,
	exchange       integer     NOT NULL, -- enum rec_exchange
	symbol         text        NOT NULL DEFAULT '',
	position_side  integer     NOT NULL DEFAULT 0,
	pidx           integer     NOT NULL DEFAULT 0,
	order_side     integer     NOT NULL DEFAULT 0,
	qty            double precision NOT NULL DEFAULT 0,
	close_position boolean     NOT NULL DEFAULT false,
	trigger_price  double precision NOT NULL DEFAULT 0,
	client_id      text        NOT NULL DEFAULT '',
	order_id       text        NOT NULL DEFAULT '',
	order_is_algo  boolean     NOT NULL DEFAULT false,
	finding_key    text        NOT NULL DEFAULT '',
	reason         text        NOT NULL DEFAULT '',
	request        jsonb       NOT NULL DEFAULT '{}', -- the intent as sent
	outcome        integer     NOT NULL DEFAULT 0,     -- enum rec_outcome, 0 = pending
	answer         text        NOT NULL DEFAULT '',    -- exchange's answer / detail
	intent_at      timestamptz NOT NULL,
	outcome_at     timestamptz
);
CREATE INDEX actions_pending ON actions (account, seq) WHERE outcome = 0;
CREATE INDEX actions_client_id ON actions (client_id);

-- The durable alert outbox.
CREATE TABLE alert_outbox (
	id              bigint      PRIMARY KEY,
	seq             bigserial   UNIQUE,
	channel         text        NOT NULL,
	key             text        NOT NULL DEFAULT '',
	severity        integer     NOT NULL DEFAULT 0,
	subject         text        NOT NULL DEFAULT '',
	body            text        NOT NULL DEFAULT '',
	attempts        integer     NOT NULL DEFAULT 0,
	created_at      timestamptz NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	delivered_at    timestamptz,
	last_error      text        NOT NULL DEFAULT '',
	last_fail_id    bigint      -- makes a replayed failure count once
);
CREATE INDEX alert_outbox_due ON alert_outbox (seq) WHERE delivered_at IS NULL;

-- One row per (instance, account), updated after every audit.
CREATE TABLE heartbeats (
	instance   text        NOT NULL,
	account    text        NOT NULL,
	last_audit timestamptz NOT NULL,
	version    text        NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, account)
);
