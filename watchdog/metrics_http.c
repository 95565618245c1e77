/* DESIGN: the /metrics and /healthz endpoint. A plain-socket HTTP/1.0
 * server in its own thread: a scrape every few seconds needs no HTTP
 * library, and keeping it out of libwebsockets means the exchange stream
 * threads never share a context with it.
 *
 * One slow client must not delay a health probe (a liveness probe that
 * times out restarts vigil), so the thread is a poll() loop over many
 * non-blocking connections rather than one connection at a time. Chosen
 * over libmicrohttpd (a new dependency for two endpoints) and the lws HTTP
 * server (shares the stream threads' library and its event loop) as the
 * smallest change with nothing new to link. Each connection has a buffer
 * and one deadline: the whole request head must arrive within
 * HTTPD_REQ_MS of accept (a client trickling a byte a second is cut off
 * too), the answer must be taken within HTTPD_WRITE_MS (a client that
 * never reads is dropped; writes wait on POLLOUT, never block). At most
 * HTTPD_CONN_MAX connections: a new one evicts an old one (evict_rank:
 * one already answered, else the oldest still sending its request), so a
 * fresh probe always gets a slot; accepts come in batches so requests
 * already in are answered before a burst evicts them. A head over
 * HTTPD_REQ_MAX bytes gets 431. After an answer the write side is shut
 * and the input drained briefly, so unread request bytes do not turn the
 * close into a reset that loses the answer. Connection: close after every
 * answer. Loopback addresses only (127/8, ::1): metrics name accounts and
 * symbols. */
#include "watchdog/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

#define HTTPD_REQ_MAX 4096
#define HTTPD_REQ_MS 2000
#define HTTPD_WRITE_MS 2000
#define HTTPD_DRAIN_MS 500
#define HTTPD_CONN_MAX 64
#define HTTPD_ACCEPT_BATCH 16
/* accept() out of fds: stop accepting this long instead of spinning on a
 * listen socket that stays readable */
#define HTTPD_BACKOFF_MS 100

enum conn_state { C_READ = 0, C_WRITE, C_DRAIN };

struct conn {
	int fd; /* -1 = free slot */
	enum conn_state st;
	uint64_t seq; /* accept order (ms clocks tie in a burst) */
	int64_t deadline_ms;
	size_t len;
	char req[HTTPD_REQ_MAX + 1];
	char *out;
	size_t out_len, out_off;
};

struct wd_httpd {
	int fd;
	int port;
	int wake[2];
	atomic_bool stop;
	pthread_t thr;
	wd_health_fn health;
	void *ud;
	struct conn conns[HTTPD_CONN_MAX];
	int64_t backoff_until_ms;
	uint64_t next_seq;
};

/* Port: decimal digits only (no sign, space or hex), 0-65535. */
static int parse_port(const char *s, int *port)
{
	size_t n = strlen(s);
	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	long p = strtol(s, NULL, 10);
	if (p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

int wd_parse_listen(const char *addr, char *host, size_t hostlen, int *port, char *err, size_t errlen)
{
	const char *hs = addr, *he, *ps;
	if (addr[0] == '[') {
		/* [IPv6]:PORT */
		hs = addr + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':') {
			snprintf(err, errlen, "metrics_listen '%s': expected [::1]:PORT", addr);
			return -1;
		}
		ps = he + 2;
	} else {
		he = strrchr(addr, ':');
		if (!he || he == addr) {
			snprintf(err, errlen, "metrics_listen '%s': expected HOST:PORT", addr);
			return -1;
		}
		ps = he + 1;
	}
	size_t hl = (size_t)(he - hs);
	if (hl >= hostlen) {
		snprintf(err, errlen, "metrics_listen '%s': host too long", addr);
		return -1;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	int p;
	if (parse_port(ps, &p) != 0) {
		snprintf(err, errlen, "metrics_listen '%s': bad port", addr);
		return -1;
	}
	if (strcmp(host, "localhost") == 0 && addr[0] != '[')
		snprintf(host, hostlen, "127.0.0.1");
	struct in_addr a4;
	struct in6_addr a6;
	bool ok = addr[0] == '[' ? inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)
				 : inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
	if (!ok) {
		snprintf(err, errlen, "metrics_listen '%s': only loopback (127.x.x.x, [::1], localhost) is allowed",
			 addr);
		return -1;
	}
	*port = p;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->out_len = c->out_off = c->len = 0;
}

/* Queues a whole answer; the poll loop writes it as the client takes it. */
static void respond(struct conn *c, int status, const char *ctype, const char *body)
{
	const char *reason = status == 200   ? "OK"
			     : status == 503 ? "Service Unavailable"
			     : status == 405 ? "Method Not Allowed"
			     : status == 431 ? "Request Header Fields Too Large"
					     : "Not Found";
	char head[256];
	size_t bl = strlen(body);
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason, ctype, bl);
	c->out = xmalloc((size_t)n + bl);
	memcpy(c->out, head, (size_t)n);
	memcpy(c->out + n, body, bl);
	c->out_len = (size_t)n + bl;
	c->out_off = 0;
	c->st = C_WRITE;
	c->deadline_ms = now_ms() + HTTPD_WRITE_MS;
}

