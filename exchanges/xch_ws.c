/* The private-stream WebSocket client shared by both adapters.
 *
 * DESIGN: one hub carries every account's stream: one libwebsockets context
 * and one service thread for all of them (lws is single-threaded per
 * context; docs/style.md L1), plus a fixed pool of HUB_WORKERS threads for
 * the blocking REST an adapter needs (the Binance listenKey POST and PUT),
 * so a slow REST answer never stalls the other streams. Threads and
 * contexts do not grow with accounts. Everything lws is touched only from
 * the service thread; other threads queue a stream to attach or detach
 * under the hub mutex and wake it with lws_cancel_service(). Streams that
 * share a ca_file and proxy share one lws vhost (one TLS client context),
 * and that context verifies with the REST transport's store of the same
 * ca_file (tls_store.h), not with certificates of its own.
 * The adapter plugs in through struct xch_stream_proto: it builds the URL,
 * queues auth / subscribe messages on open, parses each complete message and
 * does its housekeeping on a tick (keep-alives, pings, rotation).
 * Reconnects use exponential backoff with jitter and never spin. Messages
 * arrive in fragments: they are accumulated up to a cap, and a message over
 * the cap drops the connection (docs/style.md P8). */
#include <inttypes.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/tls_store.h"
#include "exchanges/xch_int.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#define COMP "xch-stream"

void xch_stream_tuning_default(struct xch_stream_tuning *t)
{
	t->backoff_min_ms = 250;
	t->backoff_max_ms = 30000;
	t->keepalive_ms = 30 * 60 * 1000;
	t->rotate_ms = 23LL * 3600 * 1000;
	t->ping_ms = 20000;
	t->stale_ms = 60000;
	t->tick_ms = 200;
	t->max_msg = XCH_CAP_WS_MSG;
}

void xch_stream_tune(struct xch *x, const struct xch_stream_tuning *t)
{
	xch_priv_of(x)->tune = *t;
}

static void *plain_realloc(void *p, size_t n, const char *reason)
{
	(void)reason;
	if (n == 0) {
		free(p);
		return NULL;
	}
	return realloc(p, n);
}

/* lws' own error lines go through vigil's log (its format, its secret
 * redaction, its rate limit per cause), not straight to stderr. The line
 * about the empty http_proxy_address is ours (vhost_create) and dropped. */
static void lws_emit(int level, const char *line)
{
	(void)level;
	if (strstr(line, "http_proxy needs to be ads:port"))
		return;
	const char *m = strstr(line, "] ");
	m = m ? m + 2 : line;
	size_t n = strcspn(m, "\r\n");
	log_warn(COMP, "libwebsockets: %.*s", (int)n, m);
}

static pthread_once_t lws_once = PTHREAD_ONCE_INIT;
static void lws_global_setup(void)
{
	/* lws' default allocator updates a global counter without a lock,
	 * which races between contexts in two threads (docs/style.md L2). */
	lws_set_allocator(plain_realloc);
	lws_set_log_level(LLL_ERR, lws_emit);
}

void xch_stream_lock(struct xch_stream *s)
{
	pthread_mutex_lock(&s->mu);
}

void xch_stream_unlock(struct xch_stream *s)
{
	pthread_mutex_unlock(&s->mu);
}

void xch_stream_event(struct xch_stream *s, const char *symbol, int64_t recv_ns)
{
	if (s->x->cfg.on_event)
		s->x->cfg.on_event(s->x->cfg.on_event_ud, symbol ? symbol : "", recv_ns);
}

void xch_stream_send(struct xch_stream *s, char *msg)
{
	if (s->noutq >= XCH_OUTQ_MAX) {
		log_warn(COMP, "account=%s outbound queue full, dropping oldest", s->x->cfg.account);
		free(s->outq[0]);
		memmove(s->outq, s->outq + 1, (XCH_OUTQ_MAX - 1) * sizeof s->outq[0]);
		s->noutq--;
	}
	s->outq[s->noutq++] = msg;
	if (s->wsi && s->established)
		lws_callback_on_writable(s->wsi);
}

