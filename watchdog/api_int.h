/* Private to watchdog/api*.c: the accounts the API serves and their
 * published snapshots (api_hub.c), the JSON answers (api_view.c). */
#ifndef WD_API_INT_H
#define WD_API_INT_H
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "exchanges/exchange.h"
#include "reconcile/view.h"
#include "watchdog/api.h"

/* REST coverage of one symbol by a targeted check newer than the last
 * full listing. */
struct api_cover {
	char sym[REC_SYM_MAX];
	int64_t fetched_ms;
	bool pos_ok, ord_ok;
};

/* What one audit left, immutable once published (refcounted). */
struct api_snap {
	int refs; /* under hub mu */
	int64_t audit_ms;
	bool audited;
	char error[256];
	bool pos_ok, ord_ok; /* the last full listing */
	int64_t fetched_ms;
	char pos_error[256], ord_error[256];
	struct rec_position *pos;
	size_t npos;
	struct rec_order *ord;
	size_t nord;
	struct api_cover *cov;
	size_t ncov;
	bool bot_ok;
	char bot_error[256];
	int64_t bot_read_ms;
	struct rec_bot_row *bot;
	size_t nbot;
	struct rec_finding *findings;
	size_t nfindings;
	bool clock_known;
	int64_t clock_offset_ms;
	enum rec_pos_mode pos_mode;
};

/* One account, kept (never freed) while the API runs, so a waiter's
 * pointer stays valid across reloads; gone = no longer configured. */
struct api_acct {
	char name[REC_ACCT_MAX];
	enum rec_exchange exchange;
	enum rec_mode mode;
	bool hedge;
	bool gone;
	struct rec_params params;
	struct xch *x;         /* the engine's adapter: under hub rw (read) */
	struct api_snap *snap; /* under hub mu; NULL before the first audit */
	uint64_t seq;          /* stream events + publishes; under hub mu */
};

struct api_hub {
	pthread_rwlock_t rw; /* accounts list and adapters (attach writes) */
	pthread_mutex_t mu;  /* snap, seq, stopping */
	pthread_cond_t cv;   /* seq changed, or stopping */
	bool stopping;
	struct api_acct **acct;
	size_t n;
	struct api_acct *by_idx[WD_MAX_ACCOUNTS]; /* the engine's index -> account */
	size_t nidx;
};

/* One evaluation of an account: the snapshot (a reference) and a fresh
 * stream copy (NULL = no stream), at now_ms. */
struct api_eval {
	struct api_acct *acct;
	struct api_snap *snap;
	struct rec_stream_cache *stream;
	int64_t now_ms;
	uint64_t seq; /* the account's seq when taken */
};

void api_hub_init(struct api_hub *h);
void api_hub_destroy(struct api_hub *h);
void api_hub_attach(struct api_hub *h, struct wd_engine *e);
void api_hub_publish(struct api_hub *h, const struct wd_engine *e, const struct wd_audit *au);
void api_hub_event(struct api_hub *h, size_t idx);
/* Wakes every waiter for good. */
void api_hub_stop(struct api_hub *h);
/* The account by name (not gone), or NULL. */
struct api_acct *api_hub_find(struct api_hub *h, const char *name);
/* Takes the account's snapshot and a stream copy of sym's entries (NULL:
 * every symbol; "": none, the stream's state alone); false when stopping.
 * A request copies what it reads (the whole cache is ~0.8 MiB). */
bool api_eval_take(struct api_hub *h, struct api_acct *a, const char *sym, struct api_eval *ev);
void api_eval_release(struct api_hub *h, struct api_eval *ev);
/* Waits until the account's seq differs from seen, the deadline (mono ms)
 * or stop. Returns false when stopping. */
bool api_hub_wait(struct api_hub *h, struct api_acct *a, uint64_t seen, int64_t deadline_mono_ms);
/* The snapshot of one symbol as rec_position_view wants it. */
void api_snapshot_of(const struct api_eval *ev, const char *sym, struct rec_snapshot *s);

/* api_view.c: the answers */
struct json_object *api_json_accounts(struct api_hub *h, int64_t now_ms);
struct json_object *api_json_account(const struct api_eval *ev);
/* Every leg of sym ("" = every symbol any source mentions). */
struct json_object *api_json_positions(const struct api_eval *ev, const char *sym);
struct json_object *api_json_position(const struct api_eval *ev, const struct rec_pos_view *v);
struct json_object *api_json_protection(const struct api_eval *ev, const char *sym);
/* The legs a symbol has for this account: BOTH, or LONG and SHORT. */
size_t api_legs(const struct api_eval *ev, const char *sym, enum rec_pos_idx legs[3]);
const char *api_pidx_name(enum rec_pos_idx p);

#endif
