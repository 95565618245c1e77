/* The journal: every action is written as an intent before anything is sent
 * and as an outcome after. On start, unfinished intents are checked against
 * the exchange before anything new is sent (a crash between intent and
 * outcome must not make a duplicate order).
 *
 * Two implementations: in memory (reconcile/journal_mem.c, tests and
 * database-less runs) and PostgreSQL (sql/, with a local spool while the
 * database is down). */
#ifndef REC_JOURNAL_H
#define REC_JOURNAL_H
#include <stddef.h>
#include <stdint.h>

#include "reconcile/model.h"

enum rec_action_kind {
	REC_ACT_PLACE_STOP = 0,
	REC_ACT_CLOSE_POSITION,
	REC_ACT_CANCEL_ORDER,
	REC_ACT_ALERT_ONLY,
};

enum rec_outcome {
	REC_OUT_PENDING = 0, /* intent written, outcome not yet */
	REC_OUT_DONE,        /* sent and verified */
	REC_OUT_FAILED,      /* refused or could not be verified */
	REC_OUT_SKIPPED,     /* nothing sent (dry run, already done, aborted) */
	/* sent, but no answer says what happened (timeout, 5xx, a lost or
	 * unreadable answer) and the lookups within the verification budget
	 * did not tell: resolved by client id before anything new is sent */
	REC_OUT_UNKNOWN,
};

struct rec_action {
	int64_t id; /* journal id, set by intent() */
	enum rec_action_kind kind;
	char account[REC_ACCT_MAX];
	enum rec_exchange exchange;
	char symbol[REC_SYM_MAX];
	enum rec_side position_side; /* of the position concerned (from the exchange) */
	enum rec_pos_idx pidx;
	enum rec_oside order_side; /* derived from position_side, never from an order */
	double qty;                /* 0 with close_position */
	bool close_position;
	double trigger_price;
	char client_id[REC_ID_MAX]; /* vgl-... idempotency key */
	char order_id[REC_ID_MAX];  /* cancel target, or the exchange id once known */
	bool order_is_algo;
	char finding_key[REC_KEY_MAX];
	char reason[256];
	enum rec_outcome outcome;
	char outcome_detail[256];
	int64_t intent_ms;
	int64_t outcome_ms;
};

const char *rec_action_kind_name(enum rec_action_kind k);
const char *rec_outcome_name(enum rec_outcome o);

struct rec_journal;

struct rec_journal_ops {
	/* Records a, assigns a->id. Must be durable before returning 0. */
	int (*intent)(struct rec_journal *j, struct rec_action *a);
	/* Records the outcome of action id. */
	int (*outcome)(struct rec_journal *j, int64_t id, enum rec_outcome o, const char *order_id, const char *detail);
	/* Unfinished intents (outcome PENDING or UNKNOWN) of an account, oldest first;
	 * malloc'd array owned by the caller. */
	int (*unfinished)(struct rec_journal *j, const char *account, struct rec_action **out, size_t *n);
	/* Stops placed and verified (PLACE_STOP, DONE, with an order id) whose
	 * outcome is at or after since_ms, oldest first; malloc'd. A restart
	 * asks the exchange about each by id before placing another: the
	 * open-order listing may lag, and a new stream never saw them. */
	int (*recent_stops)(struct rec_journal *j, const char *account, int64_t since_ms, struct rec_action **out,
			    size_t *n);
	void (*destroy)(struct rec_journal *j);
};

struct rec_journal {
	const struct rec_journal_ops *ops;
	void *priv;
};

#endif