void xch_stream_drop(struct xch_stream *s)
{
	if (s->wsi && s->conn_active) {
		s->close_req = true;
		lws_callback_on_writable(s->wsi);
	}
}

void xch_stream_ws_ping(struct xch_stream *s)
{
	if (s->wsi && s->established) {
		s->ws_ping_pending = true;
		lws_callback_on_writable(s->wsi);
	}
}

#define HUB_WORKERS XCH_HUB_WORKERS
#define HUB_VHOSTS 16

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
static const struct lws_protocols protocols[] = { { "vigil-xch", ws_cb, 0, 65536, 0, NULL, 0 },
						  { NULL, NULL, 0, 0, 0, NULL, 0 } };

static struct hub {
	pthread_mutex_t life; /* serialises stream start / stop (and the hub's own) */
	pthread_mutex_t mu;   /* the queues, `detached`, `refs` */
	pthread_cond_t detached_cv;
	pthread_cond_t work_cv;
	int refs; /* streams started and not stopped */
	int threads;
	struct lws_context *ctx;
	pthread_t service, workers[HUB_WORKERS];
	atomic_bool stop;
	bool workers_stop;
	struct xch_stream *adds, *dels;           /* to the service thread */
	struct xch_stream *jobs_head, *jobs_tail; /* to the workers */
	struct xch_stream *dones;                 /* from the workers */
	/* service thread only (and the creator before it runs) */
	struct xch_stream *live;
	struct hub_vh {
		char ca_file[PATH_MAX];
		char proxy[512];
		struct lws_vhost *vh;
	} vhs[HUB_VHOSTS];
	size_t nvh;
	lws_sorted_usec_list_t sul_tick;
	int64_t tick_ms;
} hub = {
	.life = PTHREAD_MUTEX_INITIALIZER,
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.detached_cv = PTHREAD_COND_INITIALIZER,
	.work_cv = PTHREAD_COND_INITIALIZER,
};

int xch_stream_hub_threads(void)
{
	pthread_mutex_lock(&hub.mu);
	int n = hub.threads;
	pthread_mutex_unlock(&hub.mu);
	return n;
}

static void wake(void)
{
	if (hub.ctx)
		lws_cancel_service(hub.ctx);
}

bool xch_stream_defer(struct xch_stream *s, void (*work)(struct xch_stream *), void (*done)(struct xch_stream *))
{
	if (s->job_busy)
		return false;
	s->job_busy = true;
	s->job_work = work;
	s->job_done = done;
	s->job_next = NULL;
	pthread_mutex_lock(&hub.mu);
	if (hub.jobs_tail)
		hub.jobs_tail->job_next = s;
	else
		hub.jobs_head = s;
	hub.jobs_tail = s;
	pthread_cond_signal(&hub.work_cv);
	pthread_mutex_unlock(&hub.mu);
	return true;
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hub.mu);
	for (;;) {
		while (!hub.jobs_head && !hub.workers_stop)
			pthread_cond_wait(&hub.work_cv, &hub.mu);
		if (!hub.jobs_head)
			break; /* stopping, and nothing left: every job is done */
		struct xch_stream *s = hub.jobs_head;
		hub.jobs_head = s->job_next;
		if (!hub.jobs_head)
			hub.jobs_tail = NULL;
		pthread_mutex_unlock(&hub.mu);
		s->job_work(s);
		pthread_mutex_lock(&hub.mu);
		s->job_next = hub.dones;
		hub.dones = s;
		wake();
	}
	pthread_mutex_unlock(&hub.mu);
	return NULL;
}

/* The stream is no longer the hub's: its stopper may free it. Nothing may
 * touch s after this. */