static void answer(struct wd_httpd *h, struct conn *c)
{
	char method[8] = "", path[256] = "";
	if (sscanf(c->req, "%7s %255s", method, path) != 2) {
		respond(c, 404, "text/plain", "bad request\n");
		return;
	}
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond(c, 405, "text/plain", "GET only\n");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		char *body = wd_metrics_render();
		respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", body);
		free(body);
	} else if (strcmp(path, "/healthz") == 0) {
		int status = 200;
		char body[512] = "ok\n";
		if (h->health)
			h->health(h->ud, &status, body, sizeof body);
		respond(c, status, "text/plain", body);
	} else {
		respond(c, 404, "text/plain", "not found: try /metrics or /healthz\n");
	}
}

static void on_readable(struct wd_httpd *h, struct conn *c)
{
	if (c->st == C_DRAIN) {
		char sink[4096];
		ssize_t r = recv(c->fd, sink, sizeof sink, 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	ssize_t r = recv(c->fd, c->req + c->len, HTTPD_REQ_MAX - c->len, 0);
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	if (r == 0) {
		/* the client half-closed: answer what it sent, if anything */
		if (c->len == 0)
			conn_close(c);
		else
			answer(h, c);
		return;
	}
	c->len += (size_t)r;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		answer(h, c);
	else if (c->len == HTTPD_REQ_MAX)
		respond(c, 431, "text/plain", "request head too large\n");
}

static void on_writable(struct conn *c)
{
	ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	c->out_off += (size_t)w;
	if (c->out_off < c->out_len)
		return;
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->st = C_DRAIN;
	c->deadline_ms = now_ms() + HTTPD_DRAIN_MS;
}

/* Which connection a full table gives up first: one that has its answer
 * and only waits for the client's close, then one still sending its
 * request, last one being answered; the oldest of a kind. */
static int evict_rank(const struct conn *c)
{
	return c->st == C_DRAIN ? 0 : c->st == C_READ ? 1 : 2;
}

/* A free slot, or the one freed by evicting per evict_rank. */
static struct conn *conn_slot(struct wd_httpd *h)
{
	struct conn *victim = NULL;
	for (int i = 0; i < HTTPD_CONN_MAX; i++) {
		struct conn *c = &h->conns[i];
		if (c->fd < 0)
			return c;
		if (!victim || evict_rank(c) < evict_rank(victim) ||
		    (evict_rank(c) == evict_rank(victim) && c->seq < victim->seq))
			victim = c;
	}
	log_debug("metrics", "connection limit %d: dropping the oldest", HTTPD_CONN_MAX);
	conn_close(victim);
	return victim;
}

/* Takes at most a batch per turn: in a burst, requests that already
 * arrived are answered before later arrivals evict them. */
static void accept_some(struct wd_httpd *h)
{
	for (int i = 0; i < HTTPD_ACCEPT_BATCH; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_warn("metrics", "accept: %s", strerror(errno));
				h->backoff_until_ms = now_ms() + HTTPD_BACKOFF_MS;
			}
			return; /* EAGAIN: the queue is empty; others: the client left */
		}
		struct conn *c = conn_slot(h);
		c->fd = fd;
		c->st = C_READ;
		c->len = 0;
		c->req[0] = '\0';
		c->seq = h->next_seq++;
		c->deadline_ms = now_ms() + HTTPD_REQ_MS;
	}
}

