/* Private parts of xch.c and the Binance / Bybit adapters (docs/style.md P4:
 * tests may include this header; the rest of vigil must not).
 *
 * struct xch_priv hangs off struct xch.priv for both real adapters. The
 * engine thread owns `http`; the hub's service thread (one for all streams,
 * xch_ws.c) owns everything in struct xch_stream except the cache, which is
 * shared under `mu`, and what a deferred job may touch while it runs. */
#ifndef XCH_INT_H
#define XCH_INT_H
#include <json-c/json.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "exchanges/exchange.h"
#include "exchanges/http.h"

/* After each REST answer: counts it, copies its rate-limit headers (when
 * count_limits) and reports its latency through cfg.on_rest. */
void xch_note_rest(struct xch *x, const struct xch_req *r, bool count_limits);
/* A business-level rate limit (Bybit retCode 10006 / 10018 on HTTP 200)
 * stops the budget like a 429 does; rc is the mapped answer. */
void xch_budget_answer(struct xch *x, const struct xch_req *r, int rc, const struct xch_err *err);

#define XCH_CAP_WS_MSG (4u * 1024 * 1024)
#define XCH_OUTQ_MAX 16
/* the stream hub's REST workers (listenKey POST / PUT): streams come up this
 * many at a time; the hub runs 1 + XCH_HUB_WORKERS threads for any number
 * of accounts */
#define XCH_HUB_WORKERS 4

struct xch_stream;

/* What an adapter plugs into the generic WebSocket client (xch_ws.c).
 * All hooks run in the stream thread. */
struct xch_stream_proto {
	/* Builds the URL to connect to. Runs on a hub worker thread, never the
	 * service thread, so it may do blocking REST (the Binance listenKey)
	 * on the stream's own http; it must touch nothing but the stream's
	 * adapter REST state. Returns 0, or -1 to retry later with backoff. */
	int (*prepare)(struct xch_stream *s, char *url, size_t cap);
	void (*on_open)(struct xch_stream *s);
	/* One complete text message. */
	void (*on_message)(struct xch_stream *s, const char *msg, size_t len, int64_t recv_ns);
	/* Called every tick (tune.tick_ms) while the stream is attached, except
	 * while its deferred job runs. */
	void (*on_tick)(struct xch_stream *s, int64_t mono_ms);
	void (*on_close)(struct xch_stream *s);
};

/* Timings; defaults are the production values, tests shorten them with
 * xch_stream_tune() before stream_start. */
struct xch_stream_tuning {
	int64_t backoff_min_ms; /* first reconnect delay (250) */
	int64_t backoff_max_ms; /* cap (30000) */
	int64_t keepalive_ms;   /* Binance listenKey PUT (30 min) */
	int64_t rotate_ms;      /* Binance reconnect before 24 h (23 h) */
	int64_t ping_ms;        /* Bybit op ping (20 s) */
	int64_t stale_ms;       /* no message at all for this long => reconnect (Bybit 3 pings) */
	int64_t tick_ms;        /* housekeeping tick (200) */
	size_t max_msg;         /* message cap (4 MiB) */
};