static void finish_detach(struct xch_stream *s)
{
	pthread_mutex_lock(&hub.mu);
	s->detached = true;
	pthread_cond_broadcast(&hub.detached_cv);
	pthread_mutex_unlock(&hub.mu);
}

static void set_state(struct xch_stream *s, enum rec_stream_state st)
{
	pthread_mutex_lock(&s->mu);
	s->cache->state = st;
	if (st == REC_SS_UP)
		s->cache->connected_ms = wd_wall_ms();
	pthread_mutex_unlock(&s->mu);
}

static void connect_cb(lws_sorted_usec_list_t *sul);

static void schedule_retry(struct xch_stream *s)
{
	if (atomic_load(&s->stop) || s->dying)
		return;
	int64_t d = s->tune.backoff_min_ms;
	for (int i = 0; i < s->retry && d < s->tune.backoff_max_ms; i++)
		d *= 2;
	if (d > s->tune.backoff_max_ms)
		d = s->tune.backoff_max_ms;
	/* +-25 % jitter so many accounts do not reconnect in lockstep */
	int64_t j = d / 2 > 0 ? (int64_t)(rand_r(&s->rng) % (unsigned)(d / 2 + 1)) - d / 4 : 0;
	d += j;
	if (d < 1)
		d = 1;
	s->retry++;
	set_state(s, REC_SS_DOWN);
	lws_sul_schedule(hub.ctx, 0, &s->sul_connect, connect_cb, (lws_usec_t)d * LWS_US_PER_MS);
}

/* The connection on wsi is gone (or never came up). Last use of s when the
 * stream is being detached. */
static void conn_lost(struct xch_stream *s, struct lws *wsi, const char *why)
{
	if (wsi)
		lws_set_opaque_user_data(wsi, NULL); /* later callbacks of wsi: not ours */
	if (!s->conn_active)
		return;
	s->conn_active = false;
	s->established = false;
	s->wsi = NULL;
	s->close_req = false;
	s->ws_ping_pending = false;
	buf_reset(&s->rx);
	log_info(COMP, "account=%s stream down: %s", s->x->cfg.account, why);
	set_state(s, REC_SS_DOWN);
	if (s->proto->on_close)
		s->proto->on_close(s);
	if (s->dying)
		finish_detach(s);
	else
		schedule_retry(s);
}

static void do_connect(struct xch_stream *s, const char *url)
{
	char *p;
	const char *prot = NULL, *ads = NULL, *path = NULL;
	int port = 0;

	if (!s->vh) {
		log_error(COMP, "account=%s no stream vhost (ca_file or proxy refused)", s->x->cfg.account);
		schedule_retry(s);
		return;
	}
	/* url is parsed in place: lws_parse_uri writes NULs into it. */
	/* kept in s: lws may refer to these strings while connecting */
	snprintf(s->conn_work, sizeof s->conn_work, "%s", url);
	p = s->conn_work;
	if (lws_parse_uri(p, &prot, &ads, &port, &path) != 0) {
		log_error(COMP, "account=%s bad ws_url", s->x->cfg.account);
		schedule_retry(s);
		return;
	}
	snprintf(s->conn_path, sizeof s->conn_path, "/%s", path ? path : "");

	struct lws_client_connect_info i;
	memset(&i, 0, sizeof i);
	i.context = hub.ctx;
	i.vhost = s->vh;
	i.address = ads;
	i.port = port;
	i.path = s->conn_path;
	i.host = ads;
	i.origin = ads;
	i.protocol = NULL;
	i.local_protocol_name = "vigil-xch";
	i.opaque_user_data = s;
	if (strcmp(prot, "wss") == 0 || strcmp(prot, "https") == 0)
		i.ssl_connection = LCCSCF_USE_SSL; /* full verification, always */
	s->conn_active = true;
	s->established = false;
	struct lws *w = lws_client_connect_via_info(&i);
	if (!w) {
		if (s->conn_active) {
			s->conn_active = false;
			schedule_retry(s);
		}
		return;
	}
	if (s->conn_active)
		s->wsi = w;
}

