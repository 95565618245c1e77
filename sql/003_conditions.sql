-- vigil's own schema, version 3: the memory behind the findings. The
-- first-seen time of each condition an audit is timing (grace, lag
-- tolerance), also one still in grace that never became a finding, so a
-- one-shot audit (cron) or a restarted daemon goes on counting from it
-- instead of waiting its grace again. The key and kind are the core's
-- (reconcile/lifecycle.c), opaque here. Same rules as 001.
CREATE TABLE conditions (
	account    text        NOT NULL,
	key        text        NOT NULL,
	kind       text        NOT NULL,
	symbol     text        NOT NULL DEFAULT '',
	first_seen timestamptz NOT NULL,
	saved_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account, key)
);
