-- vigil's own schema, version 2: what was alerted, so a restarted daemon
-- neither re-sends FIRING for a finding still open nor forgets an action
-- it took just before it died. Same rules as 001 (no BEGIN/COMMIT).

-- Findings: the alert state of the open occurrence (NULL = never alerted).
ALTER TABLE findings
	ADD COLUMN first_alerted_at timestamptz, -- FIRING of this occurrence
	ADD COLUMN last_alerted_at  timestamptz, -- last FIRING or repeat
	ADD COLUMN alerted_severity integer,     -- severity of that FIRING
	ADD COLUMN escalated_at     timestamptz,
	ADD COLUMN alert_due_at     timestamptz; -- its FIRING was due when vigil started a repair

-- Actions: when the alert telling about the action was queued. An action
-- done and journaled but not alerted (killed in between) is alerted by
-- the next start. Everything already journaled counts as told.
ALTER TABLE actions ADD COLUMN alerted_at timestamptz;
UPDATE actions SET alerted_at = coalesce(outcome_at, intent_at);
CREATE INDEX actions_unalerted ON actions (account, seq) WHERE alerted_at IS NULL;