static void prepare_work(struct xch_stream *s)
{
	s->job_rc = s->proto->prepare(s, s->job_url, sizeof s->job_url);
}

static void prepare_done(struct xch_stream *s)
{
	if (atomic_load(&s->stop) || s->conn_active)
		return;
	if (s->job_rc != 0)
		schedule_retry(s);
	else
		do_connect(s, s->job_url);
}

static void connect_cb(lws_sorted_usec_list_t *sul)
{
	struct xch_stream *s = lws_container_of(sul, struct xch_stream, sul_connect);
	if (atomic_load(&s->stop) || s->dying || s->conn_active)
		return;
	set_state(s, REC_SS_CONNECTING);
	if (!xch_stream_defer(s, prepare_work, prepare_done)) /* a keep-alive still running */
		lws_sul_schedule(hub.ctx, 0, &s->sul_connect, connect_cb, 50 * LWS_US_PER_MS);
}

static void tick_one(struct xch_stream *s, int64_t now)
{
	if (s->established && s->tune.stale_ms > 0 && now - s->last_rx_mono_ms > s->tune.stale_ms) {
		log_warn(COMP, "account=%s stream silent for %" PRId64 " ms, reconnecting", s->x->cfg.account,
			 now - s->last_rx_mono_ms);
		s->last_rx_mono_ms = now;
		xch_stream_drop(s);
	}
	if (s->established && s->retry && (!s->needs_auth || s->authed) && now - s->opened_mono_ms >= 1000)
		s->retry = 0;
	if (s->proto->on_tick)
		s->proto->on_tick(s, now);
	if (s->wsi && s->established && s->noutq)
		lws_callback_on_writable(s->wsi);
}

/* One timer for every stream: a stream's tick comes due every
 * tune.tick_ms, checked at the hub's pace (the smallest tick_ms). */
static void hub_tick_cb(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	int64_t now = wd_mono_ms();
	for (struct xch_stream *s = hub.live; s; s = s->live_next) {
		if (s->job_busy || now < s->next_tick_ms)
			continue;
		s->next_tick_ms = now + s->tune.tick_ms;
		tick_one(s, now);
	}
	lws_sul_schedule(hub.ctx, 0, &hub.sul_tick, hub_tick_cb, (lws_usec_t)hub.tick_ms * LWS_US_PER_MS);
}

/* The vhost being created: its TLS client context is made, and handed to
 * LOAD_EXTRA_CLIENT_VERIFY_CERTS, inside lws_create_vhost (service thread,
 * or the creator before it runs) */
static struct {
	const char *ca_file;
	bool trusted;
} vh_creating;

/* The context gets the shared store of the vhost's ca_file in place of
 * whatever lws loaded (the ca_file again, or for none its compiled-in
 * directory): one copy of the certificates, and streams trust exactly what
 * REST trusts. */
static void install_trust(SSL_CTX *ctx)
{
	if (!vh_creating.ca_file || !ctx)
		return;
	X509_STORE *st = xch_tls_store_get(vh_creating.ca_file);
	if (!st)
		return;
	SSL_CTX_set_cert_store(ctx, st); /* takes our reference */
	vh_creating.trusted = true;
}

