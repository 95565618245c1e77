/* The metrics / health server under hostile clients: 50 slowloris
 * connections and 200 silent ones do not delay a health probe, silent
 * ones are dropped at their deadline (no fd kept), an oversized request
 * gets 431, and [::1] works. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <dirent.h>
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

static int64_t ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int dial(int family, int port)
{
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int rc;
	if (family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		inet_pton(AF_INET6, "::1", &a.sin6_addr);
		rc = connect(fd, (struct sockaddr *)&a, sizeof a);
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		rc = connect(fd, (struct sockaddr *)&a, sizeof a);
	}
	if (rc) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends req, reads the answer until close (5 s at most). */
static int get(int family, int port, const char *req, char *out, size_t cap)
{
	int fd = dial(family, port);
	if (fd < 0)
		return -1;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	size_t len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t r = recv(fd, out + len, cap - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len + 1 >= cap)
			break;
	}
	out[len] = '\0';
	close(fd);
	return 0;
}

static void health_ok(void *ud, int *status, char *buf, size_t len)
{
	*status = 200;
	snprintf(buf, len, "ok\n");
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_metrics_healthz_answers_fast_while_50_slow_clients_hang_on(void)
{
	char err[256], buf[4096];
	int base = open_fds();
	struct wd_httpd *h = wd_httpd_start("127.0.0.1:0", health_ok, NULL, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	int slow[50];
	for (int i = 0; i < 50; i++) {
		slow[i] = dial(AF_INET, port);
		CU_ASSERT(slow[i] >= 0);
		if (slow[i] >= 0)
			CU_ASSERT_EQUAL(send(slow[i], "G", 1, MSG_NOSIGNAL), 1); /* then a byte now and then */
	}
	int64_t took[5];
	for (int k = 0; k < 5; k++) {
		for (int i = 0; i < 50; i++)
			if (slow[i] >= 0)
				(void)send(slow[i], "E", 1, MSG_NOSIGNAL);
		int64_t t0 = ms();
		CU_ASSERT_EQUAL(get(AF_INET, port, "GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf), 0);
		took[k] = ms() - t0;
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	}
	qsort(took, 5, sizeof took[0], cmp64);
	printf("  healthz with 50 slow clients: median %lld ms, max %lld ms\n", (long long)took[2], (long long)took[4]);
	CU_ASSERT(took[2] < 100);
	for (int i = 0; i < 50; i++)
		if (slow[i] >= 0)
			close(slow[i]);
	wd_httpd_stop(h);
	CU_ASSERT_EQUAL(open_fds(), base); /* nothing left open */
}

static void test_metrics_silent_clients_are_dropped_at_their_deadline(void)
{
	char err[256], buf[8192];
	struct wd_httpd *h = wd_httpd_start("127.0.0.1:0", health_ok, NULL, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	int before = open_fds();
	static int silent[200];
	for (int i = 0; i < 200; i++)
		silent[i] = dial(AF_INET, port); /* more than the server's slots */
	/* a probe among them still answers (the oldest silent one makes room) */
	CU_ASSERT_EQUAL(get(AF_INET, port, "GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	/* the last silent client gets EOF at its deadline (2 s), not never */
	struct pollfd p = { .fd = silent[199], .events = POLLIN };
	int64_t t0 = ms();
	CU_ASSERT_EQUAL(poll(&p, 1, 4000), 1);
	CU_ASSERT_EQUAL(recv(silent[199], buf, sizeof buf, 0), 0);
	CU_ASSERT(ms() - t0 < 3500);
	for (int i = 0; i < 200; i++)
		if (silent[i] >= 0)
			close(silent[i]);
	CU_ASSERT_EQUAL(open_fds(), before); /* the server keeps no fd of theirs */
	/* a request head over 4 KiB: 431, and the server goes on */
	char big[6000];
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	big[sizeof big - 1] = '\0';
	CU_ASSERT_EQUAL(get(AF_INET, port, big, buf, sizeof buf), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "431"));
	CU_ASSERT_EQUAL(get(AF_INET, port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof buf), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	wd_httpd_stop(h);
}

static void test_metrics_listen_on_ipv6_loopback(void)
{
	char err[256], buf[4096], host[64];
	int port;
	CU_ASSERT_EQUAL(wd_parse_listen("[::1]:9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 9464);
	CU_ASSERT_NOT_EQUAL(wd_parse_listen("[::]:9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_NOT_EQUAL(wd_parse_listen("[2001:db8::1]:9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_NOT_EQUAL(wd_parse_listen("[::1]9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_NOT_EQUAL(wd_parse_listen("[::1]:99999", host, sizeof host, &port, err, sizeof err), 0);
	struct wd_httpd *h = wd_httpd_start("[::1]:0", health_ok, NULL, err, sizeof err);
	if (!h) {
		printf("  (no IPv6 loopback here: %s)\n", err);
		return;
	}
	CU_ASSERT_EQUAL(get(AF_INET6, wd_httpd_port(h), "GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "200 OK"));
	wd_httpd_stop(h);
}

void test_metrics_http_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_metrics_healthz_answers_fast_while_50_slow_clients_hang_on",
		  test_metrics_healthz_answers_fast_while_50_slow_clients_hang_on },
		{ "test_metrics_silent_clients_are_dropped_at_their_deadline",
		  test_metrics_silent_clients_are_dropped_at_their_deadline },
		{ "test_metrics_listen_on_ipv6_loopback", test_metrics_listen_on_ipv6_loopback },
		{ NULL, NULL },
	};
	tu_add_suite("metrics_http", tests);
}
