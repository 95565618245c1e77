/* DESIGN: the /metrics and /healthz endpoint. A plain-socket HTTP/1.0
 * server in its own thread: a scrape every few seconds needs no HTTP
 * library, and keeping it out of libwebsockets means the exchange stream
 * threads never share a context with it. One poll() loop over the
 * listening socket and up to HTTPD_CONNS non-blocking connections, each
 * with a deadline for its whole request and answer (HTTPD_DEADLINE_MS from
 * accept): a slow or silent client (slowloris) holds one slot for two
 * seconds at most and never delays anyone else's probe; when every slot is
 * taken, the oldest connection is dropped for the new one. Connection:
 * close after every answer. Loopback addresses only (127.x.x.x, ::1):
 * metrics name accounts and symbols. */
#include "watchdog/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

#define HTTPD_REQ_MAX 4096
#define HTTPD_DEADLINE_MS 2000 /* a whole request and its answer, from accept */
#define HTTPD_CONNS 64

struct wd_httpd {
	int fd;
	int port;
	int wake[2];
	atomic_bool stop;
	pthread_t thr;
	wd_health_fn health;
	void *ud;
};

int wd_parse_listen(const char *addr, char *host, size_t hostlen, int *port, char *err, size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':') {
			snprintf(err, errlen, "metrics_listen '%s': expected [::1]:PORT", addr);
			return -1;
		}
		colon = close + 1;
	}
	if (!colon || colon == addr) {
		snprintf(err, errlen, "metrics_listen '%s': expected HOST:PORT", addr);
		return -1;
	}
	size_t hl = (size_t)(colon - addr);
	if (hl >= hostlen) {
		snprintf(err, errlen, "metrics_listen '%s': host too long", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[') { /* [::1] -> ::1 */
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535) {
		snprintf(err, errlen, "metrics_listen '%s': bad port", addr);
		return -1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	struct in_addr a;
	struct in6_addr a6;
	bool v4 = inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
	bool v6 = inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	if (!v4 && !v6) {
		snprintf(err, errlen, "metrics_listen '%s': only loopback (127.x.x.x, [::1]) is allowed", addr);
		return -1;
	}
	*port = (int)p;
	return 0;
}

/* One client: its request as read so far, then its answer being sent. */
struct conn {
	int fd;
	int64_t accepted_ms, deadline_ms;
	size_t len;
	char req[HTTPD_REQ_MAX];
	char *out; /* the whole answer, once the request is complete */
	size_t out_len, out_off;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *answer(int status, const char *ctype, const char *body, size_t *len)
{
	const char *reason = status == 200   ? "OK"
			     : status == 503 ? "Service Unavailable"
			     : status == 405 ? "Method Not Allowed"
			     : status == 431 ? "Request Header Fields Too Large"
			     : status == 400 ? "Bad Request"
					     : "Not Found";
	char *a = xasprintf("HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s",
			    status, reason, ctype, strlen(body), body);
	*len = strlen(a);
	return a;
}

/* The answer to a complete request head. */
static char *route(struct wd_httpd *h, const char *req, size_t *len)
{
	char method[8] = "", path[256] = "";
	if (sscanf(req, "%7s %255s", method, path) != 2)
		return answer(400, "text/plain", "bad request\n", len);
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer(405, "text/plain", "GET only\n", len);
	if (strcmp(path, "/metrics") == 0) {
		char *body = wd_metrics_render();
		char *a = answer(200, "text/plain; version=0.0.4; charset=utf-8", body, len);
		free(body);
		return a;
	}
	if (strcmp(path, "/healthz") == 0) {
		int status = 200;
		char body[512] = "ok\n";
		if (h->health)
			h->health(h->ud, &status, body, sizeof body);
		return answer(status, "text/plain", body, len);
	}
	return answer(404, "text/plain", "not found: try /metrics or /healthz\n", len);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

/* Reads what is there; 1 when the request head is complete (or too
 * large: answered 431), 0 to wait, -1 to drop. */
static int conn_read(struct wd_httpd *h, struct conn *c)
{
	for (;;) {
		if (c->len + 1 >= sizeof c->req) {
			c->out = answer(431, "text/plain", "request too large\n", &c->out_len);
			return 1;
		}
		ssize_t r = recv(c->fd, c->req + c->len, sizeof c->req - 1 - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
		c->req[c->len] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
			c->out = route(h, c->req, &c->out_len);
			return 1;
		}
	}
}

/* Sends what the socket takes; 1 done, 0 to wait, -1 to drop. */
static int conn_write(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->out_off += (size_t)w;
	}
	return 1;
}

static void accept_one(struct wd_httpd *h, struct conn *cs)
{
	int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct conn *slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < HTTPD_CONNS; i++) {
		if (cs[i].fd < 0) {
			slot = &cs[i];
			break;
		}
		if (!oldest || cs[i].accepted_ms < oldest->accepted_ms)
			oldest = &cs[i];
	}
	if (!slot) {
		conn_close(oldest); /* every slot taken: the oldest goes */
		slot = oldest;
	}
	slot->fd = fd;
	slot->accepted_ms = now_ms();
	slot->deadline_ms = slot->accepted_ms + HTTPD_DEADLINE_MS;
	slot->len = slot->out_len = slot->out_off = 0;
	slot->out = NULL;
}

static void *httpd_main(void *arg)
{
	struct wd_httpd *h = arg;
	struct conn *cs = xcalloc(HTTPD_CONNS, sizeof *cs);
	for (size_t i = 0; i < HTTPD_CONNS; i++)
		cs[i].fd = -1;
	struct pollfd p[HTTPD_CONNS + 2];
	struct conn *of[HTTPD_CONNS + 2];
	while (!atomic_load(&h->stop)) {
		int64_t now = now_ms(), wait = -1;
		size_t n = 0;
		p[n++] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = h->fd, .events = POLLIN };
		for (size_t i = 0; i < HTTPD_CONNS; i++) {
			struct conn *c = &cs[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				conn_close(c); /* too slow: its slot is free again */
				continue;
			}
			int64_t left = c->deadline_ms - now;
			if (wait < 0 || left < wait)
				wait = left;
			of[n] = c;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
		}
		int r = poll(p, (nfds_t)n, (int)wait);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (p[0].revents)
			break;
		for (size_t k = 2; k < n; k++) {
			struct conn *c = of[k];
			if (!p[k].revents)
				continue;
			int st = c->out ? 1 : conn_read(h, c);
			if (st == 1)
				st = conn_write(c);
			if (st != 0)
				conn_close(c); /* answered (or gone) */
		}
		if (p[1].revents & POLLIN)
			accept_one(h, cs);
	}
	for (size_t i = 0; i < HTTPD_CONNS; i++)
		conn_close(&cs[i]);
	free(cs);
	return NULL;
}

struct wd_httpd *wd_httpd_start(const char *addr, wd_health_fn health, void *ud, char *err, size_t errlen)
{
	char host[64];
	int port;
	if (wd_parse_listen(addr, host, sizeof host, &port, err, errlen) != 0)
		return NULL;
	bool v6 = strchr(host, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "metrics socket: %s", strerror(errno));
		return NULL;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &a6->sin6_addr);
		sl = sizeof *a6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &a4->sin_addr);
		sl = sizeof *a4;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
		snprintf(err, errlen, "metrics %s: %s", addr, strerror(errno));
		close(fd);
		return NULL;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	struct wd_httpd *h = xcalloc(1, sizeof *h);
	h->fd = fd;
	h->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	h->health = health;
	h->ud = ud;
	atomic_init(&h->stop, false);
	if (pipe2(h->wake, O_CLOEXEC) != 0 || pthread_create(&h->thr, NULL, httpd_main, h) != 0) {
		snprintf(err, errlen, "metrics thread: %s", strerror(errno));
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