static struct lws_vhost *vhost_create(const char *ca_file, const char *proxy)
{
	struct lws_context_creation_info vi;
	char name[32];
	memset(&vi, 0, sizeof vi);
	snprintf(name, sizeof name, "vigil-%zu", hub.nvh);
	vi.vhost_name = name;
	vi.port = CONTEXT_PORT_NO_LISTEN;
	vi.protocols = protocols;
	vi.gid = -1;
	vi.uid = -1;
	/* not OpenSSL's default paths on top: the store installed below is
	 * the whole trust */
	vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	/* still given: lws shares one client context between vhosts whose
	 * settings hash alike, and the path keeps distinct files apart */
	if (ca_file[0])
		vi.client_ssl_ca_filepath = ca_file;
	/* the proxy key is the only proxy: without one, lws would take the
	 * environment's http_proxy (ignoring no_proxy) for every stream */
	vi.http_proxy_address = "";
	vh_creating.ca_file = ca_file;
	vh_creating.trusted = false;
	struct lws_vhost *vh = lws_create_vhost(hub.ctx, &vi);
	bool trusted = vh_creating.trusted;
	vh_creating.ca_file = NULL;
	if (!vh)
		return NULL;
	if (!trusted) {
		log_error(COMP, "no certificate store for streams from %s", ca_file[0] ? ca_file : "the default trust");
		return NULL; /* the vhost stays with the context, unused */
	}
	if (proxy[0]) {
		/* http://host:port only: this libwebsockets has no SOCKS5 (the
		 * configuration refuses socks5h:// for streams) */
		const char *hp = strncmp(proxy, "http://", 7) == 0 ? proxy + 7 : NULL;
		char buf[512];
		snprintf(buf, sizeof buf, "%s", hp ? hp : "");
		char *slash = strchr(buf, '/');
		if (slash)
			*slash = '\0';
		if (!hp || lws_set_proxy(vh, buf) != 0) {
			log_error(COMP, "stream proxy %s not usable", proxy);
			return NULL; /* the vhost stays with the context, unused */
		}
	}
	return vh;
}

/* The vhost for a stream's ca_file + proxy (made once per pair). */
static struct lws_vhost *vhost_for(const struct xch_config *c)
{
	for (size_t i = 0; i < hub.nvh; i++)
		if (!strcmp(hub.vhs[i].ca_file, c->ca_file) && !strcmp(hub.vhs[i].proxy, c->proxy))
			return hub.vhs[i].vh;
	if (hub.nvh == HUB_VHOSTS) {
		log_error(COMP, "account=%s more than %d distinct ca_file / proxy pairs", c->account, HUB_VHOSTS);
		return NULL;
	}
	struct hub_vh *v = &hub.vhs[hub.nvh];
	snprintf(v->ca_file, sizeof v->ca_file, "%s", c->ca_file);
	snprintf(v->proxy, sizeof v->proxy, "%s", c->proxy);
	v->vh = vhost_create(v->ca_file, v->proxy);
	hub.nvh++; /* a failed pair is remembered too: it fails the same way again */
	return v->vh;
}

static void attach(struct xch_stream *s, int64_t now)
{
	s->vh = vhost_for(&s->x->cfg);
	s->live_next = hub.live;
	hub.live = s;
	s->next_tick_ms = now + s->tune.tick_ms;
	if (s->tune.tick_ms < hub.tick_ms) {
		hub.tick_ms = s->tune.tick_ms;
		lws_sul_schedule(hub.ctx, 0, &hub.sul_tick, hub_tick_cb, (lws_usec_t)hub.tick_ms * LWS_US_PER_MS);
	}
	lws_sul_schedule(hub.ctx, 0, &s->sul_connect, connect_cb, 1);
}

