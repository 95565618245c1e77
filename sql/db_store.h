/* vigil's records in its own schema: findings (open/resolved/acked), one
 * audit_runs row and one heartbeat per audit. Every value is a query
 * parameter; account names and symbols reach SQL only that way. */
#ifndef DB_STORE_H
#define DB_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/journal.h"
#include "reconcile/model.h"
#include "sql/db_conn.h"

/* Inserts f as an open finding or, if one with its key is open, moves its
 * last_seen (and severity/details) forward. */
int db_finding_upsert(struct db_conn *c, const struct rec_finding *f, int64_t now_ms, struct db_err *e);
/* Resolves the account's open findings whose key is not in keys[0..n). */
int db_findings_resolve_absent(struct db_conn *c, const char *account, const char *const *keys, size_t n,
			       int64_t now_ms, long *resolved, struct db_err *e);
/* Resolves one open finding by key. */
int db_finding_resolve(struct db_conn *c, const char *key, int64_t now_ms, struct db_err *e);
/* Acknowledges the open finding key; *found = rows touched (0: no such
 * open finding). */
int db_finding_ack(struct db_conn *c, const char *key, long *found, struct db_err *e);

struct db_finding_row {
	int64_t id;
	char key[REC_KEY_MAX];
	int code;
	char code_name[40];
	int severity;
	char account[REC_ACCT_MAX];
	char exchange[16];
	char symbol[REC_SYM_MAX];
	int64_t first_seen_ms, last_seen_ms, resolved_ms; /* resolved 0 = open */
	bool acked;
	char detail[REC_DETAIL_MAX];
};

/* Findings newest first (open only if open_only; account "" = all), at
 * most limit (0 = 1000). *out malloc'd. */
int db_findings_list(struct db_conn *c, bool open_only, const char *account, size_t limit, struct db_finding_row **out,
		     size_t *n, struct db_err *e);

/* ---- alert state (migration 002) ---- */

/* Records that kind k (enum alert_kind: 0 FIRING, 1 repeat, 2 escalated)
 * of finding f was queued at now_ms; inserts f as an open finding if it is
 * not stored yet (the store's own upsert follows in the same audit). */
int db_finding_alerted(struct db_conn *c, const struct rec_finding *f, int kind, int64_t now_ms, struct db_err *e);

/* Writes back a stored alert state (times in ms, 0 = none) onto the open
 * finding f, inserting it if needed (a restarted daemon's finding that the
 * store resolved while the classifier's grace kept it unreported). */
int db_finding_alert_restore(struct db_conn *c, const struct rec_finding *f, int64_t first_alerted_ms,
			     int64_t last_alerted_ms, int alerted_severity, int64_t escalated_ms, struct db_err *e);

/* Records, before vigil repairs anything, that f's FIRING is due (inserts
 * f if it is not stored yet); a restart finds it if the alert never went. */
int db_finding_alert_due(struct db_conn *c, const struct rec_finding *f, int64_t now_ms, struct db_err *e);

struct db_alert_state {
	struct db_finding_row row;
	int64_t first_alerted_ms, last_alerted_ms, escalated_ms; /* 0 = never */
	int64_t alert_due_ms;                                    /* 0 = never recorded due */
	int alerted_severity;                                    /* -1 = never alerted */
};
/* The open findings of account ("" = all) with their alert state. An
 * error (e.g. DB_ESQL on a schema before migration 002) means: unknown. */
int db_findings_alert_state(struct db_conn *c, const char *account, struct db_alert_state **out, size_t *n,
			    struct db_err *e);

/* Journaled actions of account with intent at or after since_ms whose
 * alert was never queued (alerted_at NULL) and that may have sent
 * something (outcome pending, done or failed), oldest first; *out
 * malloc'd. */
int db_actions_unalerted(struct db_conn *c, const char *account, int64_t since_ms, struct rec_action **out, size_t *n,
			 struct db_err *e);
/* Marks actions ids[0..n) alerted at now_ms. */
int db_actions_mark_alerted(struct db_conn *c, const int64_t *ids, size_t n, int64_t now_ms, struct db_err *e);

/* ---- conditions (migration 003): the core's memory of first-seen times ---- */

struct db_condition {
	char key[REC_KEY_MAX + 8];
	char kind;
	char symbol[REC_SYM_MAX];
	int64_t first_seen_ms;
};
/* Replaces the account's stored conditions with c[0..n) (one statement). */
int db_conditions_save(struct db_conn *c, const char *account, const struct db_condition *v, size_t n,
		       struct db_err *e);
/* The account's stored conditions; *out malloc'd. DB_ESQL before
 * migration 003. */
int db_conditions_load(struct db_conn *c, const char *account, struct db_condition **out, size_t *n, struct db_err *e);

struct db_audit_run {
	char account[REC_ACCT_MAX];
	char instance[64];
	int64_t started_ms;
	int64_t duration_ms;
	unsigned sources_reached; /* enum rec_source bits */
	int findings, critical, warnings, actions;
};

/* One audit_runs row and the (instance, account) heartbeat. */
int db_audit_record(struct db_conn *c, const struct db_audit_run *r, const char *version, struct db_err *e);
int db_heartbeat(struct db_conn *c, const char *instance, const char *account, int64_t last_audit_ms,
		 const char *version, struct db_err *e);

#endif
