-- vigil's own schema, version 4: the repair lease. The instance holding an
-- account's advisory lock renews its row here every audit; while the
-- database is unreachable it keeps repairing until its lease (counted on
-- its own clock from before its last renewal) runs out, and another
-- instance that takes the lock only starts repairing once the row's lease
-- expired on the database's clock. holder is the instance name. Same rules
-- as 001.
CREATE TABLE repair_lease (
	account    text        PRIMARY KEY,
	holder     text        NOT NULL,
	renewed_at timestamptz NOT NULL
);
