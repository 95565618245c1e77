/* Input limits of the adapters' HTTP client (exchanges/http.c): an answer
 * that never ends, one that announces a huge length, and one that drips a
 * byte at a time forever are cut off at the size cap / the request
 * deadline, with a typed error (XCH_TOOBIG / XCH_TIMEOUT), bounded memory
 * and the adapter still usable afterwards. The misbehaving server is a
 * thread of this test on 127.0.0.1. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
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

#include "exchanges/exchange.h"
#include "exchanges/http.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

enum srv_mode { SRV_ENDLESS_CHUNKED, SRV_HUGE_LENGTH, SRV_DRIP, SRV_NORMAL };

struct srv {
	int lfd, port;
	atomic_int mode;
	atomic_bool stop;
	pthread_t thr;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* Reads the request head; fills path. 0 ok, -1 if the client went away. */
static int read_head(int fd, char *path, size_t cap)
{
	char buf[8192];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	path[0] = '\0';
	sscanf(buf, "%*s %255s", path);
	(void)cap;
	return 0;
}

static void serve(struct srv *s, int fd)
{
	char path[256];
	static char chunk[65536];
	struct timeval tv = { 0, 300000 }; /* a client that stops reading must not hang us */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(chunk, ' ', sizeof chunk);
	while (read_head(fd, path, sizeof path) == 0) {
		int mode = atomic_load(&s->mode);
		if (mode == SRV_NORMAL) {
			char body[128], head[256];
			if (strstr(path, "/time"))
				snprintf(body, sizeof body, "{\"serverTime\":%lld}", (long long)time(NULL) * 1000);
			else
				snprintf(body, sizeof body, "[]");
			snprintf(head, sizeof head,
				 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
				 strlen(body));
			if (send_all(fd, head, strlen(head)) || send_all(fd, body, strlen(body)))
				return;
			continue; /* keep-alive: the next request on this connection */
		}
		const char *head = mode == SRV_HUGE_LENGTH ? "HTTP/1.1 200 OK\r\nContent-Type: "
							     "application/json\r\nContent-Length: 10737418240\r\n\r\n"
							   : "HTTP/1.1 200 OK\r\nContent-Type: "
							     "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
		if (send_all(fd, head, strlen(head)))
			return;
		if (mode != SRV_HUGE_LENGTH && send_all(fd, "1\r\n[\r\n", 6))
			return;
		while (!atomic_load(&s->stop)) {
			int rc;
			if (mode == SRV_DRIP) {
				rc = send_all(fd, "1\r\n \r\n", 6);
				usleep(50000);
			} else if (mode == SRV_HUGE_LENGTH) {
				rc = send_all(fd, chunk, sizeof chunk);
			} else {
				rc = send_all(fd, "10000\r\n", 7) || send_all(fd, chunk, sizeof chunk) ||
				     send_all(fd, "\r\n", 2);
			}
			if (rc)
				return; /* the client dropped us: that is the point */
		}
		return;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode)
{
	memset(s, 0, sizeof *s);
	atomic_store(&s->mode, mode);
	s->lfd = tu_listen_loopback(&s->port);
	CU_ASSERT_FATAL(s->lfd >= 0);
	pthread_create(&s->thr, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thr, NULL);
	close(s->lfd);
}

/* One GET through xch_http; returns the transport rc, *secs the time taken. */
static int get_once(struct srv *s, int64_t req_timeout_ms, size_t cap, struct xch_req *r, double *secs)
{
	struct xch_http *h = xch_http_new(1000, req_timeout_ms, cap);
	struct xch_err err;
	memset(r, 0, sizeof *r);
	memset(&err, 0, sizeof err);
	r->method = "GET";
	r->url = xasprintf("http://127.0.0.1:%d/fapi/v3/positionRisk", s->port);
	double t0 = now_s();
	xch_http_run(h, (struct xch_req *const[]){ r }, 1);
	*secs = now_s() - t0;
	int rc = xch_http_transport_rc(r, &err);
	if (rc != XCH_OK)
		CU_ASSERT_NOT_EQUAL(err.msg[0], '\0');
	xch_http_free(h);
	return rc;
}

static void test_limits_http_endless_body_is_cut_at_the_cap(void)
{
	struct srv s;
	struct xch_req r;
	double secs;
	srv_start(&s, SRV_ENDLESS_CHUNKED);
	int rc = get_once(&s, 10000, 256 * 1024, &r, &secs);
	CU_ASSERT_EQUAL(rc, XCH_TOOBIG);
	CU_ASSERT(r.resp_len <= 256 * 1024);
	CU_ASSERT(secs < 5.0); /* stopped by the cap, not by the deadline */
	xch_req_clear(&r);
	srv_stop(&s);
}

static void test_limits_http_announced_huge_length_is_refused(void)
{
	struct srv s;
	struct xch_req r;
	double secs;
	srv_start(&s, SRV_HUGE_LENGTH);
	int rc = get_once(&s, 10000, 256 * 1024, &r, &secs);
	CU_ASSERT_EQUAL(rc, XCH_TOOBIG);
	CU_ASSERT(r.resp_len <= 256 * 1024);
	CU_ASSERT(secs < 5.0);
	xch_req_clear(&r);
	srv_stop(&s);
}

static void test_limits_http_endless_drip_hits_the_deadline(void)
{
	struct srv s;
	struct xch_req r;
	double secs;
	srv_start(&s, SRV_DRIP);
	int rc = get_once(&s, 300, 256 * 1024, &r, &secs);
	CU_ASSERT_EQUAL(rc, XCH_TIMEOUT);
	CU_ASSERT(secs >= 0.25 && secs < 3.0);
	xch_req_clear(&r);
	srv_stop(&s);
}

/* Through a real adapter: the oversized answer is a typed error, and the
 * same adapter works again once the server behaves. */
static void test_limits_adapter_survives_an_answer_over_the_cap(void)
{
	struct srv s;
	struct xch_config cfg;
	struct xch_err err;
	struct rec_position *pos = NULL;
	size_t n = 0;

	srv_start(&s, SRV_ENDLESS_CHUNKED);
	memset(&cfg, 0, sizeof cfg);
	cfg.exchange = REC_EX_BINANCE;
	snprintf(cfg.account, sizeof cfg.account, "limits");
	snprintf(cfg.rest_url, sizeof cfg.rest_url, "http://127.0.0.1:%d", s.port);
	snprintf(cfg.ws_url, sizeof cfg.ws_url, "ws://127.0.0.1:%d", s.port);
	cfg.api_key = "limits-key";
	cfg.api_secret = "limits-secret";
	cfg.recv_window_ms = 5000;
	cfg.connect_timeout_ms = 1000;
	cfg.request_timeout_ms = 5000;
	cfg.max_body = 128 * 1024;
	memset(&err, 0, sizeof err);
	struct xch *x = xch_new(&cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);

	double t0 = now_s();
	int rc = x->ops->positions(x, &pos, &n, &err);
	CU_ASSERT_EQUAL(rc, XCH_TOOBIG);
	CU_ASSERT_EQUAL(err.rc, XCH_TOOBIG);
	CU_ASSERT_PTR_NULL(pos);
	CU_ASSERT(now_s() - t0 < 5.0);

	atomic_store(&s.mode, SRV_NORMAL);
	memset(&err, 0, sizeof err);
	rc = x->ops->positions(x, &pos, &n, &err);
	if (rc != XCH_OK)
		fprintf(stderr, "positions after the cap: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(n, 0);
	free(pos);
	xch_free(x);
	srv_stop(&s);
}

void test_limits_http_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_limits_http_endless_body_is_cut_at_the_cap", test_limits_http_endless_body_is_cut_at_the_cap },
		{ "test_limits_http_announced_huge_length_is_refused",
		  test_limits_http_announced_huge_length_is_refused },
		{ "test_limits_http_endless_drip_hits_the_deadline", test_limits_http_endless_drip_hits_the_deadline },
		{ "test_limits_adapter_survives_an_answer_over_the_cap",
		  test_limits_adapter_survives_an_answer_over_the_cap },
		{ NULL, NULL },
	};
	tu_add_suite("limits_http", tests);
}
