/* The pure reconcile core: one account's snapshot in, findings out.
 * No sockets, no files, no clock reads: time is snap->now_ms (vigil's
 * injected clock; stream seen/last-message times use the same clock).
 *
 * Design choices (seeds in comments):
 * - Who to believe: the source-trust rules of docs/design-rules.md, one function
 *   each, with the incident each comes from, are listed in
 *   reconcile/rules.h; rec_merge_position() there gives the position view
 *   per (symbol, pidx). What classification does with it: a
 *   disagreement past the lag tolerance is REST_GLITCH (info); while REST
 *   disagrees with an authoritative stream entry, the symbol is
 *   "disputed": its findings are still raised from the stream's facts but
 *   are never repairable; and since that REST answer is caught lying, no
 *   finding of the snapshot whose view came from REST alone is repairable
 *   either. A view UNKNOWN (REST failed, no authoritative stream entry)
 *   concludes nothing about that symbol (open findings are kept).
 * - Grace (rule 7): ORPHAN_POSITION / UNPROTECTED / SIZE|SIDE_MISMATCH need
 *   their condition to hold for grace_open_ms. For a newly seen position
 *   the clock starts at the position's first sighting (earliest of
 *   vigil's first audit, the stream's seen_ms (SKLUSDT) and the
 *   exchange's update_ms of each agreeing source, converted with the
 *   clock offset when known: a one-shot audit or a restarted daemon
 *   judges a position open for hours at once); for a known
 *   position it starts when the condition appears (a stop being moved, a
 *   row being closed), so vigil never races the bot. A reopened
 *   position is a new one: the clock (and its conditions') restarts when
 *   the stream saw it open after a flat report (rec_position.opened_ms),
 *   or when vigil could not judge the symbol in the last audit and an
 *   agreeing source's update time is newer than its last sight (SKLUSDT
 *   under 429/5xx/ws-drop); a stream entry the merge did not believe
 *   (stale, from before the connection) never dates it. ORPHAN_ORDER,
 *   PHANTOM, DUPLICATE_STOP and WRONG_SIDE_STOP wait grace_order_ms from
 *   when the condition began (a flipped position's old stop is being
 *   moved by the bot). Binance algo TRIGGERING lingering past the lag
 *   tolerance stops counting as protection. An open position whose side is
 *   unreadable gives UNKNOWN_SIDE (nothing repairable).
 * - Orders: the REST listing, where a newer stream state of the same order
 *   wins (cancelled/filled), plus stream-only open orders younger than the
 *   lag window (REST may not list them yet). Orders unreadable = no
 *   protection / orphan-order verdicts.
 * - Bot rows: filtered by bot_exchange; "live" statuses (active, open,
 *   pending, opening) mean the bot knows the position (no ORPHAN);
 *   "active"/"open" mean it believes it open (PHANTOM / MISMATCH).
 *   Symbols are matched on the normalized exchange form whatever the
 *   bot's style (bot_symbol_style is for printing in the bot's style).
 * - Protection per position: rec_protects() below, the one rule (see
 *   reconcile/PROTECTION.md for the table per exchange): only an order
 *   that can only reduce the leg (reduce-only, close-position,
 *   closeOnTrigger, attached, or a hedge leg's closing side), firing on
 *   the loss side beyond the mark, live, activated if trailing. Entries
 *   (anything that can open or add) are the bot's: never protection,
 *   never ORPHAN_ORDER, never cancelled. Take-profits are never stops and
 *   never DUPLICATE_STOP. Covered = any close-position/attached stop, or
 *   the covering quantities sum to the size. One finding per leg:
 *   partly covered = UNDERSIZED_STOP only, no protecting stop at all =
 *   UNPROTECTED_POSITION only (never both). An order with unknown side or
 *   direction never protects (rule 5). DUPLICATE_STOP = a full cover
 *   exists plus a plain stop order beside it (order_id names it; never a
 *   trailing stop). WRONG_SIDE_STOP = a reducing conditional stop whose
 *   side does not close the position (a flip's leftover).
 * - Position mode: the exchange's answer (snap->pos_mode) or the pidx of
 *   the rows it lists; a mode other than params->hedge_mode is
 *   CONFIG_DRIFT (critical; the policy then sends nothing).
 * - Keys: rec_finding_make_key(); for hedge-mode positions (pidx LONG /
 *   SHORT) ":LONG" / ":SHORT" is appended so both sides stay distinct.
 *   Account-level SOURCE_UNREACHABLE gets ":rest" / ":orders" / ":db".
 * - Memory: one rec_memory per account (not thread-safe; the engine thread
 *   owns it). Conditions and open findings not seen again are dropped /
 *   resolved only when this audit could evaluate them (sources OK). A new
 *   memory may be seeded with what a previous run stored (rec_memory_seed
 *   below), so first-seen times survive restarts and one-shot runs.
 * - Efficiency: one hash of symbols per audit; orders are grouped per
 *   symbol; no O(symbols x orders) scans.
 */
