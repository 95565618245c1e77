/* DESIGN: the bot's query API server (api.h) on libmicrohttpd, one
 * thread per connection (an `await` blocks its own thread on the hub's
 * condition variable; nothing else waits), at most max_connections of
 * them (MHD refuses the rest at accept), 2 s of inactivity allowed while
 * a request arrives (MHD's connection timeout; an await's connection gets
 * its timeout plus 5 s), request bodies up to API_BODY_MAX (a larger
 * Content-Length is refused before the body is read). The HTTP parsing is
 * libmicrohttpd's; this file only routes. The listening socket is made
 * here and handed to MHD: a unix socket with its mode and group set before
 * the first accept can succeed for anyone else (bind leaves it 0755 under
 * vigil's umask: connect needs write permission), a stale socket file
 * replaced only when nobody answers on it and lstat says it is a socket
 * (never a symlink, never another kind of file), removed on stop if it
 * is still the one bound; or a loopback TCP socket (wd_parse_listen) that
 * requires the bearer token, compared in constant time. */
#include "watchdog/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock_now.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "watchdog/api_int.h"
#include "watchdog/audit.h"
#include "watchdog/metrics.h"

#define API_BODY_MAX 4096
#define API_REQ_TIMEOUT_S 2
#define API_AWAIT_MAX_MS 30000
#define API_TICK_MS 250 /* re-evaluate an await at least this often (a stream going stale) */

struct wd_api {
	struct api_hub hub;
	struct MHD_Daemon *mhd;
	int fd;
	bool is_unix;
	char path[sizeof((struct sockaddr_un *)0)->sun_path];
	dev_t dev;
	ino_t ino;
	char where[160];
	char *token; /* owned copy */
	size_t token_len;
};

struct req {
	char *body;
	size_t len;
	bool too_big;
};

/* ---- answers ---- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, struct json_object *j)
{
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	char *b = xmalloc(n + 2);
	memcpy(b, s, n);
	b[n++] = '\n';
	json_object_put(j);
	struct MHD_Response *r = MHD_create_response_from_buffer(n, b, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"vigil\"");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "status", json_object_new_int((int)status));
	json_object_object_add(j, "error", json_object_new_string(msg));
	return send_json(c, status, j);
}

/* ---- await ---- */

