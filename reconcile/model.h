/* vigil's normalized view of an account: the vocabulary every layer shares.
 * The exchange adapters produce these structs, the reconcile core consumes
 * them, the database and alerts store and print them. No I/O here.
 *
 * Conventions: sizes are base-asset quantities, always >= 0 (the side says
 * which way); prices are doubles; times are milliseconds since the epoch
 * (exchange times) or of vigil's injected clock (seen times). Fixed-size
 * char arrays so snapshots copy with memcpy and need no freeing.
 *
 * Extending: append fields at the end of a struct; never reorder. */
#ifndef REC_MODEL_H
#define REC_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_SYM_MAX 32
#define REC_ID_MAX 64
#define REC_ACCT_MAX 64
#define REC_KEY_MAX 192
#define REC_DETAIL_MAX 512

enum rec_exchange { REC_EX_BINANCE = 0, REC_EX_BYBIT = 1 };

/* Side of a position. UNKNOWN is a real value: nothing may be sent for a
 * position whose side is unknown (AVLUSDT). */
enum rec_side { REC_SIDE_UNKNOWN = 0, REC_SIDE_LONG = 1, REC_SIDE_SHORT = 2 };

/* Side of an order. */
enum rec_oside { REC_OSIDE_UNKNOWN = 0, REC_BUY = 1, REC_SELL = 2 };

/* Binance positionSide / Bybit positionIdx: BOTH = one-way mode. */
enum rec_pos_idx { REC_PIDX_BOTH = 0, REC_PIDX_LONG = 1, REC_PIDX_SHORT = 2 };

/* Which sources contributed a fact (bit set). */
enum rec_source { REC_SRC_STREAM = 1, REC_SRC_REST = 2, REC_SRC_DB = 4, REC_SRC_ORDER = 8 };

struct rec_position {
	char symbol[REC_SYM_MAX]; /* exchange symbol, e.g. BTCUSDT */
	enum rec_side side;       /* LONG/SHORT; UNKNOWN if size 0 or unreadable */
	double size;              /* >= 0; 0 means flat */
	double entry_price;       /* 0 = unknown */
	double mark_price;        /* 0 = unknown */
	enum rec_pos_idx pidx;    /* hedge-mode position side, BOTH in one-way */
	double stop_loss;         /* Bybit position-attached stopLoss; 0 = none */
	double take_profit;       /* Bybit position-attached takeProfit; 0 = none */
	int64_t update_ms;        /* exchange's update/event time; 0 = unknown */
	int64_t seq;              /* exchange sequence (Bybit seq), 0 = none */
	int64_t seen_ms;          /* when vigil received it */
	unsigned sources;         /* enum rec_source bits */
	/* Stream cache only: when the stream saw this position open after
	 * reporting it flat or on the other side (vigil's clock): the start
	 * of this incarnation. 0 = no such transition seen. */
	int64_t opened_ms;
};

enum rec_order_status {
	REC_OST_UNKNOWN = 0,
	REC_OST_NEW, /* resting (regular) or untriggered (conditional) */
	REC_OST_PARTIAL,
	REC_OST_FILLED,
	REC_OST_CANCELED,
	REC_OST_REJECTED,
	REC_OST_EXPIRED,
	REC_OST_TRIGGERING, /* Binance algo TRIGGERING; treat lingering as unprotected */
	REC_OST_TRIGGERED,
};

/* What a conditional order does when it fires. */
enum rec_order_kind {
	REC_OK_REGULAR = 0, /* limit/market in the matching engine */
	REC_OK_STOP_LOSS,   /* STOP_MARKET / STOP / Bybit StopLoss, PartialStopLoss */
	REC_OK_TAKE_PROFIT,
	REC_OK_TRAILING,
	REC_OK_OTHER,
	/* Bybit stopOrderType "Stop": a plain conditional order that is a
	 * stop-loss or a take-profit only by its triggerDirection relative to
	 * the position (docs/exchange-facts.md 2.5) */
	REC_OK_CONDITIONAL,
};

/* Which way the working price must move for a conditional order to fire,
 * as the exchange documents it: Bybit triggerDirection (1 rise, 2 fall);
 * Binance by type and side (STOP* BUY rises, SELL falls; TAKE_PROFIT*
 * the reverse; TRAILING_STOP_MARKET as a stop). The adapter sets it. */
