/* DESIGN: the /metrics and /healthz endpoint. A plain-socket HTTP/1.0
 * server in its own thread: a scrape every few seconds needs no HTTP
 * library, and keeping it out of libwebsockets means the exchange stream
 * threads never share a context with it. One connection at a time, each
 * with a short read deadline, so a stuck client cannot hold the thread for
 * long; Connection: close after every answer. Loopback addresses only:
 * metrics name accounts and symbols. */
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
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

#define HTTPD_REQ_MAX 4096
#define HTTPD_READ_MS 1000

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
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535) {
		snprintf(err, errlen, "metrics_listen '%s': bad port", addr);
		return -1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "metrics_listen '%s': only loopback (127.x.x.x) is allowed", addr);
		return -1;
	}
	*port = (int)p;
	return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int status, const char *ctype, const char *body)
{
	const char *reason = status == 200   ? "OK"
			     : status == 503 ? "Service Unavailable"
			     : status == 405 ? "Method Not Allowed"
					     : "Not Found";
	char head[256];
	size_t bl = strlen(body);
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason, ctype, bl);
	write_all(fd, head, (size_t)n);
	write_all(fd, body, bl);
}

/* Reads until the end of the request head or the deadline. */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, HTTPD_READ_MS) <= 0)
			return -1;
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	buf[len] = '\0';
	return len > 0 ? 0 : -1;
}

static void serve_one(struct wd_httpd *h, int fd)
{
	char req[HTTPD_REQ_MAX];
	if (read_request(fd, req, sizeof req) != 0)
		return;
	char method[8] = "", path[256] = "";
	if (sscanf(req, "%7s %255s", method, path) != 2) {
		respond(fd, 404, "text/plain", "bad request\n");
		return;
	}
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond(fd, 405, "text/plain", "GET only\n");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		char *body = wd_metrics_render();
		respond(fd, 200, "text/plain; version=0.0.4; charset=utf-8", body);
		free(body);
	} else if (strcmp(path, "/healthz") == 0) {
		int status = 200;
		char body[512] = "ok\n";
		if (h->health)
			h->health(h->ud, &status, body, sizeof body);
		respond(fd, status, "text/plain", body);
	} else {
		respond(fd, 404, "text/plain", "not found: try /metrics or /healthz\n");
	}
}

static void *httpd_main(void *arg)
{
	struct wd_httpd *h = arg;
	while (!atomic_load(&h->stop)) {
		struct pollfd p[2] = { { .fd = h->fd, .events = POLLIN }, { .fd = h->wake[0], .events = POLLIN } };
		int r = poll(p, 2, -1);
		if (r < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int c = accept(h->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(h, c);
		close(c);
	}
	return NULL;
}

struct wd_httpd *wd_httpd_start(const char *addr, wd_health_fn health, void *ud, char *err, size_t errlen)
{
	char host[64];
	int port;
	if (wd_parse_listen(addr, host, sizeof host, &port, err, errlen) != 0)
		return NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "metrics socket: %s", strerror(errno));
		return NULL;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "metrics %s: %s", addr, strerror(errno));
		close(fd);
		return NULL;
	}
	socklen_t sl = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	struct wd_httpd *h = xcalloc(1, sizeof *h);
	h->fd = fd;
	h->port = ntohs(sa.sin_port);
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
