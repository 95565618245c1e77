/* vigil-sim private header: the table of contents of exchanges/sim/.
 * One service thread owns everything below; nothing here is thread-safe.
 * The sim shares no wire-format code with the adapters (exchanges/ adapters). */
#ifndef SIM_H
#define SIM_H
#include <stddef.h>
#include <json-c/json.h>

/* Symbols and per-account positions grow on demand; this is only a sanity
 * cap on how many symbols one sim may hold (benchmarks use ~1000). */
#define SIM_MAX_SYM 4096
#define SIM_HIST 32
#define SIM_LOG_MAX 5000

enum sim_exch { SIM_BINANCE = 0, SIM_BYBIT = 1 };

struct sim_symbol {
	char name[24], base[16];
	char settle[8]; /* settle (and quote) coin: USDT, or USDC (Bybit ...PERP) */
	int ex_mask;    /* exchanges listing it: 1 << SIM_BINANCE | 1 << SIM_BYBIT */
	double mark, mark0, tick, step, min_qty;
	int pdp, qdp; /* decimals of tick / step */
};

struct sim_pos_snap {
	long long t;
	double amt, entry;
};

/* ps: 0 BOTH (one-way), 1 LONG, 2 SHORT; amt signed (LONG >= 0, SHORT <= 0) */
struct sim_position {
	int sym, ps;
	double amt, entry, realised;
	double sl, tp; /* Bybit position TP/SL (Full mode), 0 = none */
	double trail;  /* Bybit position trailingStop distance, 0 = none */
	long long created, updated;
	struct sim_pos_snap *hist; /* SIM_HIST slots, allocated on the first fill */
	int nhist;
};

/* Who did something to an order: a REST request of a client, the control
 * API / scenario (the bot's side of a test), or the engine on its own. */
enum sim_by { SIM_BY_SIM = 0, SIM_BY_REST = 1, SIM_BY_ENGINE = 2 };

struct sim_order {
	long long id; /* Binance orderId / algoId; Bybit numeric part */
	char oid[48]; /* Bybit orderId string; Binance decimal of id */
	char client[64];
	int sym, side;      /* side +1 BUY, -1 SELL */
	int cond;           /* 1 = conditional (Binance algo / Bybit Untriggered) */
	char type[24];      /* exchange's own word: MARKET, STOP_MARKET / Market, Limit */
	char stop_type[20]; /* Bybit stopOrderType ("" plain, Stop, StopLoss, TakeProfit,
			     * TrailingStop, PartialStopLoss, PartialTakeProfit) */
	char status[24];    /* exchange's own status word */
	char tif[16];
	char cancel_type[32];
	char source[8]; /* api, sim, trigger */
	double qty, price, trigger, executed, avg;
	int trig_dir; /* 1 fire when mark >= trigger, 2 when mark <= trigger */
	int reduce_only, close_position, close_on_trigger;
	int ps;
	int open; /* still working (in book / untriggered) */
	long long created, updated, trigger_time, visible_at;
	long long actual_id; /* Binance: regular order placed on trigger */
	char reject_reason[48];
	/* trailing stops (Binance TRAILING_STOP_MARKET, Bybit TrailingStop) */
	int trailing, active;             /* active: activation price reached (or none given) */
	double activate;                  /* activatePrice / activePrice, 0 = active at once */
	double callback;                  /* Binance callbackRate, percent */
	double distance;                  /* Bybit trailingStop, price distance */
	double best;                      /* best mark since activation */
	int stuck;                        /* condition met, stuck in TRIGGERING: never places an order */
	int created_by, cancelled_by;     /* enum sim_by */
	long long create_req, cancel_req; /* /_sim/log seq of that REST request, 0 = none */
	char cancel_req_name[112];        /* "METHOD path" of the cancelling request */
};

/* What a conditional order does when it fires, as the engine would run it
 * against the position as it is now (sim_fire_effect). */
