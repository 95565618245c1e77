/* The keeper: feeds each audit to the router and keeps the router's state
 * across restarts through a store the program supplies (the daemon's is
 * PostgreSQL; alerts/ never calls it directly).
 *
 * Restarts: every alert queued for a finding is recorded in the store
 * (the router observer) and every action whose alert was queued is
 * marked. At an account's first update after start the router is seeded
 * from both: open findings already alerted are not sent again (repeat
 * timing and ack carry on; one gone while vigil was down gets its
 * RESOLVED), and an action stored in the last ALERT_ACTIONS_LOOKBACK_MS
 * but never alerted (vigil killed between the repair and the alert) is
 * alerted then, FIRING + RESOLVED if its finding is gone. Findings whose
 * FIRING is due are recorded before the audit repairs anything
 * (alert_keeper_before_repair), so those too are alerted after a kill
 * between the repair and the alert. Without a store (or when it cannot
 * load) the router starts empty: open findings alert once more.
 * One caller thread, like the router. */
#ifndef ALERT_KEEPER_H
#define ALERT_KEEPER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/format.h"
#include "alerts/router.h"
#include "reconcile/model.h"

#define ALERT_ACTIONS_LOOKBACK_MS (10 * 60 * 1000LL)

/* One open finding as a previous run left it. */
struct alert_stored {
	struct rec_finding f; /* key, code, severity, symbol, detail, first/last_seen */
	bool acked;
	int64_t first_alerted_ms, last_alerted_ms, escalated_ms; /* 0 = never */
	int64_t alert_due_ms;                                    /* 0 = never recorded due */
	int alerted_severity;                                    /* -1 = never alerted */
};

/* A stored action whose alert was never queued. */
struct alert_stored_action {
	int64_t id;
	char finding_key[REC_KEY_MAX];
	char *text; /* what vigil did and the outcome (malloc'd) */
};

/* What the program stores and loads. Every function gets ud; a NULL one
 * is not supported: no load = no seeding, no alerted = nothing recorded,
 * no acked = acks come only from alert_router_ack. Non-zero = failed
 * (the store logs its own details). */
struct alert_state_loader {
	void *ud;
	/* The account's open findings with their alert state; *out malloc'd.
	 * A failure means unknown (err set): the router starts empty. */
	int (*load)(void *ud, const char *account, struct alert_stored **out, size_t *n, char *err, size_t errlen);
	/* The account's actions since since_ms never alerted, oldest first;
	 * *out malloc'd, and each text. */
	int (*unalerted_actions)(void *ud, const char *account, int64_t since_ms, struct alert_stored_action **out,
				 size_t *n);
	/* Marks actions ids[0..n) alerted at now_ms. */
	int (*actions_alerted)(void *ud, const int64_t *ids, size_t n, int64_t now_ms);
	/* Kind k of f (never RESOLVED) was queued at now_ms. */
	int (*alerted)(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms);
	/* f's FIRING is due (recorded before a repair). */
	int (*due)(void *ud, const struct rec_finding *f, int64_t now_ms);
	/* Writes st back onto the open finding f (see alert_keeper_update). */
	int (*restore)(void *ud, const struct rec_finding *f, const struct alert_stored *st);
	/* Keys of the account's open findings acknowledged since (`vigil ack`);
	 * *keys malloc'd. */
	int (*acked)(void *ud, const char *account, char (**keys)[REC_KEY_MAX], size_t *n);
};

/* What vigil did in this audit, one entry per action. */
struct alert_audit_action {
	int64_t id;              /* the store's id (0 = none): marked alerted once queued */
	const char *finding_key; /* "" = none */
	const char *text;        /* for the message */
	bool told;               /* an order (may have) gone out: people are told */
};

struct alert_keeper;

/* The router is borrowed; loader NULL = no store. Registers the router
 * observer when the store records alerts. */
struct alert_keeper *alert_keeper_new(struct alert_router *r, const struct alert_state_loader *loader);
void alert_keeper_free(struct alert_keeper *k);

/* The account is no longer this instance's (sharding): its router state
 * is dropped and, should it come back, seeded again from the store at its
 * next update, as after a restart. */
void alert_keeper_forget(struct alert_keeper *k, const char *account);

/* Before the audit's repairs: records the findings whose FIRING is due. */
void alert_keeper_before_repair(struct alert_keeper *k, const char *account, const struct rec_finding *f, size_t n,
				int64_t now_ms);

/* One audit of account: seeds the account first if this is its first
 * update (seeded findings absent before settle_until_ms are not resolved:
 * the restarted classifier's grace), then the router update with what
 * vigil did about each finding (audited false and no findings: no update),
 * then the acks from the store. Returns the router update's result (-1
 * if an enqueue failed, retried next audit). */
int alert_keeper_update(struct alert_keeper *k, const char *account, enum rec_exchange ex, bool audited,
			const struct rec_finding *f, size_t n, const struct alert_audit_action *acts, size_t nacts,
			int64_t settle_until_ms, int64_t now_ms);

#endif
