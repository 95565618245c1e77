-- vigil's own schema, version 5: accounts sharded across instances
-- (sql/db_shard.h). One row per running `vigil run` instance, renewed
-- every claim round; an instance is live while its row has not expired
-- AND its instance advisory lock (lock_key) is held, so a crashed
-- instance (its session gone) is dead at once and a hung one once its row
-- expires. The accounts themselves are claimed with advisory locks only:
-- who holds what is pg_locks joined on backend_pid, never a row that a
-- crash could leave behind. Same rules as 001.
CREATE TABLE instances (
	instance    text        PRIMARY KEY,
	lock_key    integer     NOT NULL,  -- objid of the instance lock
	backend_pid integer     NOT NULL,  -- the shard session (pg_locks.pid)
	pid         integer     NOT NULL,  -- the vigil process
	host        text        NOT NULL DEFAULT '',
	version     text        NOT NULL DEFAULT '',
	started_at  timestamptz NOT NULL,
	seen_at     timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL,
	accounts    integer     NOT NULL DEFAULT 0, -- accounts in its config
	held        integer     NOT NULL DEFAULT 0, -- accounts it holds
	fair        integer     NOT NULL DEFAULT 0  -- its fair share last round
);

-- Alert delivery is claimed: a notifier takes due rows for claim_ms
-- (SKIP LOCKED), so two instances' notifiers never send one message
-- twice; a claim whose holder died runs out and another instance sends.
ALTER TABLE alert_outbox ADD COLUMN claimed_by text;
ALTER TABLE alert_outbox ADD COLUMN claimed_until timestamptz;