struct sim_effect {
	int side, ps; /* the order it places (side +1 / -1, position side 0/1/2) */
	double qty;   /* resolved: closePosition / closeOnTrigger = the whole leg */
	int reducing; /* reduce-only semantics: reduceOnly, closePosition,
			 * closeOnTrigger or a hedge-mode closing side */
	int fires_on; /* +1 fires on a rising mark, -1 on a falling one, 0 cannot
			 * fire on a one-way move (trailing stop not activated by it) */
	int fills;    /* 1 when the order placed at the trigger fills there (always
			 * for market; a limit only if its price is on the filling side) */
};

/* Bybit position TP/SL request (trading-stop and the scenario op tpsl). */
struct sim_tpsl {
	int partial;             /* tpslMode Partial */
	double sl, tp;           /* < 0 not given, 0 = cancel */
	double sl_size, tp_size; /* Partial mode */
	double trail;            /* trailingStop distance: < 0 not given, 0 = cancel */
	double active;           /* activePrice (trailing), 0 = none */
};

struct sim_account {
	enum sim_exch ex;
	char key[128], secret[128];
	double balance, balance0;
	int hedge, hedge0;
	/* Symbols it trades: every symbol of the world, including ones added
	 * later, unless the scenario gave the account its own list (restricted,
	 * then symset is a bitset indexed by symbol id). */
	int restricted;
	unsigned char *symset;
	int symset_n; /* bytes */
	/* pos[sym] -> 3 positions (BOTH, LONG, SHORT), allocated on first use
	 * so pointers stay valid while the table grows; npos = table length */
	struct sim_position **pos;
	int npos;
	struct sim_order **orders; /* owned; pointers stay valid */
	size_t norders, cap;
	char listen_key[72];
	long long lk_expires;
	long long seq;
	struct json_object *log; /* array of log entries */
	long long log_seq;
	struct json_object *olog; /* order events: every create / cancel / trigger */
	long long olog_seq;
	struct sim_world *world;      /* back pointer (symbol table for sim_account_has) */
	struct json_object *counters; /* "METHOD path" -> {count, weight, limited} */
	long long total, weight, limited;
	long long bal_updated;
	/* Binance order counters (X-MBX-ORDER-COUNT-1M / -10S): calendar windows */
	long long oc_min, oc_1m, oc_10s_win, oc_10s;
};

struct sim_fault {
	int id;
	char type[24];
	int ex; /* -1 any */
	char endpoint[96], account[128], symbol[24], msg[128];
	long long from, until; /* absolute ms, until 0 = open */
	int count;             /* -1 unlimited */
	int hits, status, ms, retry_after, code;
	char mode[8]; /* answer_lost: drop, hang, error, delay */
	struct sim_fault *next;
};

/* Rolling window: timestamps of the last cap accepted requests. */
struct sim_ring {
	long long *t;
	int cap, head, n; /* head = next slot to write; n <= cap */
};

/* Bybit per-UID (API key) per-endpoint rolling-second bucket. */
struct sim_uid_bucket {
	char key[128], name[112]; /* API key ("public" without one), "METHOD path" */
	int limit;
	struct sim_ring ring;
	long long accepted, rejected;
	struct sim_uid_bucket *next;
};

/* Rate-limit enforcement (sim_limits.c). Every limit 0 = unlimited (off). */
struct sim_limits_cfg {
	int bn_weight_1m;    /* Binance REQUEST_WEIGHT per calendar minute, per IP */
	int bn_ban_after;    /* further 429s in one window tolerated before the ban */
	long long bn_ban_ms; /* first ban; doubles per repeat, capped at 3 days */
	int bb_ip_5s;        /* Bybit requests per IP per rolling 5 s */
	long long bb_ban_ms; /* Bybit IP block after a 403 */
	int bb_uid;          /* enforce Bybit per-UID per-endpoint limits (10006) */
};

#define SIM_WHIST 16
struct sim_limits {
	struct sim_limits_cfg cfg, cfg0; /* cfg0: at start, restored by /_sim/reset */
	/* Binance, one IP: the calendar-minute weight is w->wmin / w->wused */
	long long whist_min[SIM_WHIST], whist_used[SIM_WHIST]; /* past windows */
	int whist_n;
	long long strikes_min; /* window of the strikes */
	int strikes;           /* 429s answered in that window */
	long long bn_ban_until;
	int bn_bans;
	long long bn_429, bn_418;
	/* Bybit */
	struct sim_ring bb_ip;
	long long bb_ban_until;
	int bb_bans;
	long long bb_403, bb_10006;
	struct sim_uid_bucket *uid;
};

