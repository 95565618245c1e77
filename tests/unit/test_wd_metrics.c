/* The metrics registry, its Prometheus text, and the loopback HTTP
 * endpoint (/metrics, /healthz, 404, loopback-only listen addresses). */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/metrics.h"

static void test_wd_metrics_counter_gauge_and_types_render(void)
{
	wd_metrics_reset();
	wd_metric_declare("vigil_audits_total", WD_MT_COUNTER, "audits run");
	wd_metric_add("vigil_audits_total", "account=\"b\"", 1);
	wd_metric_add("vigil_audits_total", "account=\"a\"", 2);
	wd_metric_add("vigil_audits_total", "account=\"a\"", 1);
	wd_metric_set("vigil_up", "", 1);
	char *t = wd_metrics_render();
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# HELP vigil_audits_total audits run\n# TYPE vigil_audits_total counter\n"
					 "vigil_audits_total{account=\"a\"} 3\nvigil_audits_total{account=\"b\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "vigil_up 1\n"));
	CU_ASSERT_EQUAL(wd_metric_get("vigil_audits_total", "account=\"a\""), 3);
	free(t);
	wd_metrics_reset();
}

static void test_wd_metrics_values_print_exactly_and_unset_removes(void)
{
	wd_metrics_reset();
	wd_metric_set("vigil_last_audit_timestamp_seconds", "account=\"a\"", 1796251234.567);
	wd_metric_set("big", "", 123456789012345.0);
	wd_metric_set("tenth", "", 0.1);
	wd_metric_set("gone", "account=\"a\"", 7);
	wd_metric_unset("gone", "account=\"a\"");
	char *t = wd_metrics_render();
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "vigil_last_audit_timestamp_seconds{account=\"a\"} 1796251234.567\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "big 123456789012345\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tenth 0.1\n"));
	CU_ASSERT_PTR_NULL(strstr(t, "gone"));
	CU_ASSERT_PTR_NULL(strstr(t, "e+"));
	free(t);
	wd_metrics_reset();
}

static void test_wd_metrics_zero_clears_only_matching_prefix(void)
{
	wd_metrics_reset();
	wd_metric_add("vigil_findings_open", "account=\"a\",code=\"X\"", 2);
	wd_metric_add("vigil_findings_open", "account=\"ab\",code=\"X\"", 5);
	wd_metric_zero("vigil_findings_open", "account=\"a\",");
	CU_ASSERT_EQUAL(wd_metric_get("vigil_findings_open", "account=\"a\",code=\"X\""), 0);
	CU_ASSERT_EQUAL(wd_metric_get("vigil_findings_open", "account=\"ab\",code=\"X\""), 5);
	wd_metrics_reset();
}

static void test_wd_metrics_histogram_buckets_are_cumulative(void)
{
	wd_metrics_reset();
	wd_metric_declare("lat", WD_MT_HISTOGRAM, "");
	wd_metric_observe("lat", "e=\"x\"", 0.003);
	wd_metric_observe("lat", "e=\"x\"", 0.2);
	wd_metric_observe("lat", "e=\"x\"", 60);
	char *t = wd_metrics_render();
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "lat_bucket{e=\"x\",le=\"0.005\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "lat_bucket{e=\"x\",le=\"0.25\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "lat_bucket{e=\"x\",le=\"10\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "lat_bucket{e=\"x\",le=\"+Inf\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "lat_count{e=\"x\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE lat histogram\n"));
	CU_ASSERT_EQUAL(wd_metric_get("lat", "e=\"x\""), 3);
	free(t);
	wd_metrics_reset();
}

static void test_wd_metrics_label_escape(void)
{
	char out[64];
	CU_ASSERT_STRING_EQUAL(wd_metric_escape("a\"b\\c\nd", out, sizeof out), "a\\\"b\\\\c\\nd");
}

static void test_wd_metrics_listen_must_be_loopback(void)
{
	char host[64], err[256];
	int port;
	CU_ASSERT_EQUAL(wd_parse_listen("127.0.0.1:9464", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_EQUAL(port, 9464);
	CU_ASSERT_EQUAL(wd_parse_listen("localhost:0", host, sizeof host, &port, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_EQUAL(wd_parse_listen("0.0.0.0:9464", host, sizeof host, &port, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "loopback"));
	CU_ASSERT_EQUAL(wd_parse_listen("10.1.2.3:1", host, sizeof host, &port, err, sizeof err), -1);
	CU_ASSERT_EQUAL(wd_parse_listen("127.0.0.1:99999", host, sizeof host, &port, err, sizeof err), -1);
	CU_ASSERT_EQUAL(wd_parse_listen("9464", host, sizeof host, &port, err, sizeof err), -1);
}

static char *http_get(int port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	char req[256];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void health_503(void *ud, int *status, char *buf, size_t n)
{
	(void)ud;
	*status = 503;
	snprintf(buf, n, "no audit yet\n");
}

static void test_wd_metrics_http_serves_metrics_healthz_and_404(void)
{
	wd_metrics_reset();
	wd_metric_set("vigil_up", "", 1);
	char err[256];
	struct wd_httpd *h = wd_httpd_start("127.0.0.1:0", health_503, NULL, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = wd_httpd_port(h);
	CU_ASSERT(port > 0);
	char *m = http_get(port, "/metrics");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "HTTP/1.0 200"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\n\r\nvigil_up 1\n") ? strstr(m, "vigil_up 1\n")
								 : strstr(m, "vigil_up 1\n"));
	free(m);
	char *hz = http_get(port, "/healthz");
	CU_ASSERT_PTR_NOT_NULL_FATAL(hz);
	CU_ASSERT_PTR_NOT_NULL(strstr(hz, "HTTP/1.0 503"));
	CU_ASSERT_PTR_NOT_NULL(strstr(hz, "no audit yet"));
	free(hz);
	char *nf = http_get(port, "/nope");
	CU_ASSERT_PTR_NOT_NULL_FATAL(nf);
	CU_ASSERT_PTR_NOT_NULL(strstr(nf, "HTTP/1.0 404"));
	free(nf);
	wd_httpd_stop(h);
	/* the port is released */
	CU_ASSERT_PTR_NULL(http_get(port, "/metrics"));
	CU_ASSERT_PTR_NULL(wd_httpd_start("0.0.0.0:0", NULL, NULL, err, sizeof err));
	wd_metrics_reset();
}

void test_wd_metrics_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_wd_metrics_counter_gauge_and_types_render", test_wd_metrics_counter_gauge_and_types_render },
		{ "test_wd_metrics_values_print_exactly_and_unset_removes",
		  test_wd_metrics_values_print_exactly_and_unset_removes },
		{ "test_wd_metrics_zero_clears_only_matching_prefix",
		  test_wd_metrics_zero_clears_only_matching_prefix },
		{ "test_wd_metrics_histogram_buckets_are_cumulative",
		  test_wd_metrics_histogram_buckets_are_cumulative },
		{ "test_wd_metrics_label_escape", test_wd_metrics_label_escape },
		{ "test_wd_metrics_listen_must_be_loopback", test_wd_metrics_listen_must_be_loopback },
		{ "test_wd_metrics_http_serves_metrics_healthz_and_404",
		  test_wd_metrics_http_serves_metrics_healthz_and_404 },
		{ NULL, NULL },
	};
	tu_add_suite("wd_metrics", tests);
}