enum rec_trig_dir { REC_TRIG_UNKNOWN = 0, REC_TRIG_RISE = 1, REC_TRIG_FALL = 2 };

/* Unknown / no / yes, for facts an exchange may not state. */
enum rec_tri { REC_TRI_UNKNOWN = 0, REC_TRI_NO = 1, REC_TRI_YES = 2 };

/* The account's position mode as the exchange reports it (Binance
 * positionSide/dual, Bybit positionIdx of the position rows). */
enum rec_pos_mode { REC_MODE_UNKNOWN = 0, REC_MODE_ONEWAY = 1, REC_MODE_HEDGE = 2 };

struct rec_order {
	char id[REC_ID_MAX];        /* orderId, or algoId for Binance algo orders */
	char client_id[REC_ID_MAX]; /* clientOrderId / clientAlgoId / orderLinkId */
	char symbol[REC_SYM_MAX];
	enum rec_oside side;
	enum rec_order_kind kind;
	char type[32];    /* exchange's type string, for humans */
	bool conditional; /* has a trigger (stop / TP / algo) */
	bool reduce_only;
	bool close_position;    /* Binance closePosition=true, Bybit position stop */
	bool is_algo;           /* Binance Algo Service order (cancel via algo API) */
	bool position_attached; /* synthesized from a Bybit position's stopLoss */
	enum rec_pos_idx pidx;
	double trigger_price; /* 0 = none */
	double price;         /* limit price; 0 = market */
	double qty;           /* 0 with close_position = whole position */
	double filled;
	enum rec_order_status status;
	int64_t created_ms;
	int64_t update_ms;
	unsigned sources;
	/* Appended (issue 14). */
	enum rec_trig_dir trigger_dir; /* UNKNOWN = the exchange did not say */
	bool close_on_trigger;         /* Bybit closeOnTrigger: reduces, may cancel others */
	double activate_price;         /* trailing: activation price; 0 = none given */
	enum rec_tri activated;        /* trailing: Binance ALGO_UPDATE "ia"; UNKNOWN = not said */
	char settle[8];                /* Bybit settle coin of the listing ("" = default) */
};

/* One row of the bot's database, as the configured query returns it.
 * The bot's belief only: never a source of an order's size or side. */
struct rec_bot_row {
	char symbol[REC_SYM_MAX]; /* as the bot stores it (may be BTC/USDT:USDT) */
	char exchange[24];
	enum rec_side side;
	double qty;
	double entry_price;
	char status[24];   /* e.g. "active" */
	int64_t opened_ms; /* 0 = unknown */
};

/* The private stream's view of one account, kept by the stream thread for
 * every symbol it ever reported (known to the bot or not: SKLUSDT). An
 * older event never overwrites a newer one (see rec_stream_apply_*). Part
 * of the model so the adapters keep it without calling the core. */
#define REC_STREAM_MAX_POS 1024
#define REC_STREAM_MAX_ORD 2048
/* From this many entries on, a new order reuses the slot of one finished
 * at least REC_STREAM_FINISHED_KEEP_MS before it (exchange time). */
#define REC_STREAM_REUSE_FROM 128
#define REC_STREAM_FINISHED_KEEP_MS (5 * 60 * 1000)

enum rec_stream_state { REC_SS_DOWN = 0, REC_SS_CONNECTING, REC_SS_UP };

struct rec_stream_cache {
	enum rec_stream_state state;
	int64_t connected_ms;  /* when the current connection came up */
	int64_t last_msg_ms;   /* last message of any kind (incl. pong) */
	int64_t last_event_ms; /* last account/order event */
	uint64_t reconnects;
	size_t npos;
	struct rec_position pos[REC_STREAM_MAX_POS]; /* size 0 = reported flat */
	size_t nord;
	struct rec_order ord[REC_STREAM_MAX_ORD]; /* latest state per order id */
};

/* Rule 6 (SKLUSDT; the list of rules is reconcile/rules.h), model_stream.c:
 * pure operations on the cache, called under the adapter's lock. Every
 * symbol is kept, known to the bot or not; size 0 is kept as "reported
 * flat". An older event (seq, else update_ms) never overwrites a newer
 * one. Return 0 applied, 1 ignored (older), -1 full. */