/* Error as the exchange would answer it: code + message (+HTTP status). */
struct sim_err {
	int code, http;
	char msg[160];
};

/* Engine-level failure reasons; each exchange maps them to its own codes. */
enum sim_fail {
	SIM_F_OK = 0,
	SIM_F_BAD_PARAM,
	SIM_F_NO_SYMBOL,
	SIM_F_REDUCE_ONLY,
	SIM_F_WOULD_TRIGGER,
	SIM_F_MIN_QTY,
	SIM_F_DUP_CLIENT,
	SIM_F_MARGIN,
	SIM_F_REJECT
};

struct sim_world;
typedef void (*sim_emit_fn)(struct sim_world *w, struct sim_account *a, const char *topic, const char *payload);

struct sim_world {
	struct sim_symbol *sym; /* grows; do not keep pointers across sim_symbol_add */
	int nsym, symcap;
	struct sim_account **acct;
	int nacct;
	struct sim_fault *faults;
	int next_fault_id;
	unsigned long long rng, seed;
	long long next_id;
	sim_emit_fn emit; /* stream sink (server or test) */
	void *emit_ctx;
	long long wmin, wused; /* Binance weight: current minute and its sum */
	struct sim_limits lim;
	struct json_object *start_accounts; /* for reset: account specs */
	long long fake_now;                 /* tests: fixed clock when non-zero */
	void *srv;                          /* sim_server, when running */
	struct sim_account *anon;           /* log + counters of requests without a known key */
	/* the REST request being handled (orders created / cancelled by it) */
	int in_rest;
	long long rest_seq;  /* the /_sim/log seq its entry will get */
	char rest_name[112]; /* "METHOD path" */
};

/* A parsed HTTP request (filled by the server or by a test). */
struct sim_req {
	const char *method, *path;
	const char *query; /* raw, without '?', never NULL */
	const char *body;  /* never NULL */
	size_t body_len;
	const char *mbx_key; /* X-MBX-APIKEY or NULL */
	const char *bapi_key, *bapi_ts, *bapi_recv, *bapi_sign;
	const char *content_type;
};

#define SIM_MAX_HDR 6
struct sim_resp {
	int status;
	char *body; /* malloc'd */
	size_t len;
	int delay_ms;
	int hn;
	char hname[SIM_MAX_HDR][40], hval[SIM_MAX_HDR][64];
	char client_id[64]; /* for the log */
	struct sim_account *acct;
	int weight;
	int limited; /* rejected by the rate limiter: 429 / 418 / 403 / 10006 */
	int lost;    /* answer_lost: SIM_LOST_DROP (close, no answer), SIM_LOST_HANG */
};
enum { SIM_LOST_NONE = 0, SIM_LOST_DROP = 1, SIM_LOST_HANG = 2 };

/* sim_util.c */
long long sim_real_ms(void);
long long sim_now(struct sim_world *w, int ex); /* with clock_offset faults */
unsigned long long sim_rand(struct sim_world *w);
void sim_fmt(char *buf, size_t n, double v, int dp);
int sim_dp_of(double step);
double sim_round_step(double v, double step);
double sim_num(struct json_object *o); /* number or decimal string, 0 if absent */
/* A decimal from a request; NaN, infinities and |v| > SIM_NUM_MAX read as 0
 * so no fill, mark or id arithmetic can overflow. */
#define SIM_NUM_MAX 1e15
double sim_dec(const char *s);
/* v clamped to [lo, hi], NaN -> lo: a cast of wild input stays defined. */
long long sim_clamp(double v, long long lo, long long hi);
long long sim_parse_ll(const char *s, long long lo, long long hi); /* decimal, clamped */
const char *sim_jstr(struct json_object *o, const char *key);      /* NULL if absent */
void sim_jdec(struct json_object *o, const char *key, double v, int dp);
void sim_jstr_add(struct json_object *o, const char *key, const char *v);
void sim_jint(struct json_object *o, const char *key, long long v);
void sim_jbool(struct json_object *o, const char *key, int v);
char *sim_json_take(struct json_object *o);                           /* serialise (malloc'd) + put */
int sim_param(const char *qs, const char *name, char *out, size_t n); /* 1 found */
/* Decodes a chunked transfer-coded body: 1 complete (*out malloc'd, NUL
 * terminated), 0 incomplete, -1 malformed. */