#ifndef REC_RECONCILE_H
#define REC_RECONCILE_H
#include "reconcile/model.h"

enum rec_symstyle { REC_SYMSTYLE_PLAIN = 0, REC_SYMSTYLE_CCXT = 1 };

struct rec_params {
	int64_t grace_open_ms;         /* new position: no ORPHAN/UNPROTECTED before */
	int64_t grace_order_ms;        /* ORPHAN_ORDER / PHANTOM hold */
	int64_t rest_lag_tolerance_ms; /* stream/REST disagreement tolerated */
	int64_t stream_stale_ms;       /* stream silent longer = STALE */
	int64_t clock_skew_limit_ms;
	enum rec_symstyle bot_symbol_style; /* how the bot's DB spells symbols */
	char bot_exchange[64];              /* keep bot rows with this exchange ("" = all) */
	/* Appended (issue 14): the account's configured position mode; a
	 * different mode reported by the exchange is CONFIG_DRIFT. */
	bool hedge_mode;
	/* Appended (issue 18): the status words meaning a live bot row,
	 * comma-separated, case-insensitive ([database] bot_live_statuses). */
	char bot_live_statuses[128];
};

/* 30 s / 30 s / 5 s / 60 s / 1 s, plain, "", REC_LIVE_STATUSES_DEFAULT
 * (like watchdog/config.c). */
#define REC_LIVE_STATUSES_DEFAULT "active,open,pending,opening"
void rec_params_default(struct rec_params *p);

/* Everything one audit knows about one account. All arrays are borrowed
 * (the caller owns them and keeps them alive during rec_classify). */
struct rec_snapshot {
	char account[REC_ACCT_MAX];
	enum rec_exchange exchange;
	int64_t now_ms; /* vigil's injected clock */

	const struct rec_stream_cache *stream; /* NULL = no stream configured */

	/* REST positions (open ones; size 0 entries are ignored). */
	bool rest_pos_ok;
	const struct rec_position *rest_pos;
	size_t nrest_pos;
	char rest_error[256];    /* when !rest_pos_ok */
	int64_t rest_fetched_ms; /* vigil clock */

	/* REST open orders: regular + conditional + Bybit position-attached
	 * stops, already merged by the adapter. */
	bool orders_ok;
	const struct rec_order *orders;
	size_t norders;
	char orders_error[256];

	/* The bot's DB rows (any status; filtered by params->bot_exchange). */
	bool bot_ok;
	const struct rec_bot_row *bot;
	size_t nbot;
	char bot_error[256];

	/* exchange server time - local time */
	bool clock_known;
	int64_t clock_offset_ms;

	/* Appended (issue 14): the position mode the exchange reported
	 * (Binance positionSide/dual); UNKNOWN = not read, then the mode is
	 * read from the position and order rows' pidx. */
	enum rec_pos_mode pos_mode;

	/* Appended (issue 15): a targeted check of scope[0..nscope) only,
	 * after stream events about those symbols (nscope 0 = the whole
	 * account). REST answered for these symbols only; other symbols are
	 * not judged, and their open findings are carried into *out as they
	 * stood (first_seen / last_seen unchanged). */
	const char (*scope)[REC_SYM_MAX];
	size_t nscope;
};

struct rec_memory;
struct rec_memory *rec_memory_new(void);
void rec_memory_free(struct rec_memory *m);

/* Classifies one snapshot. *out (malloc'd, free() it; NULL when *n == 0)
 * receives the findings of this audit, sorted by key, first_seen/last_seen
 * filled from memory, which is updated. Returns 0, -1 on bad arguments. */
int rec_classify(const struct rec_snapshot *s, const struct rec_params *p, struct rec_memory *m,
		 struct rec_finding **out, size_t *n);

/* After rec_classify: the findings open after the previous audit that this
 * audit found gone (copies as last seen, last_seen_ms = last time seen),
 * so alerts can send RESOLVED. *out malloc'd (free()), NULL when *n == 0.
 * Findings this audit could not evaluate (source down) are not resolved. */
int rec_lifecycle(const struct rec_memory *m, struct rec_finding **out, size_t *n);

/* Number of findings currently open in memory (for status/metrics). */
size_t rec_memory_open_count(const struct rec_memory *m);

/* ---- memory across runs: what a previous run stored ----
 * A new memory (a one-shot audit, a restarted daemon) is seeded before its
 * first rec_classify, so first-seen times go on from the stored ones:
 * grace is not waited again and AGE is the real age. Entries the memory
 * has already are kept (its own sight wins).
 * rec_memory_seed: an open finding as stored (key, code, severity,
 * account, exchange, symbol, first_seen_ms at least). It keeps its
 * first_seen when reported again; until then, a condition behind it that
 * this memory does not know is taken to have held past its grace (the
 * finding was reported), so a finding that still holds is reported at
 * once, never resolved and reopened a grace later. One not reported by
 * an audit that could judge it is resolved (rec_lifecycle). */