static void begin_detach(struct xch_stream *s)
{
	s->dying = true;
	for (struct xch_stream **pp = &hub.live; *pp; pp = &(*pp)->live_next)
		if (*pp == s) {
			*pp = s->live_next;
			break;
		}
	lws_sul_cancel(&s->sul_connect);
	if (s->job_busy)
		return; /* finished when its job is done */
	if (s->conn_active && s->wsi) {
		/* closed on lws' next pass; conn_lost finishes the detach */
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	finish_detach(s);
}

/* Runs on the service thread when woken: streams to attach, finished
 * jobs, streams to detach (in that order). */
static void drain(void)
{
	pthread_mutex_lock(&hub.mu);
	struct xch_stream *adds = hub.adds, *dels = hub.dels, *dones = hub.dones;
	hub.adds = hub.dels = hub.dones = NULL;
	pthread_mutex_unlock(&hub.mu);
	int64_t now = wd_mono_ms();
	while (adds) {
		struct xch_stream *s = adds;
		adds = s->link_next;
		attach(s, now);
	}
	while (dones) {
		struct xch_stream *s = dones;
		dones = s->job_next;
		s->job_busy = false;
		if (s->dying) {
			if (s->conn_active && s->wsi)
				lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			else
				finish_detach(s);
		} else if (s->job_done) {
			s->job_done(s);
		}
	}
	while (dels) {
		struct xch_stream *s = dels;
		dels = s->link_next;
		begin_detach(s);
	}
}

static void deliver(struct xch_stream *s)
{
	int64_t recv_ns = wd_mono_ns();
	s->last_rx_mono_ms = recv_ns / 1000000;
	pthread_mutex_lock(&s->mu);
	s->cache->last_msg_ms = wd_wall_ms();
	pthread_mutex_unlock(&s->mu);
	buf_add(&s->rx, "", 0); /* NUL-terminated (even when empty) */
	s->proto->on_message(s, s->rx.p, s->rx.len, recv_ns);
	buf_reset(&s->rx);
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		drain(); /* once per vhost: the second finds the queues empty */
		return 0;
	}
	if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS) {
		install_trust(user);
		return 0;
	}
	struct xch_stream *s = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	if (!s)
		return 0;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED: {
		bool again = s->opened_mono_ms != 0;
		s->wsi = wsi;
		s->established = true;
		/* retry is reset only once the connection proved healthy (tick):
		 * a server that accepts and then refuses auth must not make us
		 * reconnect in a tight loop */
		buf_reset(&s->rx);
		s->authed = false;
		s->opened_mono_ms = s->last_rx_mono_ms = s->last_ping_ms = wd_mono_ms();
		pthread_mutex_lock(&s->mu);
		s->cache->state = REC_SS_UP;
		s->cache->connected_ms = wd_wall_ms();
		if (again)
			s->cache->reconnects++;
		pthread_mutex_unlock(&s->mu);
		log_info(COMP, "account=%s stream connected", s->x->cfg.account);
		if (s->proto->on_open)
			s->proto->on_open(s);
		if (s->noutq)
			lws_callback_on_writable(wsi);
		/* events may have been missed while down: let the engine
		 * resync by REST */
		xch_stream_event(s, "", wd_mono_ns());
		break;
	}
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (wsi != s->wsi)
			break;
		if (s->rx.len + len + 1 > s->tune.max_msg) {
			log_warn(COMP, "account=%s stream message over %zu bytes, dropping connection",
				 s->x->cfg.account, s->tune.max_msg);
			buf_reset(&s->rx);
			return -1;
		}
		buf_add(&s->rx, in, len);
		if (lws_is_final_fragment(wsi))
			deliver(s);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		s->last_rx_mono_ms = wd_mono_ms();
		pthread_mutex_lock(&s->mu);
		s->cache->last_msg_ms = wd_wall_ms();
		pthread_mutex_unlock(&s->mu);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		if (wsi != s->wsi)
			break;
		if (s->close_req) {
			s->close_req = false;
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		if (s->ws_ping_pending) {
			unsigned char pb[LWS_PRE + 4];
			s->ws_ping_pending = false;
			if (lws_write(wsi, pb + LWS_PRE, 0, LWS_WRITE_PING) < 0)
				return -1;
			if (s->noutq)
				lws_callback_on_writable(wsi);
			break;
		}
		if (!s->noutq)
			break;
		char *m = s->outq[0];
		memmove(s->outq, s->outq + 1, (s->noutq - 1) * sizeof s->outq[0]);
		s->noutq--;
		size_t n = strlen(m);
		unsigned char *buf = xmalloc(LWS_PRE + n);
		memcpy(buf + LWS_PRE, m, n);
		int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
		free(buf);
		free(m);
		if (w < (int)n)
			return -1;
		if (s->noutq)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* only noted (lws' own words are "connect SSL err 1"): returning
		 * 0 leaves OpenSSL's verdict as it is */
		if (!len && user)
			snprintf(s->tls_err, sizeof s->tls_err, "%s",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error((X509_STORE_CTX *)user)));
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (s->tls_err[0])
			log_warn(COMP, "account=%s stream connect failed: TLS certificate verification failed: %s",
				 s->x->cfg.account, s->tls_err);
		else
			log_info(COMP, "account=%s stream connect failed: %s", s->x->cfg.account,
				 in ? (const char *)in : "?");
		s->tls_err[0] = '\0';
		conn_lost(s, wsi, "connect error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED: conn_lost(s, wsi, "closed"); break;
	case LWS_CALLBACK_WSI_DESTROY: conn_lost(s, wsi, "destroyed"); break;
	default: break;
	}
	return 0;
}