int rec_stream_apply_position(struct rec_stream_cache *c, const struct rec_position *pos);
int rec_stream_apply_order(struct rec_stream_cache *c, const struct rec_order *ord);
/* Latest entry for (symbol, pidx) or NULL. */
const struct rec_position *rec_stream_find_position(const struct rec_stream_cache *c, const char *symbol,
						    enum rec_pos_idx pidx);
const struct rec_order *rec_stream_find_order(const struct rec_stream_cache *c, const char *id, bool is_algo);

/* ---- findings ---- */

enum rec_severity { REC_SEV_INFO = 0, REC_SEV_WARNING = 1, REC_SEV_CRITICAL = 2 };

/* Stable codes: never renumber, append only (stored in the database). */
enum rec_code {
	REC_ORPHAN_POSITION = 0,
	REC_UNPROTECTED_POSITION,
	REC_WRONG_SIDE_STOP,
	REC_UNDERSIZED_STOP,
	REC_ORPHAN_ORDER,
	REC_DUPLICATE_STOP,
	REC_PHANTOM_POSITION,
	REC_SIZE_MISMATCH,
	REC_SIDE_MISMATCH,
	REC_REST_GLITCH,
	REC_STREAM_DOWN,
	REC_STREAM_STALE,
	REC_SOURCE_UNREACHABLE,
	REC_CLOCK_SKEW,
	REC_REPAIR_FAILED,
	REC_CLOSE_UNVERIFIED,
	REC_UNKNOWN_SIDE,
	REC_CONFIG_DRIFT,       /* exchange position mode differs from config */
	REC_OUTCOME_UNKNOWN,    /* an action was sent and no answer says what happened */
	REC_JOURNAL_UNREADABLE, /* unfinished intents cannot be listed: nothing is sent */
	REC_RATE_LIMITED,       /* the exchange limited / banned the IP: nothing is sent */
	REC_STORAGE_FULL,       /* the spool cannot be written (ENOSPC / EFBIG) while the database is away */
	REC_CODE_COUNT
};

/* What one source said about a symbol. */
struct rec_view {
	bool present; /* the source answered and listed it */
	enum rec_side side;
	double size;
};

struct rec_finding {
	enum rec_code code;
	enum rec_severity severity;
	char account[REC_ACCT_MAX];
	enum rec_exchange exchange;
	char symbol[REC_SYM_MAX]; /* "" for account-level findings */
	char key[REC_KEY_MAX];    /* account:exchange:symbol:CODE */
	struct rec_view stream, rest, db;
	/* The position as the exchange confirms it (never from the DB): what a
	 * repair may act on. side UNKNOWN = nothing may be sent. */
	enum rec_side pos_side;
	enum rec_pos_idx pidx;
	double pos_size;
	double entry_price;
	double mark_price;
	/* The order concerned (WRONG_SIDE_STOP, ORPHAN_ORDER, DUPLICATE_STOP...). */
	char order_id[REC_ID_MAX];
	bool order_is_algo;
	double stop_qty;             /* total covering stop quantity found */
	bool repairable;             /* false when derived from a REST glitch etc. */
	char detail[REC_DETAIL_MAX]; /* human text: what each source said */
	int64_t first_seen_ms;
	int64_t last_seen_ms;
};

const char *rec_code_name(enum rec_code c);
enum rec_severity rec_code_default_severity(enum rec_code c);
int rec_code_parse(const char *name, enum rec_code *out); /* 0 ok */
const char *rec_severity_name(enum rec_severity s);
const char *rec_side_name(enum rec_side s);   /* LONG/SHORT/UNKNOWN */
const char *rec_oside_name(enum rec_oside s); /* BUY/SELL/UNKNOWN */
const char *rec_exchange_name(enum rec_exchange e);
/* The order side that closes a position of side s; UNKNOWN for UNKNOWN. */
enum rec_oside rec_closing_side(enum rec_side s);
/* Writes "account:exchange:symbol:CODE" into f->key. */
void rec_finding_make_key(struct rec_finding *f);

#endif
