/* The metrics HTTP server under hostile clients: slow senders, silent
 * connections, clients that never read, floods of connections, oversized
 * heads; and the IPv6 loopback listen address. Timing bounds are the
 * issue's rule (/healthz < 100 ms with 50 slow clients, as a median of 5)
 * or whole seconds around the 2 s request deadline. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/metrics.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* A connected socket to the server (v6: ::1), or -1. rcvbuf > 0 shrinks
 * the receive buffer before connecting (a client that reads slowly). */
static int dial(int port, bool v6, int rcvbuf)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	int rc;
	if (v6) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		sa.sin6_addr = in6addr_loopback;
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	}
	if (rc != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until EOF, reset or timeout_ms; the bytes read (malloc'd). */
static char *read_all(int fd, int timeout_ms)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - mono_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

/* One GET; the whole answer (malloc'd) or NULL if the connect failed. */
static char *get(int port, bool v6, const char *path)
{
	int fd = dial(port, v6, 0);
	if (fd < 0)
		return NULL;
	char req[256];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return NULL;
	}
	char *r = read_all(fd, 5000);
	close(fd);
	return r;
}

/* Milliseconds for one /healthz answer (200 "ok"), -1 if it failed. */
static int healthz_ms(int port)
{
	int64_t t0 = mono_ms();
	char *r = get(port, false, "/healthz");
	int ms = (int)(mono_ms() - t0);
	bool ok = r && strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0 && strstr(r, "\r\n\r\nok\n");
	free(r);
	return ok ? ms : -1;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* True while the peer has not closed fd (no EOF, no reset). */
static bool still_open(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Milliseconds until the server closes fd (EOF or reset), -1 after
 * timeout_ms. Whatever the server sends first is read and discarded. */
static int ms_until_closed(int fd, int64_t since, int timeout_ms)
{
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - mono_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		char b[512];
		ssize_t r = recv(fd, b, sizeof b, 0);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return (int)(mono_ms() - since);
	}
}

static struct wd_httpd *start(const char *listen)
{
	char err[256];
	struct wd_httpd *h = wd_httpd_start(listen, NULL, NULL, err, sizeof err);
	if (!h)
		fprintf(stderr, "wd_httpd_start %s: %s\n", listen, err);
	return h;
}

static void test_metrics_http_healthz_answers_under_100ms_with_50_slow_clients(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	enum { NSLOW = 50, NPROBE = 5 };
	int slow[NSLOW];
	for (int i = 0; i < NSLOW; i++) {
		slow[i] = dial(port, false, 0);
		CU_ASSERT_FATAL(slow[i] >= 0);
	}
	/* half trickle a request head a byte at a time, half never send */
	const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	int ms[NPROBE];
	for (int k = 0; k < NPROBE; k++) {
		for (int i = 0; i < NSLOW; i += 2)
			CU_ASSERT_EQUAL(send(slow[i], head + k, 1, MSG_NOSIGNAL), 1);
		ms[k] = healthz_ms(port);
		CU_ASSERT(ms[k] >= 0);
	}
	qsort(ms, NPROBE, sizeof ms[0], cmp_int);
	fprintf(stderr, "\n    /healthz with %d slow clients: median %d ms, max %d ms\n", NSLOW, ms[NPROBE / 2],
		ms[NPROBE - 1]);
	CU_ASSERT(ms[NPROBE / 2] < 100);
	/* served beside them, not by dropping them: all 50 still connected */
	int open = 0;
	for (int i = 0; i < NSLOW; i++) {
		open += still_open(slow[i]);
		close(slow[i]);
	}
	CU_ASSERT_EQUAL(open, NSLOW);
	wd_httpd_stop(h);
}

static void test_metrics_http_client_that_never_sends_is_dropped_after_deadline(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int64_t t0 = mono_ms();
	int fd = dial(wd_httpd_port(h), false, 0);
	CU_ASSERT_FATAL(fd >= 0);
	int ms = ms_until_closed(fd, t0, 5000);
	/* closed by the 2 s deadline: not at once, not never */
	CU_ASSERT(ms >= 1500);
	CU_ASSERT(ms >= 0 && ms < 3500);
	close(fd);
	wd_httpd_stop(h);
}

static void test_metrics_http_trickling_client_is_cut_off_at_request_deadline(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int64_t t0 = mono_ms();
	int fd = dial(wd_httpd_port(h), false, 0);
	CU_ASSERT_FATAL(fd >= 0);
	/* a byte every 200 ms keeps a per-read timeout happy forever; the
	 * deadline counts from accept */
	const char *head = "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int ms = -1;
	for (size_t i = 0; i < strlen(head) && ms < 0; i++) {
		if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1) {
			ms = (int)(mono_ms() - t0);
			break;
		}
		ms = ms_until_closed(fd, t0, 200);
	}
	CU_ASSERT(ms >= 1500 && ms < 3500);
	close(fd);
	wd_httpd_stop(h);
}

static void test_metrics_http_200_connections_at_once_leave_no_fd_behind(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	int before = fd_count();
	enum { N = 200 };
	int c[N];
	const char *req = "GET /healthz HTTP/1.0\r\n\r\n";
	for (int i = 0; i < N; i++) {
		c[i] = dial(port, false, 0);
		CU_ASSERT_FATAL(c[i] >= 0);
		if (i % 2)
			CU_ASSERT_EQUAL(send(c[i], req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	}
	/* a probe still gets a slot (the oldest waiting request is evicted) */
	CU_ASSERT(healthz_ms(port) >= 0);
	sleep_ms(100);
	/* the server holds at most its 64 connections beside our 200 */
	int during = fd_count();
	CU_ASSERT(during <= before + N + 64);
	for (int i = 0; i < N; i++)
		close(c[i]);
	int after = -1;
	for (int t = 0; t < 40 && after != before; t++) {
		sleep_ms(100);
		after = fd_count();
	}
	fprintf(stderr, "\n    fds: %d before, %d with %d clients, %d after\n", before, during, N, after);
	CU_ASSERT_EQUAL(after, before);
	CU_ASSERT(healthz_ms(port) >= 0);
	wd_httpd_stop(h);
}

static void test_metrics_http_full_table_drops_the_oldest_waiting_client(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	enum { CAP = 64 };
	int c[CAP + 1];
	for (int i = 0; i < CAP; i++) {
		c[i] = dial(port, false, 0);
		CU_ASSERT_FATAL(c[i] >= 0);
	}
	sleep_ms(200); /* all 64 accepted, in order */
	c[CAP] = dial(port, false, 0);
	CU_ASSERT_FATAL(c[CAP] >= 0);
	/* the 65th pushes out the first, and only the first */
	CU_ASSERT(ms_until_closed(c[0], mono_ms(), 1000) >= 0);
	int open = 0;
	for (int i = 1; i <= CAP; i++)
		open += still_open(c[i]);
	CU_ASSERT_EQUAL(open, CAP);
	for (int i = 0; i <= CAP; i++)
		close(c[i]);
	wd_httpd_stop(h);
}

static void test_metrics_http_oversized_request_head_gets_431(void)
{
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int fd = dial(wd_httpd_port(h), false, 0);
	CU_ASSERT_FATAL(fd >= 0);
	char big[5000];
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	CU_ASSERT_EQUAL(send(fd, big, sizeof big, MSG_NOSIGNAL), (ssize_t)sizeof big);
	char *r = read_all(fd, 3000);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "HTTP/1.0 431 Request Header Fields Too Large\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "Connection: close\r\n"));
	free(r);
	close(fd);
	/* the server goes on answering */
	CU_ASSERT(healthz_ms(wd_httpd_port(h)) >= 0);
	wd_httpd_stop(h);
}

static void test_metrics_http_client_that_never_reads_does_not_block_healthz(void)
{
	wd_metrics_reset();
	/* a /metrics answer of ~16 MB, far more than the socket buffers hold */
	char *lab = malloc(16384);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(lab, 16384, "i=\"%d\",pad=\"", i);
		memset(lab + n, 'x', 16000 - (size_t)n);
		strcpy(lab + 16000, "\"");
		wd_metric_set("vigil_test_big", lab, i);
	}
	free(lab);
	struct wd_httpd *h = start("127.0.0.1:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	int fd = dial(port, false, 4096);
	CU_ASSERT_FATAL(fd >= 0);
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	CU_ASSERT_EQUAL(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	sleep_ms(200); /* the server renders and fills the buffers */
	int ms = healthz_ms(port);
	CU_ASSERT(ms >= 0 && ms < 1000);
	/* and the non-reader is dropped once the write deadline passes */
	CU_ASSERT(ms_until_closed(fd, mono_ms(), 5000) >= 0);
	close(fd);
	wd_httpd_stop(h);
	wd_metrics_reset();
}

static void test_metrics_http_ipv6_loopback_binds_and_answers(void)
{
	struct wd_httpd *h = start("[::1]:0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	CU_ASSERT(port > 0);
	char *r = get(port, true, "/healthz");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "HTTP/1.0 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\n\r\nok\n"));
	free(r);
	/* ::1 only: the IPv4 side of the port is not ours */
	int fd = dial(port, false, 0);
	CU_ASSERT_EQUAL(fd, -1);
	if (fd >= 0)
		close(fd);
	wd_httpd_stop(h);
}

static void test_metrics_http_listen_takes_ipv6_loopback_and_refuses_others(void)
{
	char host[64], err[256];
	int port = -1;
	CU_ASSERT_EQUAL(wd_parse_listen("[::1]:9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 9464);
	CU_ASSERT_EQUAL(wd_parse_listen("[0:0:0:0:0:0:0:1]:0", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_EQUAL(wd_parse_listen("127.3.2.1:65535", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_EQUAL(port, 65535);
	const char *bad[] = {
		"[::]:9464",            /* any address */
		"[fe80::1]:9464",       /* not loopback */
		"[::ffff:127.0.0.1]:1", /* mapped: ::1 is the IPv6 loopback */
		"::1:9464",             /* IPv6 needs brackets */
		"[::1]",                /* no port */
		"[::1]9464",            /* no colon */
		"[::1]:",               /* empty port */
		"[::1]:65536",          /* port range */
		"[localhost]:1",        /* brackets are for IPv6 */
		"0.0.0.0:9464",
		"128.0.0.1:1",
		"127.0.0.1:-1",
		"127.0.0.1:+80",
		"127.0.0.1: 80",
		"127.0.0.1:0x50",
		"127.0.0.1:000009464",
		":9464",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		int rc = wd_parse_listen(bad[i], host, sizeof host, &port, err, sizeof err);
		if (rc != -1)
			fprintf(stderr, "\n    accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT(err[0] != '\0');
	}
	CU_ASSERT_EQUAL(wd_parse_listen("[::]:1", host, sizeof host, &port, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "loopback"));
	CU_ASSERT_PTR_NULL(wd_httpd_start("[::]:0", NULL, NULL, err, sizeof err));
}

void test_metrics_http_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_metrics_http_healthz_answers_under_100ms_with_50_slow_clients",
		  test_metrics_http_healthz_answers_under_100ms_with_50_slow_clients },
		{ "test_metrics_http_client_that_never_sends_is_dropped_after_deadline",
		  test_metrics_http_client_that_never_sends_is_dropped_after_deadline },
		{ "test_metrics_http_trickling_client_is_cut_off_at_request_deadline",
		  test_metrics_http_trickling_client_is_cut_off_at_request_deadline },
		{ "test_metrics_http_200_connections_at_once_leave_no_fd_behind",
		  test_metrics_http_200_connections_at_once_leave_no_fd_behind },
		{ "test_metrics_http_full_table_drops_the_oldest_waiting_client",
		  test_metrics_http_full_table_drops_the_oldest_waiting_client },
		{ "test_metrics_http_oversized_request_head_gets_431",
		  test_metrics_http_oversized_request_head_gets_431 },
		{ "test_metrics_http_client_that_never_reads_does_not_block_healthz",
		  test_metrics_http_client_that_never_reads_does_not_block_healthz },
		{ "test_metrics_http_ipv6_loopback_binds_and_answers",
		  test_metrics_http_ipv6_loopback_binds_and_answers },
		{ "test_metrics_http_listen_takes_ipv6_loopback_and_refuses_others",
		  test_metrics_http_listen_takes_ipv6_loopback_and_refuses_others },
		{ NULL, NULL },
	};
	tu_add_suite("metrics_http", tests);
}