static void *service_main(void *arg)
{
	(void)arg;
	drain(); /* streams queued before the thread ran */
	while (!atomic_load(&hub.stop))
		if (lws_service(hub.ctx, 0) < 0)
			break;
	return NULL;
}

static void hub_stop_threads(int nworkers, bool service)
{
	pthread_mutex_lock(&hub.mu);
	hub.workers_stop = true;
	pthread_cond_broadcast(&hub.work_cv);
	pthread_mutex_unlock(&hub.mu);
	for (int i = 0; i < nworkers; i++)
		pthread_join(hub.workers[i], NULL);
	if (service) {
		atomic_store(&hub.stop, true);
		lws_cancel_service(hub.ctx);
		pthread_join(hub.service, NULL);
	}
	lws_context_destroy(hub.ctx);
	pthread_mutex_lock(&hub.mu);
	hub.ctx = NULL;
	hub.threads = 0;
	pthread_mutex_unlock(&hub.mu);
}

/* Creates the context, its first vhost and the threads (hub.life held). */
static int hub_open(void)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.count_threads = 1;
	/* every stream's socket in one table: as many as the process may open,
	 * within reason (lws sizes the table up front) */
	struct rlimit rl;
	unsigned fds = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < fds)
		fds = (unsigned)rl.rlim_cur;
	info.fd_limit_per_thread = fds;
	hub.ctx = lws_create_context(&info);
	if (!hub.ctx)
		return -1;
	atomic_store(&hub.stop, false);
	hub.workers_stop = false;
	hub.live = NULL;
	hub.nvh = 0;
	memset(hub.vhs, 0, sizeof hub.vhs);
	memset(&hub.sul_tick, 0, sizeof hub.sul_tick); /* was linked into the last context */
	hub.tick_ms = 200;
	/* the default vhost (system CA store, no proxy): EVENT_WAIT_CANCELLED
	 * reaches the protocol through it even before any stream attached */
	struct xch_config none;
	memset(&none, 0, sizeof none);
	snprintf(none.account, sizeof none.account, "-");
	if (!vhost_for(&none)) {
		lws_context_destroy(hub.ctx);
		hub.ctx = NULL;
		return -1;
	}
	/* before the service thread runs: lws is not to be touched from two threads */
	lws_sul_schedule(hub.ctx, 0, &hub.sul_tick, hub_tick_cb, (lws_usec_t)hub.tick_ms * LWS_US_PER_MS);
	int nw = 0;
	for (; nw < HUB_WORKERS; nw++)
		if (pthread_create(&hub.workers[nw], NULL, worker_main, NULL) != 0)
			break;
	if (nw < HUB_WORKERS || pthread_create(&hub.service, NULL, service_main, NULL) != 0) {
		hub_stop_threads(nw, false);
		return -1;
	}
	pthread_mutex_lock(&hub.mu);
	hub.threads = 1 + HUB_WORKERS;
	pthread_mutex_unlock(&hub.mu);
	return 0;
}

