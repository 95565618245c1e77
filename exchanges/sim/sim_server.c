/* The lws server: one protocol (first in the list, so WebSocket clients
 * without a subprotocol bind to it) serves HTTP and both private streams.
 * Single service thread; timers are lws_sul. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/log.h"
#include "base/xalloc.h"

struct sim_msg {
	struct sim_msg *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE + payload */
};

enum { K_HTTP = 0, K_BN = 1, K_BB = 2 };
/* PH_DROP: close the connection without answering (answer_lost drop) */
enum { PH_NONE = 0, PH_WAIT, PH_HDR, PH_BODY, PH_DROP };

struct pss {
	struct sim_server *srv;
	struct lws *wsi;
	int kind;
	struct sim_account *acct;
	char subs[4][24];
	char conn_id[40];
	char events[256]; /* Binance ?events= allow-list, "" = all */
	struct sim_msg *qh, *qt;
	int closing, in_list;
	struct pss *next;
	char *rx;
	size_t rxlen;
	/* HTTP transaction */
	char method[8], path[256];
	char *query, *body;
	size_t blen;
	/* body framing: a transaction is processed exactly once, whether it has
	 * no body, Content-Length: 0, a Content-Length body or a chunked one */
	int done;    /* processed (set until the next request on this connection) */
	int chunked; /* Transfer-Encoding: chunked; raw holds the coded bytes */
	char *raw;
	size_t rawlen;
	/* lws still expects body bytes it will never get (a chunked body we
	 * decoded ourselves, a POST with no length): its next transaction on
	 * this connection would wait on them, so answer and close instead */
	int close_after;
	char hk[5][160]; /* mbx key, bapi key, ts, recv, sign */
	struct sim_resp resp;
	size_t sent;
	int phase;
	lws_sorted_usec_list_t sul;
};

struct later {
	lws_sorted_usec_list_t sul;
	struct sim_server *srv;
	void (*fn)(struct sim_world *, void *);
	void *arg;
	struct later *next;
};

struct sim_server {
	struct sim_world *w;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct pss *ws;
	struct later *later;
	lws_sorted_usec_list_t tick;
};

static void q_push(struct pss *p, const char *s, size_t n)
{
	struct sim_msg *m = xmalloc(sizeof *m + LWS_PRE + n);

	m->next = NULL;
	m->len = n;
	memcpy(m->data + LWS_PRE, s, n);
	if (p->qt)
		p->qt->next = m;
	else
		p->qh = m;
	p->qt = m;
	lws_callback_on_writable(p->wsi);
}

static void q_clear(struct pss *p)
{
	while (p->qh) {
		struct sim_msg *m = p->qh;

		p->qh = m->next;
		free(m);
	}
	p->qt = NULL;
}

static void http_reset(struct pss *p)
{
	free(p->query);
	free(p->body);
	free(p->raw);
	free(p->resp.body);
	p->query = p->body = p->raw = NULL;
	p->blen = p->rawlen = 0;
	p->chunked = 0;
	p->close_after = 0;
	memset(&p->resp, 0, sizeof p->resp);
	memset(p->hk, 0, sizeof p->hk);
	p->sent = 0;
	p->phase = PH_NONE;
	lws_sul_cancel(&p->sul);
}