int sim_dechunk(const char *in, size_t n, char **out, size_t *outlen);
void sim_resp_json(struct sim_resp *r, int status, struct json_object *o);
void sim_resp_hdr(struct sim_resp *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* sim_sign.c */
void sim_hmac_hex(const char *secret, const char *msg, size_t msg_len, char out[65]);
int sim_sig_ok(const char *secret, const char *msg, size_t len, const char *sig);

/* sim_world.c: accounts, symbols, defaults */
struct sim_world *sim_world_new(unsigned long long seed);
void sim_world_free(struct sim_world *w);
int sim_symbol_add(struct sim_world *w, const char *name, double mark, double tick, double step, double min_qty);
int sim_symbol_find(struct sim_world *w, const char *name);
/* Settle coin ("USDT"/"USDC", NULL = keep) and exchange mask (0 = keep). */
void sim_symbol_meta(struct sim_world *w, int sym, const char *settle, int ex_mask);
int sim_symbol_listed(struct sim_world *w, int sym, int ex); /* listed on that exchange */
struct sim_account *sim_account_add(struct sim_world *w, enum sim_exch ex, const char *key, const char *secret,
				    double balance, int hedge);
struct sim_account *sim_account_find(struct sim_world *w, const char *key);
struct sim_account *sim_account_first(struct sim_world *w, int ex); /* ex -1 any */
void sim_account_reset(struct sim_world *w, struct sim_account *a);
void sim_world_defaults(struct sim_world *w, int what); /* 1 symbols, 2 accounts (if none) */
void sim_world_reset(struct sim_world *w);
int sim_account_has(struct sim_account *a, int sym);
/* Restricts the account to an explicit list (empty until sim_account_allow). */
void sim_account_restrict(struct sim_account *a);
int sim_account_allow(struct sim_account *a, int sym); /* -1 bad id */
void sim_log_add(struct sim_world *w, struct sim_account *a, struct json_object *entry);
/* Order event log (GET /_sim/order_log): event = create, cancel, trigger,
 * activate, stuck, reject, amend. by = enum sim_by. */
void sim_order_event(struct sim_world *w, struct sim_account *a, struct sim_order *o, const char *event, int by,
		     const char *reason);
const char *sim_by_name(int by);
/* SIM_BY_ENGINE stays; anything else is REST while a request is handled. */
int sim_by_resolve(struct sim_world *w, int by);
void sim_count(struct sim_account *a, const char *method, const char *path, int weight, int limited);
void sim_new_listen_key(struct sim_world *w, struct sim_account *a);

/* sim_engine.c: orders, fills, triggers */
/* The position (allocated on first use); NULL only for a bad sym / ps. */
struct sim_position *sim_pos(struct sim_account *a, int sym, int ps);
/* The position if it was ever used, else NULL (nothing allocated). */
struct sim_position *sim_pos_peek(struct sim_account *a, int sym, int ps);
void sim_pos_free_all(struct sim_account *a);
struct sim_order *sim_order_new(struct sim_world *w, struct sim_account *a);
struct sim_order *sim_order_by_id(struct sim_account *a, const char *id, const char *client, int cond);
enum sim_fail sim_place(struct sim_world *w, struct sim_account *a, struct sim_order *o);
/* by: SIM_BY_ENGINE for the engine's own cancels; anything else means the
 * caller acts for a client (a REST request when one is being handled). */
void sim_cancel(struct sim_world *w, struct sim_account *a, struct sim_order *o, const char *cancel_type, int by);
/* Effect of o firing now (see struct sim_effect); 0 if o is not live. */
int sim_fire_effect(struct sim_world *w, struct sim_account *a, const struct sim_order *o, struct sim_effect *e);
/* How much of leg p the live conditional order o would close if the mark
 * moved against p until o fires (0 = o does not protect p). */
double sim_order_protects(struct sim_world *w, struct sim_account *a, const struct sim_order *o,
			  const struct sim_position *p);
/* Price at which o fires now (trigger; trailing: activation or current stop). */
double sim_order_level(struct sim_world *w, const struct sim_order *o);
/* Marks a live conditional order stuck in TRIGGERING (Binance) / Triggered. */
void sim_order_stick(struct sim_world *w, struct sim_account *a, struct sim_order *o);
void sim_set_mark(struct sim_world *w, int sym, double mark);
void sim_check_triggers(struct sim_world *w);
int sim_pos_has_orders(struct sim_account *a, int sym);
void sim_pos_view(struct sim_world *w, struct sim_account *a, struct sim_position *p, long long lag_ms, double *amt,
		  double *entry);
double sim_upnl(struct sim_world *w, struct sim_position *p, double amt, double entry);
void sim_bybit_set_stop(struct sim_world *w, struct sim_account *a, int sym, int ps, double sl, double tp);
/* Bybit trading-stop on position (sym, ps): 0 ok, else the Bybit retCode
 * (msg set): 10001 bad side / no position / bad size, 34040 not modified. */
int sim_bybit_tpsl(struct sim_world *w, struct sim_account *a, int sym, int ps, const struct sim_tpsl *t, char *msg,
		   size_t n);

/* sim_stream.c: pushes engine events through the exchange's builders */
void sim_stream_order(struct sim_world *w, struct sim_account *a, struct sim_order *o, double fill_qty,
		      double fill_price);
void sim_stream_position(struct sim_world *w, struct sim_account *a, struct sim_position *p);
void sim_stream_listen_key_expired(struct sim_world *w, struct sim_account *a);

/* sim_fault.c */
struct sim_fault *sim_fault_add(struct sim_world *w, struct json_object *spec, char *err, size_t errn);
struct sim_fault *sim_fault_find(struct sim_world *w, const char *type, int ex, const char *path, const char *key,
				 int consume);
/* Same, for engine faults scoped by symbol (fault symbol "" = any). */
struct sim_fault *sim_fault_find_sym(struct sim_world *w, const char *type, int ex, const char *key, const char *symbol,
				     int consume);
void sim_fault_clear(struct sim_world *w, int id); /* id < 0: all */
struct json_object *sim_fault_list(struct sim_world *w);

/* sim_limits.c: rate limits (off by default), see README "Rate limits" */
void sim_limits_init(struct sim_world *w);
void sim_limits_free(struct sim_world *w);
/* Clears windows, bans and counters; cfg back to cfg0 when restore. */
void sim_limits_clear(struct sim_world *w, int restore);
/* Applies a limits object (POST /_sim/limits, scenario "limits", step op
 * limits): -1 with err set on a bad key / value (nothing applied). */
int sim_limits_set(struct sim_world *w, struct json_object *o, char *err, size_t errn);
struct json_object *sim_limits_json(struct sim_world *w);
/* Before a REST request is handled: 1 = rejected (r holds the answer). */
int sim_limits_pre(struct sim_world *w, int ex, const struct sim_req *rq, struct sim_account *a, struct sim_resp *r);
/* After: charges the weight of a served Binance request, sets the header. */
void sim_limits_post(struct sim_world *w, int ex, struct sim_resp *r);
/* Binance order counters of account a for a new order (headers). */
void sim_limits_order_count(struct sim_world *w, struct sim_account *a, struct sim_resp *r);

/* sim_rest.c: common REST entry (faults, logging, counters) */
void sim_rest_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r);

