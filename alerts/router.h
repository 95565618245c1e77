/* The alert router: turns each audit's full list of findings per account
 * (and vigil's own health conditions) into outbox messages.
 *
 * Lifecycle of one key (finding key, or "vigil:<name>" for health):
 * - critical: alerted at once; warning/info: after warning_hold, and only
 *   if still present then (a flap inside the hold is never sent);
 * - repeated every repeat_interval while open, unless acknowledged;
 * - RESOLVED when it disappears from its account's list (only if alerted);
 *   its text says what changed (alert_format_change), not the stale detail;
 * - grouping: the findings of one position (account, symbol, leg) due for
 *   FIRING (or a repeat) together go out as one message, sent by the most
 *   severe (then the earliest); the others are listed in it and count as
 *   alerted (observer called for each); ack, escalation and RESOLVED stay
 *   per key;
 * - escalation: a critical not acknowledged escalate_after after its first
 *   alert is sent once more to the channels marked escalation (0 = off);
 * - inhibition: while the account has SOURCE_UNREACHABLE for the exchange
 *   (rest/orders), every per-symbol finding is held; for the database,
 *   the DB-dependent ones (orphan/phantom/mismatch); while STREAM_DOWN or
 *   STREAM_STALE is open, per-symbol findings whose only exchange witness
 *   is the stream, and REST_GLITCH. Held keys send nothing and are not
 *   resolved when absent (the audit could not see them); they alert once
 *   the outage clears if still present.
 * - routing: a message goes to every channel whose min_severity it meets
 *   (the log channel takes all); per-channel rate limits delay new,
 *   resolved and escalation messages (never drop them) and skip repeats
 *   over the limit.
 * - actions: a finding vigil acted on (an order sent, whatever its
 *   outcome) is never held and never waits for warning_hold: it alerts in
 *   the audit that acted, and if it is already gone by the time the router
 *   hears of it (seeded from the journal after a crash), FIRING is sent
 *   followed by RESOLVED. Nobody must learn from the exchange that vigil
 *   closed a position.
 * - stream connect grace: a STREAM_DOWN first seen before the grace end
 *   (alert_router_set_stream_grace) is not alerted: at start the first
 *   audit runs before the private stream has connected.
 * Time is injected (now_ms, same clock as the outbox's next_attempt_ms).
 * Durability: router state is memory; the keeper (alerts/keeper.h)
 * persists what was alerted through the observer into a store the program
 * supplies and seeds it back at start (alert_router_seed), so an open finding is not re-sent after a
 * restart before repeat_interval and one gone meanwhile gets its RESOLVED.
 * Not thread-safe: one caller thread. */
#ifndef ALERT_ROUTER_H
#define ALERT_ROUTER_H
#include <stddef.h>
#include <stdint.h>

#include "alerts/channel.h"
#include "alerts/format.h"
#include "alerts/outbox.h"
#include "reconcile/model.h"

#define ALERT_PATH_MAX 512
#define ALERT_NAME_MAX 64

struct alert_router_conf {
	int64_t repeat_interval_ms;
	int64_t warning_hold_ms;
	int64_t escalate_after_ms;      /* 0 = no escalation */
	char conf_path[ALERT_PATH_MAX]; /* for the fix commands in messages */
	char instance[ALERT_NAME_MAX];
};

/* Where a message may go: a name plus the routing fields of a channel. */
struct alert_route {
	char channel[ALERT_CHANNEL_MAX];
	enum rec_severity min_severity;
	bool escalation;
	int rate_per_minute; /* 0 = unlimited */
};

struct alert_router;

/* Copies conf and routes; the outbox is borrowed. The stop distance in
 * "vigil repair ... sl" messages is 2 % unless set per account. */
struct alert_router *alert_router_new(const struct alert_router_conf *conf, const struct alert_route *routes,
				      size_t nroutes, struct alert_outbox *outbox);
/* Routes from the channels built by alert_channels_new (their names and
 * routing fields); the stop distances are the caller's to set. */
struct alert_router *alert_router_for_channels(const struct alert_router_conf *conf, struct alert_channel **chs,
					       size_t nchs, struct alert_outbox *outbox);