static void cleanup(struct pss *p)
{
	if (!p->srv)
		return;
	if (p->in_list) {
		for (struct pss **pp = &p->srv->ws; *pp; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		p->in_list = 0;
	}
	http_reset(p);
	q_clear(p);
	free(p->rx);
	p->rx = NULL;
	p->srv = NULL;
}

/* events=A/B/C is a strict allow-list (third-party measurement, doc 1.9). */
static int allowed(const char *list, const char *ev)
{
	size_t n = strlen(ev);

	for (const char *p = list; p && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (!strncmp(p, ev, n) && (p[n] == '/' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Stream sink: Binance gets the event as is; Bybit gets the envelope with
 * the topic name the client subscribed with. */
static void emit(struct sim_world *w, struct sim_account *a, const char *topic, const char *payload)
{
	struct sim_server *s = w->srv;

	if (!s)
		return;
	for (struct pss *p = s->ws; p; p = p->next) {
		if (p->acct != a || p->closing)
			continue;
		if (p->kind == K_BN) {
			if (p->events[0] && !allowed(p->events, topic))
				continue;
			q_push(p, payload, strlen(payload));
			if (!strcmp(topic, "listenKeyExpired"))
				p->acct = NULL; /* no more events on this key */
		} else if (p->kind == K_BB) {
			int k = sim_bb_topic_index(topic);
			char *env;

			if (k < 0 || !p->subs[k][0])
				continue;
			env = xasprintf("{\"id\":\"%llx\",\"topic\":\"%s\",\"creationTime\":%lld,\"data\":%s}",
					sim_rand(w), p->subs[k], sim_now(w, SIM_BYBIT), payload);
			q_push(p, env, strlen(env));
			free(env);
		}
	}
}

void sim_server_disconnect(struct sim_world *w, struct sim_account *a)
{
	struct sim_server *s = w->srv;

	if (!s)
		return;
	for (struct pss *p = s->ws; p; p = p->next)
		if (!a || p->acct == a) {
			p->closing = 1;
			q_clear(p);
			lws_callback_on_writable(p->wsi);
		}
}

static void later_cb(lws_sorted_usec_list_t *sul)
{
	struct later *l = lws_container_of(sul, struct later, sul);
	struct sim_server *s = l->srv;

	for (struct later **pp = &s->later; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	l->fn(s->w, l->arg);
	free(l);
}

void sim_server_later(struct sim_world *w, int ms, void (*fn)(struct sim_world *, void *), void *arg)
{
	struct sim_server *s = w->srv;
	struct later *l;

	if (!s) {
		fn(w, arg);
		return;
	}
	l = xcalloc(1, sizeof *l);
	l->srv = s, l->fn = fn, l->arg = arg;
	l->next = s->later;
	s->later = l;
	lws_sul_schedule(s->ctx, 0, &l->sul, later_cb, (lws_usec_t)(ms > 0 ? ms : 0) * LWS_US_PER_MS + 1);
}

void sim_server_cancel_later(struct sim_world *w)
{
	struct sim_server *s = w->srv;

	while (s && s->later) {
		struct later *l = s->later;

		s->later = l->next;
		lws_sul_cancel(&l->sul);
		json_object_put(l->arg); /* scenario steps are the only users */
		free(l);
	}
}

static void delay_cb(lws_sorted_usec_list_t *sul)
{
	struct pss *p = lws_container_of(sul, struct pss, sul);

	p->phase = p->resp.lost == SIM_LOST_DROP ? PH_DROP : PH_HDR;
	lws_callback_on_writable(p->wsi);
}

static const char *method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return "GET";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
		return "POST";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
		return "PUT";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
		return "DELETE";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI))
		return "PATCH";
	return "OTHER";
}

/* lws hands the query over as decoded '&'-separated fragments. */
static char *query_of(struct lws *wsi)
{
	size_t cap = 256, len = 0;
	char *q = xmalloc(cap), frag[4096];

	q[0] = '\0';
	for (int i = 0;; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		size_t fl;

		if (n < 0)
			break;
		fl = strlen(frag);
		if (len + fl + 2 > cap) {
			cap = (len + fl + 2) * 2;
			q = xrealloc(q, cap);
		}
		if (len)
			q[len++] = '&';
		memcpy(q + len, frag, fl + 1);
		len += fl;
	}
	return q;
}

static void respond_now(struct pss *p)
{
	if (p->resp.lost == SIM_LOST_HANG) {
		/* answer_lost hang: executed, never answered; the connection stays
		 * open until the client gives up (no timeout of ours) */
		p->phase = PH_WAIT;
		return;
	}
	if (p->resp.delay_ms > 0) {
		p->phase = PH_WAIT;
		lws_sul_schedule(lws_get_context(p->wsi), 0, &p->sul, delay_cb,
				 (lws_usec_t)p->resp.delay_ms * LWS_US_PER_MS);
	} else {
		p->phase = p->resp.lost == SIM_LOST_DROP ? PH_DROP : PH_HDR;
		lws_callback_on_writable(p->wsi);
	}
}

static void process(struct pss *p)
{
	struct sim_req rq = { 0 };

	if (p->done)
		return; /* never twice: lws may report an empty body after we answered */
	p->done = 1;

	rq.method = p->method;
	rq.path = p->path;
	rq.query = p->query ? p->query : "";
	rq.body = p->body ? p->body : "";
	rq.body_len = p->blen;
	rq.mbx_key = p->hk[0][0] ? p->hk[0] : NULL;
	rq.bapi_key = p->hk[1][0] ? p->hk[1] : NULL;
	rq.bapi_ts = p->hk[2][0] ? p->hk[2] : NULL;
	rq.bapi_recv = p->hk[3][0] ? p->hk[3] : NULL;
	rq.bapi_sign = p->hk[4][0] ? p->hk[4] : NULL;
	sim_rest_handle(p->srv->w, &rq, &p->resp);
	if (!p->resp.body) {
		p->resp.body = xstrdup("{}");
		p->resp.len = 2;
		p->resp.status = p->resp.status ? p->resp.status : 200;
	}
	respond_now(p);
}

static void bad_request(struct pss *p, const char *why)
{
	p->done = 1;
	free(p->resp.body);
	p->resp.body = xasprintf("{\"code\":-1100,\"msg\":\"%s\"}", why);
	p->resp.len = strlen(p->resp.body);
	p->resp.status = 400;
	respond_now(p);
}

static int write_http(struct lws *wsi, struct pss *p)
{
	if (p->phase == PH_HDR) {
		unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start, *end = buf + sizeof buf - 1;

		if (lws_add_http_common_headers(wsi, (unsigned int)p->resp.status, "application/json",
						(lws_filepos_t)p->resp.len, &q, end))
			return -1;
		for (int i = 0; i < p->resp.hn; i++) {
			char name[48];

			snprintf(name, sizeof name, "%s:", p->resp.hname[i]);
			if (lws_add_http_header_by_name(wsi, (unsigned char *)name, (unsigned char *)p->resp.hval[i],
							(int)strlen(p->resp.hval[i]), &q, end))
				return -1;
		}
		if (p->close_after &&
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (unsigned char *)"close", 5, &q, end))
			return -1;
		if (lws_finalize_write_http_header(wsi, start, &q, end))
			return -1;
		p->phase = PH_BODY;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (p->phase == PH_BODY) {
		size_t left = p->resp.len - p->sent, n = left > 16384 ? 16384 : left;
		unsigned char *buf = xmalloc(LWS_PRE + n + 1);
		int fin = n == left, r;

		memcpy(buf + LWS_PRE, p->resp.body + p->sent, n);
		r = lws_write(wsi, buf + LWS_PRE, n, fin ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
		free(buf);
		if (r < (int)n)
			return -1;
		p->sent += n;
		if (!fin) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		if (p->close_after) {
			http_reset(p);
			return -1;
		}
		http_reset(p);
		if (lws_http_transaction_completed(wsi))
			return -1;
	}
	return 0;
}

static int ws_filter(struct lws *wsi, struct pss *p, struct sim_server *s)
{
	char uri[512], lk[128] = "";
	const char *k = NULL;

	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
		return -1;
	if (!strcmp(uri, "/v5/private")) {
		if (sim_fault_find(s->w, "ws_disconnect", SIM_BYBIT, NULL, NULL, 0))
			return -1;
		p->kind = K_BB;
		return 0;
	}
	if (!strncmp(uri, "/private/ws/", 12))
		k = uri + 12;
	else if (!strncmp(uri, "/ws/", 4))
		k = uri + 4;
	else if (!strcmp(uri, "/private/ws") || !strcmp(uri, "/ws")) {
		char ev[300];
		const char *e = lws_get_urlarg_by_name(wsi, "events=", ev, sizeof ev);

		k = lws_get_urlarg_by_name(wsi, "listenKey=", lk, sizeof lk);
		if (e)
			snprintf(p->events, sizeof p->events, "%s", e);
	}
	if (!k || sim_fault_find(s->w, "ws_disconnect", SIM_BINANCE, NULL, NULL, 0))
		return -1;
	for (int i = 0; i < s->w->nacct; i++) {
		struct sim_account *a = s->w->acct[i];

		if (a->ex == SIM_BINANCE && a->listen_key[0] && !strcmp(a->listen_key, k) &&
		    a->lk_expires > sim_now(s->w, SIM_BINANCE)) {
			p->kind = K_BN;
			p->acct = a;
			return 0;
		}
	}
	return -1;
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *p = user;
	struct sim_server *s = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		char b[32] = "", te[64] = "";
		int has_cl;
		long long cl;

		http_reset(p);
		p->done = 0;
		p->srv = s;
		p->wsi = wsi;
		p->kind = K_HTTP;
		snprintf(p->method, sizeof p->method, "%s", method_of(wsi));
		snprintf(p->path, sizeof p->path, "%s", (const char *)in);
		p->query = query_of(wsi);
		lws_hdr_custom_copy(wsi, p->hk[0], sizeof p->hk[0], "x-mbx-apikey:", 13);
		lws_hdr_custom_copy(wsi, p->hk[1], sizeof p->hk[1], "x-bapi-api-key:", 15);
		lws_hdr_custom_copy(wsi, p->hk[2], sizeof p->hk[2], "x-bapi-timestamp:", 17);
		lws_hdr_custom_copy(wsi, p->hk[3], sizeof p->hk[3], "x-bapi-recv-window:", 19);
		lws_hdr_custom_copy(wsi, p->hk[4], sizeof p->hk[4], "x-bapi-sign:", 12);
		has_cl = lws_hdr_copy(wsi, b, sizeof b, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
		cl = has_cl ? strtoll(b, NULL, 10) : 0;
		lws_hdr_copy(wsi, te, sizeof te, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
		/* lws 4.1 hands a chunked body over still coded and never reports
		 * its end: decode it here (HTTP_BODY) and process at the last chunk.
		 * It reads a chunked body only for POST / PUT / PATCH; for GET and
		 * DELETE it delivers none, so those are processed at once on their
		 * query string (their parameters belong there anyway). */
		if (strcasestr(te, "chunked") &&
		    (!strcmp(p->method, "POST") || !strcmp(p->method, "PUT") || !strcmp(p->method, "PATCH"))) {
			p->chunked = 1;
			p->close_after = 1;
			p->body = xcalloc(1, 1);
			return 0;
		}
		if (has_cl && cl > 0) {
			p->body = xcalloc(1, 1);
			return 0; /* wait for HTTP_BODY_COMPLETION */
		}
		/* no body (none announced, or Content-Length: 0): now; lws may
		 * still report an empty body and its completion, which process()
		 * ignores. Without any length lws waits for a POST / PUT / PATCH
		 * body (and a chunked GET / DELETE body stays unread): close after. */
		if (!has_cl &&
		    (te[0] || !strcmp(p->method, "POST") || !strcmp(p->method, "PUT") || !strcmp(p->method, "PATCH")))
			p->close_after = 1;
		process(p);
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!p || !p->srv || p->done || !len || !in)
			return 0;
		if (p->chunked) {
			char *dec = NULL;
			size_t dl = 0;
			int r;

			if (p->rawlen + len > (1u << 21))
				return -1;
			p->raw = xrealloc(p->raw, p->rawlen + len + 1);
			memcpy(p->raw + p->rawlen, in, len);
			p->rawlen += len;
			p->raw[p->rawlen] = '\0';
			r = sim_dechunk(p->raw, p->rawlen, &dec, &dl);
			if (r < 0) {
				bad_request(p, "Malformed chunked request body.");
			} else if (r > 0) {
				if (dl > (1u << 20))
					return -1;
				free(p->body);
				p->body = dec;
				p->blen = dl;
				process(p);
			}
			return 0;
		}
		if (p->blen + len > (1u << 20))
			return -1;
		p->body = xrealloc(p->body, p->blen + len + 1);
		memcpy(p->body + p->blen, in, len);
		p->blen += len;
		p->body[p->blen] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!p || !p->srv || p->done)
			return 0;
		if (p->chunked && p->rawlen) {
			/* an lws that decoded the chunks itself: the bytes are the body */
			free(p->body);
			p->body = p->raw;
			p->blen = p->rawlen;
			p->raw = NULL;
			p->rawlen = 0;
		}
		process(p);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!p || !p->srv || p->phase == PH_NONE || p->phase == PH_WAIT)
			return 0;
		if (p->phase == PH_DROP)
			return -1; /* answer_lost drop: close, nothing sent */
		return write_http(wsi, p);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!p)
			return 0;
		return ws_filter(wsi, p, s);
	case LWS_CALLBACK_ESTABLISHED:
		p->srv = s;
		p->wsi = wsi;
		p->next = s->ws;
		s->ws = p;
		p->in_list = 1;
		snprintf(p->conn_id, sizeof p->conn_id, "sim-%llx", sim_rand(s->w) & 0xffffffffffULL);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (!p->srv)
			return -1;
		if (len && in) {
			p->rx = xrealloc(p->rx, p->rxlen + len + 1);
			memcpy(p->rx + p->rxlen, in, len);
			p->rxlen += len;
		}
		if (!lws_is_final_fragment(wsi) || !p->rx)
			return 0;
		if (p->kind == K_BB) {
			char *reply = NULL;

			sim_bb_ws_op(s->w, p->rx, p->rxlen, &p->acct, p->subs, p->conn_id, &reply);
			if (reply)
				q_push(p, reply, strlen(reply));
			free(reply);
		}
		p->rxlen = 0;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!p || !p->srv)
			return 0;
		if (p->closing) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"sim", 3);
			return -1;
		}
		if (p->qh) {
			struct sim_msg *m = p->qh;
			int r;

			p->qh = m->next;
			if (!p->qh)
				p->qt = NULL;
			r = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
			free(m);
			if (r < 0)
				return -1;
			if (p->qh)
				lws_callback_on_writable(wsi);
		}
		return 0;
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		if (p)
			cleanup(p);
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protos[] = {
	{ "vigil-sim", cb, sizeof(struct pss), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Wakes the loop every 100 ms so a signal flag is seen promptly. */
static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct sim_server *s = lws_container_of(sul, struct sim_server, tick);

	lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 100 * LWS_US_PER_MS);
}