void rec_memory_seed(struct rec_memory *m, const struct rec_finding *f);
/* rec_memory_seed_cond: a condition as rec_memory_conds gave it (also one
 * still in grace that never became a finding). Unknown kinds are
 * ignored. */
void rec_memory_seed_cond(struct rec_memory *m, const char *key, const char *symbol, char kind, int64_t first_ms);
/* Every remembered condition (not the findings), to be stored after an
 * audit; key and kind are opaque to the caller. */
typedef void (*rec_cond_fn)(void *ctx, const char *key, const char *symbol, char kind, int64_t first_ms);
void rec_memory_conds(const struct rec_memory *m, rec_cond_fn fn, void *ctx);

/* ---- what protects a position (protection.c): the one rule ----
 * Used by classification, by every repair precondition and by `vigil
 * status`; the facts come from the exchange's documented behaviour as the
 * adapters state them (kind, side, trigger_dir, reduce-only / close-
 * position / closeOnTrigger, pidx), never from a field's name alone. */
enum rec_prot_verdict { REC_PROT_NO = 0, REC_PROT_YES = 1, REC_PROT_UNKNOWN = 2 };

/* What an order is to one position leg. */
enum rec_order_role {
	REC_ROLE_NONE = 0,    /* another leg or symbol: says nothing here */
	REC_ROLE_ENTRY,       /* can open or add: the bot's, never protection, never cancelled */
	REC_ROLE_STOP,        /* reducing stop on the closing side, firing on the loss side */
	REC_ROLE_TAKE_PROFIT, /* reducing, fires (or rests) on the profit side: the bot's */
	REC_ROLE_WRONG_SIDE,  /* reducing, but its side does not close this position */
	REC_ROLE_UNKNOWN,     /* side / direction / type unreadable: never trusted */
};

struct rec_prot {
	enum rec_prot_verdict verdict;
	enum rec_order_role role;
	bool full;            /* closes whatever is open (close-position, attached) */
	double qty;           /* covering quantity when !full */
	bool dup_cancellable; /* a plain stop order that may be removed as redundant
				 * (never a trailing stop, a take-profit or an attached stop) */
	char why[160];        /* the reason, for humans */
};
const char *rec_role_name(enum rec_order_role r);
const char *rec_prot_verdict_name(enum rec_prot_verdict v);

/* Can order o only reduce? reduce-only, close-position, Bybit
 * closeOnTrigger, a position-attached stop, or (hedge mode) an order whose
 * side closes the leg its pidx names. Everything else may open or add. */
bool rec_order_reduces(const struct rec_order *o);

/* Does o protect the open position pos (side, size, pidx, mark; symbol
 * "" = any)? triggering_counts: a TRIGGERING order is still within the
 * documented window (else it is stuck and protects nothing). out may be
 * NULL. */
enum rec_prot_verdict rec_protects(const struct rec_order *o, const struct rec_position *pos, bool triggering_counts,
				   struct rec_prot *out);

/* An exit order that makes no sense without a position on its leg
 * (ORPHAN_ORDER): live and reducing, not position-attached. */
bool rec_order_is_exit(const struct rec_order *o);

/* ---- stream cache: rec_stream_apply_* / rec_stream_find_* are the
 * model's (reconcile/model.h, model_stream.c), so the adapters keep the
 * cache without calling the core (rule 6, rules.h). */

/* ---- symbols (symbols.c) ----
 * Exchange form: BTCUSDT. ccxt form: BTC/USDT:USDT. Normalizing any form
 * gives the exchange form (upper case, '/' removed, ":SETTLE" dropped). */
void rec_symbol_normalize(const char *in, char *out, size_t outlen);
/* Exchange symbol to the bot's style; quote assets recognised: USDT, USDC,
 * BUSD, USD, FDUSD. Returns 0, -1 if the quote is not recognised (out =
 * the plain symbol then). */
int rec_symbol_to_style(const char *exch_sym, enum rec_symstyle style, char *out, size_t outlen);
/* The bot row belongs to the params' bot_exchange (case-insensitive). */
bool rec_bot_row_matches_exchange(const struct rec_bot_row *r, const struct rec_params *p);
/* Status is one of the params' bot_live_statuses: a position the bot
 * knows (never an ORPHAN_POSITION); other rows are ignored. */
bool rec_bot_row_is_live(const struct rec_bot_row *r, const struct rec_params *p);
/* Among live rows: the bot believes the position open (active/open), as
 * opposed to still opening it (any other live word). */
bool rec_bot_row_is_active(const struct rec_bot_row *r);
/* Whether row r belongs to the leg pidx (a hedge leg takes rows of its side
 * only) and is the better row for it than best (NULL: none yet): the side
 * the exchange reports first, then a row the bot believes open. The one
 * rule classification and the query API pick the bot's row by. */
bool rec_bot_row_prefer(const struct rec_bot_row *r, const struct rec_bot_row *best, enum rec_pos_idx pidx,
			enum rec_side exch_side);
/* status (trimmed) is one of the comma-separated words of list
 * (each trimmed; case-insensitive). */
bool rec_status_in_list(const char *list, const char *status);

#endif