static bool same_size(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

struct await_req {
	char symbol[REC_SYM_MAX];
	enum rec_side side;
	double size;
	int64_t timeout_ms;
	bool pidx_given;
	enum rec_pos_idx pidx;
};

static int parse_await(const char *body, size_t len, struct await_req *w, char *why, size_t wl)
{
	memset(w, 0, sizeof *w);
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *j = json_tokener_parse_ex(tok, body, (int)len);
	bool complete = json_tokener_get_error(tok) == json_tokener_success && tok->char_offset == (int)len;
	json_tokener_free(tok);
	int rc = -1;
	struct json_object *v;
	if (!j || !complete || !json_object_is_type(j, json_type_object)) {
		snprintf(why, wl, "the body is not one JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(j, "symbol", &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v) || json_object_get_string_len(v) >= REC_SYM_MAX) {
		snprintf(why, wl, "symbol: a string of 1-%d characters is required", REC_SYM_MAX - 1);
		goto out;
	}
	rec_symbol_normalize(json_object_get_string(v), w->symbol, sizeof w->symbol);
	if (!json_object_object_get_ex(j, "size", &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ||
	    !isfinite(json_object_get_double(v)) || json_object_get_double(v) < 0) {
		snprintf(why, wl, "size: a number >= 0 is required (0 = wait for the leg to be flat)");
		goto out;
	}
	w->size = json_object_get_double(v);
	const char *side = json_object_object_get_ex(j, "side", &v) && json_object_is_type(v, json_type_string)
				   ? json_object_get_string(v)
				   : "";
	if (strcasecmp(side, "LONG") == 0 || strcasecmp(side, "BUY") == 0)
		w->side = REC_SIDE_LONG;
	else if (strcasecmp(side, "SHORT") == 0 || strcasecmp(side, "SELL") == 0)
		w->side = REC_SIDE_SHORT;
	else if (w->size > 0 || side[0]) {
		snprintf(why, wl, "side: LONG or SHORT is required when size > 0");
		goto out;
	}
	if (!json_object_object_get_ex(j, "timeout_ms", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > API_AWAIT_MAX_MS) {
		snprintf(why, wl, "timeout_ms: an integer 0-%d is required", API_AWAIT_MAX_MS);
		goto out;
	}
	w->timeout_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(j, "pidx", &v) && !json_object_is_type(v, json_type_null)) {
		const char *p = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		w->pidx_given = true;
		if (strcmp(p, "BOTH") == 0)
			w->pidx = REC_PIDX_BOTH;
		else if (strcmp(p, "LONG") == 0)
			w->pidx = REC_PIDX_LONG;
		else if (strcmp(p, "SHORT") == 0)
			w->pidx = REC_PIDX_SHORT;
		else {
			snprintf(why, wl, "pidx: BOTH, LONG or SHORT");
			goto out;
		}
	}
	rc = 0;
out:
	json_object_put(j);
	return rc;
}

static bool matches(const struct rec_pos_view *v, const struct await_req *w)
{
	if (w->size <= 0)
		return v->state == REC_VIEW_FLAT;
	return v->state == REC_VIEW_OPEN && v->pos.side == w->side && same_size(v->pos.size, w->size);
}

static enum MHD_Result do_await(struct wd_api *a, struct MHD_Connection *c, struct api_acct *acct, const struct req *rq)
{
	struct await_req w;
	char why[200];
	if (parse_await(rq->body ? rq->body : "", rq->len, &w, why, sizeof why) != 0)
		return send_error(c, 400, "%s", why);
	int64_t t0 = wd_mono_ms(), deadline = t0 + w.timeout_ms;
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned)(w.timeout_ms / 1000 + API_REQ_TIMEOUT_S + 5));
	for (;;) {
		struct api_eval ev;
		if (!api_eval_take(&a->hub, acct, w.symbol, &ev))
			return send_error(c, 503, "vigil is stopping");
		enum rec_pos_idx pidx = w.pidx_given               ? w.pidx
					: !acct->hedge             ? REC_PIDX_BOTH
					: w.side == REC_SIDE_SHORT ? REC_PIDX_SHORT
								   : REC_PIDX_LONG;
		if (ev.snap && ev.snap->pos_mode == REC_MODE_ONEWAY && !w.pidx_given)
			pidx = REC_PIDX_BOTH;
		struct rec_snapshot s;
		struct rec_pos_view v;
		api_snapshot_of(&ev, w.symbol, &s);
		rec_position_view(&s, &acct->params, w.symbol, pidx, &v);
		int64_t now = wd_mono_ms();
		bool ok = matches(&v, &w);
		if (ok || now >= deadline) {
			struct json_object *d = wd_json_doc_new(ev.now_ms);
			json_object_object_add(d, "account", json_object_new_string(acct->name));
			json_object_object_add(d, "matched", json_object_new_boolean(ok));
			json_object_object_add(d, "timed_out", json_object_new_boolean(!ok));
			json_object_object_add(d, "waited_ms", json_object_new_int64(now - t0));
			json_object_object_add(d, "matched_by",
					       ok && v.from == REC_SRC_STREAM ? json_object_new_string("stream")
					       : ok                           ? json_object_new_string("rest")
									      : NULL);
			struct json_object *want = json_object_new_object();
			json_object_object_add(want, "symbol", json_object_new_string(w.symbol));
			json_object_object_add(want, "side",
					       w.size > 0 ? json_object_new_string(rec_side_name(w.side))
							  : json_object_new_string("FLAT"));
			json_object_object_add(want, "size", wd_json_num(w.size));
			json_object_object_add(want, "pidx", json_object_new_string(api_pidx_name(pidx)));
			json_object_object_add(want, "timeout_ms", json_object_new_int64(w.timeout_ms));
			json_object_object_add(d, "awaited", want);
			json_object_object_add(d, "position", api_json_position(&ev, &v));
			api_eval_release(&a->hub, &ev);
			return send_json(c, 200, d);
		}
		uint64_t seen = ev.seq;
		api_eval_release(&a->hub, &ev);
		int64_t until = now + API_TICK_MS < deadline ? now + API_TICK_MS : deadline;
		if (!api_hub_wait(&a->hub, acct, seen, until))
			return send_error(c, 503, "vigil is stopping");
	}
}

/* ---- routing ---- */

/* /v1/accounts/{account}/{what}[/{symbol}]: splits in place. */
static int split(char *p, char **acct, char **what, char **sym)
{
	*acct = *what = *sym = NULL;
	if (strncmp(p, "/v1/accounts/", 13) != 0)
		return -1;
	*acct = p + 13;
	char *s = strchr(*acct, '/');
	if (!s)
		return 0;
	*s = '\0';
	*what = s + 1;
	s = strchr(*what, '/');
	if (s) {
		*s = '\0';
		*sym = s + 1;
		if (strchr(*sym, '/'))
			return -1;
	}
	return 0;
}

static bool valid_sym(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= REC_SYM_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("/:._-", *s)))
			return false;
	return true;
}