/* sim_binance_rest.c */
void sim_bn_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r);
int sim_bn_weight(const char *method, const char *path, const char *query);
const char *sim_bn_client_id(const struct sim_req *rq, char *buf, size_t n);
struct json_object *sim_bn_order_json(struct sim_world *w, struct sim_order *o);
struct json_object *sim_bn_algo_json(struct sim_world *w, struct sim_order *o);
void sim_bn_err(struct sim_resp *r, int http, int code, const char *msg);

/* sim_binance_ws.c: user-stream event builders (full event JSON, malloc'd) */
char *sim_bn_ev_order(struct sim_world *w, struct sim_account *a, struct sim_order *o, double fill_qty,
		      double fill_price);
char *sim_bn_ev_algo(struct sim_world *w, struct sim_account *a, struct sim_order *o);
char *sim_bn_ev_account(struct sim_world *w, struct sim_account *a, struct sim_position *p);
char *sim_bn_ev_listen_key_expired(struct sim_world *w, struct sim_account *a);

/* sim_bybit_rest.c */
void sim_bb_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r);
struct json_object *sim_bb_order_json(struct sim_world *w, struct sim_order *o, int ws);
struct json_object *sim_bb_position_json(struct sim_world *w, struct sim_account *a, struct sim_position *p, double amt,
					 double entry, int ws);