struct xch_stream {
	struct xch *x;
	const struct xch_stream_proto *proto;
	struct xch_stream_tuning tune;
	/* the hub (xch_ws.c): one lws context and service thread for every
	 * stream, a small fixed pool of workers for the blocking REST calls */
	atomic_bool stop;
	struct lws_context *ctx;      /* the hub's */
	struct lws_vhost *vh;         /* the hub's vhost for this stream's ca_file + proxy */
	struct xch_stream *link_next; /* hub queues: to attach / to detach */
	struct xch_stream *live_next; /* hub: attached streams (service thread) */
	struct xch_stream *job_next;  /* hub: jobs queued / done */
	bool dying;                   /* detaching (service thread) */
	bool detached;                /* the hub let go of it (hub mutex) */
	int64_t next_tick_ms;
	/* one deferred job at a time: work on a worker, done on the service
	 * thread (xch_stream_defer); while busy the stream's tick is skipped */
	bool job_busy;
	void (*job_work)(struct xch_stream *s);
	void (*job_done)(struct xch_stream *s);
	int job_rc;
	struct xch_err job_err;
	char job_url[1200];
	struct lws *wsi;
	bool conn_active; /* a connection is being made or is up */
	bool established;
	bool close_req;       /* drop the connection at the next chance */
	bool ws_ping_pending; /* send a WebSocket ping frame */
	int retry;            /* consecutive failures */
	unsigned rng;
	lws_sorted_usec_list_t sul_connect;
	/* outbound text messages (stream thread only) */
	char *outq[XCH_OUTQ_MAX];
	size_t noutq;
	char conn_work[1200]; /* parsed URL of the current connection */
	char conn_path[1200];
	/* inbound accumulation */
	struct buf rx; /* the message being received (fragments) */
	/* adapter state (stream thread) */
	struct xch_http *http; /* the stream thread's own REST client */
	char listen_key[256];  /* Binance */
	int64_t key_ms;        /* mono ms of last listenKey POST/PUT */
	bool authed;           /* Bybit */
	bool needs_auth;       /* healthy only once authed (Bybit) */
	int64_t last_ping_ms;  /* mono */
	int64_t last_rx_mono_ms;
	int64_t opened_mono_ms;
	char tls_err[128];        /* why OpenSSL refused the peer's certificate ("" none) */
	uint64_t listenkey_posts; /* counters for tests */
	uint64_t listenkey_puts;
	/* shared with readers */
	pthread_mutex_t mu;
	struct rec_stream_cache *cache;
};

struct xch_priv {
	struct xch_http *http; /* engine thread */
	bool clock_synced;
	struct xch_stream *stream; /* NULL until stream_start */
	struct xch_stream_tuning tune;
};

static inline struct xch_priv *xch_priv_of(struct xch *x)
{
	return (struct xch_priv *)x->priv;
}

/* Adapter constructors (binance.c, bybit.c). */
struct xch *bn_new(const struct xch_config *cfg, struct xch_err *err);
struct xch *bb_new(const struct xch_config *cfg, struct xch_err *err);

/* Common construction / destruction of the xch + xch_priv pair. */
struct xch *xch_base_new(const struct xch_ops *ops, const struct xch_config *cfg, struct xch_err *err);
void xch_base_free(struct xch *x);
/* The stream_copy slot of the real adapters (copies under the lock). */
int xch_real_stream_copy(struct xch *x, struct rec_stream_cache *out);

/* Sets an error: rc, http, code and a printf message (redacted). Returns rc. */
int xch_err_set(struct xch_err *err, int rc, int http, long code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Generic stream client (xch_ws.c). start: 0 ok, -1 err set. */
int xch_stream_start(struct xch *x, const struct xch_stream_proto *proto, struct xch_err *err);
void xch_stream_stop(struct xch *x);
/* Stream-thread helpers for adapters. */
void xch_stream_send(struct xch_stream *s, char *msg_take); /* queues (takes ownership) */
void xch_stream_drop(struct xch_stream *s);                 /* close + reconnect */
void xch_stream_ws_ping(struct xch_stream *s);              /* protocol-level ping */
/* Runs work(s) on a hub worker (blocking REST allowed; it may write only
 * job_rc, job_err and the adapter's REST state), then done(s) on the
 * service thread. One job per stream at a time: false if one is running. */
bool xch_stream_defer(struct xch_stream *s, void (*work)(struct xch_stream *), void (*done)(struct xch_stream *));
/* Threads the hub runs now (service + workers; 0 without streams): tests. */
int xch_stream_hub_threads(void);
/* Applies under the cache lock; *_many forms call on_event afterwards. */
void xch_stream_lock(struct xch_stream *s);
void xch_stream_unlock(struct xch_stream *s);
void xch_stream_event(struct xch_stream *s, const char *symbol, int64_t recv_ns);
/* Test hook: change timings before stream_start. */
void xch_stream_tune(struct xch *x, const struct xch_stream_tuning *t);
void xch_stream_tuning_default(struct xch_stream_tuning *t);

/* The stream cache's ordering rules are the model's (rec_stream_apply_*
 * in reconcile/model.h, model_stream.c): one rule for every writer of the
 * cache, and no call into the reconcile core from an adapter. */
#include "reconcile/model.h"

#endif