static bool authorized(const struct wd_api *a, struct MHD_Connection *c)
{
	if (!a->token)
		return true; /* a unix socket without token_file: its file mode decides */
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	size_t n = strlen(h);
	/* constant time over the token's length; a wrong length is refused
	 * after the same work */
	char buf[4097];
	memset(buf, 0, sizeof buf);
	memcpy(buf, h, n < a->token_len ? n : a->token_len);
	bool eq = CRYPTO_memcmp(buf, a->token, a->token_len) == 0;
	explicit_bzero(buf, sizeof buf);
	return eq && n == a->token_len;
}

static enum MHD_Result route(struct wd_api *a, struct MHD_Connection *c, const char *url, const char *method,
			     const struct req *rq)
{
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	int64_t now = wd_wall_ms();
	if (strcmp(url, "/v1/accounts") == 0 || strcmp(url, "/v1/accounts/") == 0) {
		if (!get)
			return send_error(c, 405, "GET only");
		return send_json(c, 200, api_json_accounts(&a->hub, now));
	}
	char path[512];
	if (strlen(url) >= sizeof path)
		return send_error(c, 404, "no such path");
	snprintf(path, sizeof path, "%s", url);
	char *an, *what, *sym;
	if (split(path, &an, &what, &sym) != 0 || !an[0])
		return send_error(c, 404, "no such path (see GET /v1/accounts)");
	struct api_acct *acct = api_hub_find(&a->hub, an);
	if (!acct)
		return send_error(c, 404, "no account '%.64s'", an);
	if (sym && !valid_sym(sym))
		return send_error(c, 400, "bad symbol");
	bool positions = what && strcmp(what, "positions") == 0;
	bool protection = what && strcmp(what, "protection") == 0 && sym;
	bool await = what && strcmp(what, "await") == 0 && !sym;
	if (!what || !what[0]) {
		if (!get)
			return send_error(c, 405, "GET only");
		struct api_eval ev;
		if (!api_eval_take(&a->hub, acct, "", &ev))
			return send_error(c, 503, "vigil is stopping");
		struct json_object *d = wd_json_doc_new(ev.now_ms);
		json_object_object_add(d, "accounts", json_object_new_array());
		json_object_array_add(json_object_object_get(d, "accounts"), api_json_account(&ev));
		api_eval_release(&a->hub, &ev);
		return send_json(c, 200, d);
	}
	if (!positions && !protection && !await)
		return send_error(c, 404, "no such path (positions, protection/SYMBOL, await)");
	if (await && !post)
		return send_error(c, 405, "POST only");
	if (!await && !get)
		return send_error(c, 405, "GET only");
	if (await)
		return do_await(a, c, acct, rq);
	struct api_eval ev;
	if (!api_eval_take(&a->hub, acct, sym, &ev)) /* sym NULL: every position */
		return send_error(c, 503, "vigil is stopping");
	struct json_object *d = positions ? api_json_positions(&ev, sym) : api_json_protection(&ev, sym);
	api_eval_release(&a->hub, &ev);
	return send_json(c, 200, d);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct wd_api *a = cls;
	struct req *rq = *con_cls;
	(void)version;
	if (!rq) {
		rq = xcalloc(1, sizeof *rq);
		*con_cls = rq;
		/* refused before any body is read */
		if (!authorized(a, c))
			return send_error(c, 401, "a valid bearer token is required (Authorization: Bearer ...)");
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
			return send_error(c, 413, "request body over %d bytes", API_BODY_MAX);
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > API_BODY_MAX) {
			rq->too_big = true;
			if (rq->len + *upload_size > 16 * API_BODY_MAX)
				return MHD_NO; /* a chunked body that does not stop: drop it */
		} else {
			rq->body = xrealloc(rq->body, rq->len + *upload_size + 1);
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(c, 413, "request body over %d bytes", API_BODY_MAX);
	return route(a, c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("api", "%s", msg);
}

/* ---- the listening socket ---- */

static int unix_listen(struct wd_api *a, const struct wd_api_conf *c, char *err, size_t errlen)
{
	const char *p = c->listen + 5;
	snprintf(a->path, sizeof a->path, "%s", p);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p);
	struct stat st;
	if (lstat(p, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "[api] listen %s: exists and is not a socket%s; not removing it", p,
				 S_ISLNK(st.st_mode) ? " (a symlink)" : "");
			return -1;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int crc = probe >= 0 ? connect(probe, (struct sockaddr *)&sa, sizeof sa) : -1;
		int cerr = errno;
		if (probe >= 0)
			close(probe);
		if (crc == 0) {
			snprintf(err, errlen, "[api] listen %s: another process is serving on it", p);
			return -1;
		}
		if (cerr != ECONNREFUSED) {
			snprintf(err, errlen, "[api] listen %s: cannot probe the existing socket: %s", p,
				 strerror(cerr));
			return -1;
		}
		/* stale: nobody listens; still the same file (no swap in between)? */
		struct stat st2;
		if (lstat(p, &st2) != 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev ||
		    !S_ISSOCK(st2.st_mode) || unlink(p) != 0) {
			snprintf(err, errlen, "[api] listen %s: cannot replace the stale socket: %s", p,
				 strerror(errno));
			return -1;
		}
		log_info("api", "replaced the stale socket %s", p);
	}
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || bind(a->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		snprintf(err, errlen, "[api] listen %s: %s", p, strerror(errno));
		return -1;
	}
	/* mode and group before listen(): until then nobody can connect */
	if (lstat(p, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "[api] listen %s: the socket file vanished after bind", p);
		return -1;
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	if (c->gid >= 0 && lchown(p, (uid_t)-1, (gid_t)c->gid) != 0) {
		snprintf(err, errlen, "[api] socket_group %s: cannot give %s to it: %s", c->socket_group, p,
			 strerror(errno));
		return -1;
	}
	if (fchmodat(AT_FDCWD, p, c->mode, AT_SYMLINK_NOFOLLOW) != 0 &&
	    (errno != EOPNOTSUPP || chmod(p, c->mode) != 0)) {
		snprintf(err, errlen, "[api] socket_mode: chmod %s: %s", p, strerror(errno));
		return -1;
	}
	if (listen(a->fd, 64) != 0) {
		snprintf(err, errlen, "[api] listen %s: %s", p, strerror(errno));
		return -1;
	}
	snprintf(a->where, sizeof a->where, "unix:%s", p);
	return 0;
}

static int tcp_listen(struct wd_api *a, const struct wd_api_conf *c, char *err, size_t errlen)
{
	char host[64], why[256];
	int port;
	if (wd_parse_listen(c->listen, host, sizeof host, &port, why, sizeof why) != 0) {
		snprintf(err, errlen, "[api] listen: %s", why);
		return -1;
	}
	int bound;
	a->fd = wd_listen_tcp(host, port, SOCK_CLOEXEC, 64, &bound);
	if (a->fd < 0) {
		snprintf(err, errlen, "[api] listen %s: %s", c->listen, strerror(errno));
		return -1;
	}
	bool v6 = strchr(host, ':') != NULL;
	snprintf(a->where, sizeof a->where, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", bound);
	return 0;
}

static void remove_socket(struct wd_api *a)
{
	struct stat st;
	if (a->is_unix && a->path[0] && lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == a->ino &&
	    st.st_dev == a->dev)
		unlink(a->path);
}

struct wd_api *wd_api_start(const struct wd_api_conf *c, char *err, size_t errlen)
{
	struct wd_api *a = xcalloc(1, sizeof *a);
	api_hub_init(&a->hub);
	a->fd = -1;
	a->is_unix = c->is_unix;
	if (c->token) {
		a->token = xstrdup(c->token);
		a->token_len = strlen(a->token);
	}
	if ((a->is_unix ? unix_listen(a, c, err, errlen) : tcp_listen(a, c, err, errlen)) != 0)
		goto fail;
	a->mhd = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
			MHD_USE_ITC,
		0, NULL, NULL, handler, a, MHD_OPTION_LISTEN_SOCKET, a->fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(c->max_connections > 0 ? c->max_connections : 32), MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)API_REQ_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, completed, a, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, a, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(err, errlen, "[api] libmicrohttpd could not start on %s", a->where);
		goto fail;
	}
	return a;
fail:
	remove_socket(a);
	if (a->fd >= 0)
		close(a->fd);
	api_hub_destroy(&a->hub);
	if (a->token) {
		explicit_bzero(a->token, a->token_len);
		free(a->token);
	}
	free(a);
	return NULL;
}

const char *wd_api_where(const struct wd_api *a)
{
	return a->where;
}

void wd_api_attach(struct wd_api *a, struct wd_engine *e)
{
	if (a)
		api_hub_attach(&a->hub, e);
}

void wd_api_publish(struct wd_api *a, const struct wd_engine *e, const struct wd_audit *au)
{
	if (a)
		api_hub_publish(&a->hub, e, au);
}

void wd_api_on_event(void *ud, size_t idx, const char *symbol)
{
	(void)symbol;
	struct wd_api *a = ud;
	if (a)
		api_hub_event(&a->hub, idx);
}

void wd_api_stop(struct wd_api *a)
{
	if (!a)
		return;
	api_hub_stop(&a->hub);
	MHD_stop_daemon(a->mhd); /* joins every connection thread */
	close(a->fd);
	remove_socket(a);
	api_hub_destroy(&a->hub);
	if (a->token) {
		explicit_bzero(a->token, a->token_len);
		free(a->token);
	}
	free(a);
}