static void *httpd_main(void *arg)
{
	struct wd_httpd *h = arg;
	struct pollfd p[2 + HTTPD_CONN_MAX];
	struct conn *pc[2 + HTTPD_CONN_MAX];
	while (!atomic_load(&h->stop)) {
		int64_t now = now_ms(), next = -1;
		for (int i = 0; i < HTTPD_CONN_MAX; i++) {
			struct conn *c = &h->conns[i];
			if (c->fd >= 0 && now >= c->deadline_ms)
				conn_close(c); /* too slow to send or to take the answer */
			if (c->fd >= 0 && (next < 0 || c->deadline_ms < next))
				next = c->deadline_ms;
		}
		bool listening = now >= h->backoff_until_ms;
		if (!listening && (next < 0 || h->backoff_until_ms < next))
			next = h->backoff_until_ms;
		int n = 0;
		p[n++] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = listening ? h->fd : -1, .events = POLLIN };
		for (int i = 0; i < HTTPD_CONN_MAX; i++) {
			struct conn *c = &h->conns[i];
			if (c->fd < 0)
				continue;
			pc[n] = c;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = c->st == C_WRITE ? POLLOUT : POLLIN };
		}
		int timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
		int r = poll(p, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("metrics", "poll: %s; /metrics and /healthz stop answering", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (p[0].revents)
			break;
		for (int i = 2; i < n; i++) {
			struct conn *c = pc[i];
			if (!p[i].revents || c->fd != p[i].fd)
				continue;
			if (c->st == C_WRITE)
				on_writable(c);
			else
				on_readable(h, c);
		}
		/* after serving: a full table evicts, and the loop above still
		 * held pointers into it */
		if (p[1].revents & POLLIN)
			accept_some(h);
	}
	for (int i = 0; i < HTTPD_CONN_MAX; i++)
		conn_close(&h->conns[i]);
	return NULL;
}

int wd_listen_tcp(const char *host, int port, int sock_flags, int backlog, int *bound)
{
	bool v6 = strchr(host, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | sock_flags, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof *s4;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct wd_httpd *wd_httpd_start(const char *addr, wd_health_fn health, void *ud, char *err, size_t errlen)
{
	char host[64];
	int port;
	if (wd_parse_listen(addr, host, sizeof host, &port, err, errlen) != 0)
		return NULL;
	int bound;
	/* a deep backlog: a burst of clients waits in the kernel, not in SYN
	 * retries, while the loop accepts */
	int fd = wd_listen_tcp(host, port, SOCK_CLOEXEC | SOCK_NONBLOCK, SOMAXCONN, &bound);
	if (fd < 0) {
		snprintf(err, errlen, "metrics %s: %s", addr, strerror(errno));
		return NULL;
	}
	struct wd_httpd *h = xcalloc(1, sizeof *h);
	h->fd = fd;
	h->port = bound;
	h->health = health;
	h->ud = ud;
	for (int i = 0; i < HTTPD_CONN_MAX; i++)
		h->conns[i].fd = -1;
	atomic_init(&h->stop, false);
	if (pipe2(h->wake, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "metrics pipe: %s", strerror(errno));
		close(fd);
		free(h);
		return NULL;
	}
	if (pthread_create(&h->thr, NULL, httpd_main, h) != 0) {
		snprintf(err, errlen, "metrics thread: %s", strerror(errno));
		close(h->wake[0]);
		close(h->wake[1]);
		close(fd);
		free(h);
		return NULL;
	}
	return h;
}

int wd_httpd_port(const struct wd_httpd *h)
{
	return h ? h->port : 0;
}

void wd_httpd_stop(struct wd_httpd *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, true);
	ssize_t w = write(h->wake[1], "x", 1);
	(void)w;
	pthread_join(h->thr, NULL);
	close(h->wake[0]);
	close(h->wake[1]);
	close(h->fd);
	free(h);
}