void alert_router_free(struct alert_router *r);
void alert_router_set_stop_percent(struct alert_router *r, const char *account, double pct);
/* Called after each enqueue (e.g. to wake the notifier). */
void alert_router_set_wakeup(struct alert_router *r, void (*fn)(void *), void *arg);

/* One audit of one account: every finding currently open (each f->account
 * must equal account). actions: NULL or n strings (NULL entries allowed)
 * saying what vigil did about each finding and the outcome. Returns the
 * number of messages enqueued, -1 if an enqueue failed (state is kept so
 * the next update tries again). */
int alert_router_update(struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			const char *const *actions, int64_t now_ms);
/* Drops every finding state of account, sending nothing (sharding: the
 * account went to another instance, whose router goes on from the stored
 * alert state; RESOLVED and repeats are its to send). */
void alert_router_forget(struct alert_router *r, const char *account);
/* Re-evaluates holds, repeats and escalations without new findings (the
 * daemon calls it between audits). */
int alert_router_tick(struct alert_router *r, int64_t now_ms);

/* Silences repeats and escalation of an open key until it resolves.
 * 0 ok, -1 no such open key. */
int alert_router_ack(struct alert_router *r, const char *key, int64_t now_ms);

/* vigil's own health: a named condition ("db_unreachable", "clock_skew",
 * "repair_failures:ACCOUNT"...), keyed "vigil:<name>", with the same
 * lifecycle as a finding. */
int alert_router_health_set(struct alert_router *r, const char *name, enum rec_severity sev, const char *text,
			    int64_t now_ms);
int alert_router_health_clear(struct alert_router *r, const char *name, int64_t now_ms);
/* A one-shot notice ("start", "stop"): sent once, no state. */
int alert_router_notice(struct alert_router *r, const char *name, enum rec_severity sev, const char *text,
			int64_t now_ms);

/* Like alert_router_update; acted: NULL or n flags, true when vigil sent
 * an order about finding i (see "actions" above). */
int alert_router_update_acted(struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			      const char *const *actions, const bool *acted, int64_t now_ms);

/* What a previous run of vigil had done about one key, to rebuild the
 * router's memory at start (before the first update of the account). */
struct alert_router_seed {
	struct rec_finding f; /* at least key, account, code, severity, symbol */
	bool alerted;         /* a FIRING went out for this occurrence */
	int64_t alerted_ms;   /* its time */
	int64_t last_sent_ms; /* last FIRING or repeat (0 = alerted_ms) */
	enum rec_severity alerted_sev;
	bool escalated, acked;
	const char *action;      /* non-NULL: vigil acted on it and no alert said so yet */
	bool tell;               /* not alerted, but was due when vigil stopped: alert now */
	int64_t settle_until_ms; /* absent from updates before this: not resolved yet
					(the restarted classifier's grace periods) */
};
/* Adds (or merges into) the key's state. The routes that got the FIRING
 * are taken to be those the severity selects now. 0 ok, -1 bad seed. */
int alert_router_seed(struct alert_router *r, const struct alert_router_seed *s, int64_t now_ms);

/* Which of an audit's findings would get their FIRING if the update came
 * now (not alerted yet, past their hold, not held): the daemon records
 * them durably before repairing, so a crash between the repair and the
 * update cannot lose them. due: n flags. Returns how many. No change. */
size_t alert_router_due(const struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			int64_t now_ms, bool *due);

/* Called after every message kind k enqueued for a finding (not for
 * health keys or notices), e.g. to persist "alerted" state. */
typedef void (*alert_router_observer_fn)(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms);
void alert_router_set_observer(struct alert_router *r, alert_router_observer_fn fn, void *ud);

/* STREAM_DOWN findings first seen before until_ms are ignored (not alerted,
 * no state); 0 = no grace. */
void alert_router_set_stream_grace(struct alert_router *r, int64_t until_ms);

/* Introspection for status output and tests. */
size_t alert_router_open_count(const struct alert_router *r);
/* 1 = open and held by inhibition, 0 = open and not held, -1 = unknown. */
int alert_router_is_held(const struct alert_router *r, const char *key);
int alert_router_is_acked(const struct alert_router *r, const char *key);
/* 1 = open and a FIRING went out, 0 = open, not alerted, -1 = unknown. */
int alert_router_is_alerted(const struct alert_router *r, const char *key);

#endif
