/* The private-stream WebSocket client shared by both adapters.
 *
 * DESIGN: one libwebsockets context and one service thread per adapter
 * (lws is single-threaded per context; docs/style.md L1). Everything lws is
 * touched only from that thread; other threads only set `stop` and call
 * lws_cancel_service(). The adapter plugs in through struct
 * xch_stream_proto: it builds the URL (Binance fetches a listenKey first),
 * queues auth / subscribe messages on open, parses each complete message and
 * does its housekeeping on a 200 ms tick (keep-alives, pings, rotation).
 * Reconnects use exponential backoff with jitter and never spin. Messages
 * arrive in fragments: they are accumulated up to a cap, and a message over
 * the cap drops the connection (docs/style.md P8). */
#include <inttypes.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

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

static pthread_once_t lws_once = PTHREAD_ONCE_INIT;
static void lws_global_setup(void)
{
	/* lws' default allocator updates a global counter without a lock,
	 * which races between contexts in two threads (docs/style.md L2). */
	lws_set_allocator(plain_realloc);
	lws_set_log_level(LLL_ERR, NULL);
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

static void connect_cb(lws_sorted_usec_list_t *sul);

static void set_state(struct xch_stream *s, enum rec_stream_state st)
{
	pthread_mutex_lock(&s->mu);
	s->cache->state = st;
	if (st == REC_SS_UP)
		s->cache->connected_ms = wd_wall_ms();
	pthread_mutex_unlock(&s->mu);
}

static void schedule_retry(struct xch_stream *s)
{
	if (atomic_load(&s->stop))
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
	lws_sul_schedule(s->ctx, 0, &s->sul_connect, connect_cb, (lws_usec_t)d * LWS_US_PER_MS);
}

static void conn_lost(struct xch_stream *s, const char *why)
{
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
	schedule_retry(s);
}

static void connect_cb(lws_sorted_usec_list_t *sul)
{
	struct xch_stream *s = lws_container_of(sul, struct xch_stream, sul_connect);
	char url[sizeof s->conn_work];
	char *p;
	const char *prot = NULL, *ads = NULL, *path = NULL;
	int port = 0;

	if (atomic_load(&s->stop) || s->conn_active)
		return;
	set_state(s, REC_SS_CONNECTING);
	if (s->proto->prepare(s, url, sizeof url) != 0) {
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
	i.context = s->ctx;
	i.address = ads;
	i.port = port;
	i.path = s->conn_path;
	i.host = ads;
	i.origin = ads;
	i.protocol = NULL;
	i.local_protocol_name = "vigil-xch";
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

static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct xch_stream *s = lws_container_of(sul, struct xch_stream, sul_tick);
	if (atomic_load(&s->stop))
		return;
	int64_t now = wd_mono_ms();
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
	lws_sul_schedule(s->ctx, 0, &s->sul_tick, tick_cb, (lws_usec_t)s->tune.tick_ms * LWS_US_PER_MS);
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
	struct lws_context *ctx = lws_get_context(wsi);
	struct xch_stream *s = ctx ? lws_context_user(ctx) : NULL;
	(void)user;
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
		{
			buf_add(&s->rx, in, len);
		}
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
		conn_lost(s, "connect error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (wsi == s->wsi)
			conn_lost(s, "closed");
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == s->wsi)
			conn_lost(s, "destroyed");
		break;
	default: break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = { { "vigil-xch", ws_cb, 0, 65536, 0, NULL, 0 },
						  { NULL, NULL, 0, 0, 0, NULL, 0 } };

static void *thread_main(void *arg)
{
	struct xch_stream *s = arg;
	lws_sul_schedule(s->ctx, 0, &s->sul_connect, connect_cb, 1);
	lws_sul_schedule(s->ctx, 0, &s->sul_tick, tick_cb, (lws_usec_t)s->tune.tick_ms * LWS_US_PER_MS);
	while (!atomic_load(&s->stop))
		if (lws_service(s->ctx, 0) < 0)
			break;
	return NULL;
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
		xch_http_set_transport(s->http, x->cfg.ca_file, x->cfg.proxy);
	}
	atomic_init(&s->stop, false);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = s;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = 64;
	if (strncmp(x->cfg.ws_url, "wss:", 4) == 0)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	/* issue 21: the account's CA file replaces the system's bundle (the
	 * peer is verified either way), and its proxy: http:// = CONNECT
	 * (lws takes "http://HOST:PORT" as it is), socks5h:// = SOCKS5 when
	 * lws was built with it (the config refuses it otherwise) */
	if (x->cfg.ca_file[0])
		info.client_ssl_ca_filepath = x->cfg.ca_file;
	if (strncmp(x->cfg.proxy, "http://", 7) == 0) {
		info.http_proxy_address = x->cfg.proxy;
	} else if (strncmp(x->cfg.proxy, "socks5h://", 10) == 0) {
#if defined(LWS_WITH_SOCKS5)
		info.socks_proxy_address = x->cfg.proxy + 10;
#else
		stream_free(s);
		return xch_err_set(err, XCH_REJECTED, 0, 0,
				   "proxy socks5h:// for the stream: this libwebsockets has no SOCKS5 support");
#endif
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx || !s->http) {
		if (s->ctx)
			lws_context_destroy(s->ctx);
		stream_free(s);
		return xch_err_set(err, XCH_NETWORK, 0, 0, "stream context creation failed");
	}
	if (pthread_create(&s->thr, NULL, thread_main, s) != 0) {
		lws_context_destroy(s->ctx);
		stream_free(s);
		return xch_err_set(err, XCH_NETWORK, 0, 0, "stream thread creation failed");
	}
	s->thr_started = true;
	p->stream = s;
	return XCH_OK;
}

void xch_stream_stop(struct xch *x)
{
	struct xch_priv *p = xch_priv_of(x);
	if (!p || !p->stream)
		return;
	struct xch_stream *s = p->stream;
	atomic_store(&s->stop, true);
	lws_cancel_service(s->ctx);
	if (s->thr_started)
		pthread_join(s->thr, NULL);
	lws_context_destroy(s->ctx); /* closes the connection; callbacks see stop */
	p->stream = NULL;
	stream_free(s);
}