struct json_object *sim_bb_wallet_json(struct sim_world *w, struct sim_account *a, int ws);
void sim_bb_envelope(struct sim_world *w, struct sim_resp *r, int code, const char *msg, struct json_object *result);
/* Documented per-UID limit (requests per rolling second) of a Bybit route,
 * 0 when method + path is not a route. */
int sim_bb_uid_limit(const char *method, const char *path);

/* sim_bybit_ws.c: topic payloads (data arrays, malloc'd) and op handling */
char *sim_bb_ev_order(struct sim_world *w, struct sim_account *a, struct sim_order *o);
char *sim_bb_ev_execution(struct sim_world *w, struct sim_account *a, struct sim_order *o, double qty, double price);
struct json_object *sim_bb_exec_json(struct sim_world *w, struct sim_account *a, struct sim_order *o, double qty,
				     double price, long long seq);
char *sim_bb_ev_position(struct sim_world *w, struct sim_account *a, struct sim_position *p);
char *sim_bb_ev_wallet(struct sim_world *w, struct sim_account *a);
/* Handles one client frame; writes the answer (malloc'd) to *reply or NULL.
 * *acct is set after a successful auth. */
void sim_bb_ws_op(struct sim_world *w, const char *msg, size_t len, struct sim_account **acct, char subs[4][24],
		  const char *conn_id, char **reply);
int sim_bb_topic_index(const char *topic); /* position 0, order 1, execution 2, wallet 3 */

/* sim_scenario.c */
int sim_scenario_load(struct sim_world *w, struct json_object *sc, int at_start, char *err, size_t errn);
int sim_step_run(struct sim_world *w, struct json_object *step, struct json_object *ans);
void sim_scenario_cancel(struct sim_world *w);

/* sim_control.c */
void sim_control_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r);
struct json_object *sim_state_json(struct sim_world *w, struct sim_account *a);
/* Protection per open position leg, by the exchange's own semantics. */
struct json_object *sim_protection_json(struct sim_world *w, struct sim_account *a, struct json_object *stops);

/* sim_tls.c: --tls-dir DIR. Uses DIR's server.pem / server.key when both
 * are there, else (DIR empty of all three) generates a test CA (ca.pem)
 * and a server certificate for IP:127.0.0.1 / DNS:localhost signed by it.
 * 0, or -1 with err set. */
struct sim_tls {
	char ca[4096], cert[4096], key[4096];
	int generated; /* 1: made now; 0: the directory's own */
};
int sim_tls_prepare(const char *dir, struct sim_tls *t, char *err, size_t errlen);

/* sim_server.c */
struct sim_server;
/* tls NULL: plain HTTP / WebSocket; else HTTPS / WSS on the same port. */
struct sim_server *sim_server_new(struct sim_world *w, int port, const struct sim_tls *tls, int *bound);
int sim_server_service(struct sim_server *s); /* one lws_service; <0 = stop */
void sim_server_free(struct sim_server *s);
void sim_server_disconnect(struct sim_world *w, struct sim_account *a); /* NULL = all */
/* Schedules fn(w, arg) after ms on the service loop (scenario steps). */
void sim_server_later(struct sim_world *w, int ms, void (*fn)(struct sim_world *, void *), void *arg);
void sim_server_cancel_later(struct sim_world *w);

#endif