static void stream_free(struct xch_stream *s)
{
	for (size_t i = 0; i < s->noutq; i++)
		free(s->outq[i]);
	buf_free(&s->rx);
	xch_http_free(s->http);
	free(s->cache);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int xch_stream_start(struct xch *x, const struct xch_stream_proto *proto, struct xch_err *err)
{
	struct xch_priv *p = xch_priv_of(x);
	if (p->stream)
		return XCH_OK;
	if (!x->cfg.ws_url[0])
		return xch_err_set(err, XCH_REJECTED, 0, 0, "ws_url missing");
	if (x->cfg.proxy[0] && strncmp(x->cfg.proxy, "http://", 7) != 0)
		return xch_err_set(
			err, XCH_REJECTED, 0, 0,
			"proxy %.16s... for the stream: this libwebsockets has no SOCKS5 support (use http://)",
			x->cfg.proxy);
	pthread_once(&lws_once, lws_global_setup);

	struct xch_stream *s = xcalloc(1, sizeof *s);
	s->x = x;
	s->proto = proto;
	s->tune = p->tune;
	if (s->tune.tick_ms <= 0)
		s->tune.tick_ms = 200;
	if (s->tune.max_msg == 0)
		s->tune.max_msg = XCH_CAP_WS_MSG;
	s->rng = (unsigned)wd_mono_ns() ^ (unsigned)(uintptr_t)s;
	pthread_mutex_init(&s->mu, NULL);
	s->cache = xcalloc(1, sizeof *s->cache);
	s->http = xch_http_new(x->cfg.connect_timeout_ms, x->cfg.request_timeout_ms, 64 * 1024);
	if (s->http) {
		xch_http_set_budget(s->http, x->budget, x->cfg.exchange); /* listenKey calls count too */
		xch_http_set_prio(s->http, XCH_PRIO_STREAM);
		xch_http_set_transport(s->http, x->cfg.ca_file, x->cfg.proxy);
	}
	atomic_init(&s->stop, false);
	if (!s->http) {
		stream_free(s);
		return xch_err_set(err, XCH_NETWORK, 0, 0, "stream REST client creation failed");
	}

	pthread_mutex_lock(&hub.life);
	if (hub.refs == 0 && hub_open() != 0) {
		pthread_mutex_unlock(&hub.life);
		stream_free(s);
		return xch_err_set(err, XCH_NETWORK, 0, 0, "stream context creation failed");
	}
	s->ctx = hub.ctx;
	pthread_mutex_lock(&hub.mu);
	hub.refs++;
	s->link_next = hub.adds;
	hub.adds = s;
	pthread_mutex_unlock(&hub.mu);
	wake();
	pthread_mutex_unlock(&hub.life);
	p->stream = s;
	return XCH_OK;
}

void xch_stream_stop(struct xch *x)
{
	struct xch_priv *p = xch_priv_of(x);
	if (!p || !p->stream)
		return;
	struct xch_stream *s = p->stream;
	pthread_mutex_lock(&hub.life);
	atomic_store(&s->stop, true);
	pthread_mutex_lock(&hub.mu);
	bool queued = false;
	for (struct xch_stream **pp = &hub.adds; *pp; pp = &(*pp)->link_next)
		if (*pp == s) { /* never attached: nothing of lws to undo */
			*pp = s->link_next;
			queued = true;
			break;
		}
	if (queued) {
		s->detached = true;
	} else {
		s->link_next = hub.dels;
		hub.dels = s;
		wake();
	}
	while (!s->detached)
		pthread_cond_wait(&hub.detached_cv, &hub.mu);
	int left = --hub.refs;
	pthread_mutex_unlock(&hub.mu);
	if (left == 0)
		hub_stop_threads(HUB_WORKERS, true); /* the last stream: the hub goes too */
	pthread_mutex_unlock(&hub.life);
	p->stream = NULL;
	stream_free(s);
}