struct sim_server *sim_server_new(struct sim_world *w, int port, const struct sim_tls *tls, int *bound)
{
	struct lws_context_creation_info info;
	struct sim_server *s = xcalloc(1, sizeof *s);

	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protos;
	info.user = s;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = 1024;
	info.max_http_header_data = 16384;
	info.timeout_secs = 30;
	if (tls) {
		/* every connection on the port is TLS: REST, streams and /_sim/ */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = tls->cert;
		info.ssl_private_key_filepath = tls->key;
		/* HTTP/1.1 only: with h2 (ALPN) lws 4.1 hands over no custom
		 * request headers (X-MBX-APIKEY, X-BAPI-*), and the body framing
		 * below is HTTP/1.1's */
		info.alpn = "http/1.1";
	}
	s->w = w;
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		free(s);
		return NULL;
	}
	s->vh = lws_create_vhost(s->ctx, &info);
	if (!s->vh) {
		lws_context_destroy(s->ctx);
		free(s);
		return NULL;
	}
	*bound = lws_get_vhost_listen_port(s->vh);
	w->srv = s;
	w->emit = emit;
	lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 100 * LWS_US_PER_MS);
	return s;
}

int sim_server_service(struct sim_server *s)
{
	return lws_service(s->ctx, 0);
}

void sim_server_free(struct sim_server *s)
{
	if (!s)
		return;
	sim_server_cancel_later(s->w);
	lws_sul_cancel(&s->tick);
	lws_context_destroy(s->ctx);
	s->w->srv = NULL;
	s->w->emit = NULL;
	free(s);
}
