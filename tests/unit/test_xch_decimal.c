/* Exact decimal text for order quantities and prices (exchanges/xch_decimal.h,
 * issue 16): no exponent, no binary noise, no digits beyond the step /
 * tick, nearest multiple with ties half away from zero, a tiny price never
 * printed as 0; checked against an independent 128-bit oracle over steps
 * 0.001 / 1 / 10 / 0.5 / 0.0025 and magnitudes 1e-8..1e12. The last tests
 * run the real Binance and Bybit adapters against a capturing HTTP server
 * on 127.0.0.1 (a thread of this test) and read the parameters they sent. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exchanges/exchange.h"
#include "exchanges/xch_decimal.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static const char *fmt(double v, double step)
{
	static char buf[512];
	if (xch_fmt_decimal(buf, sizeof buf, v, step) < 0)
		return "(refused)";
	return buf;
}

/* ---- the cases named in issue 16 ---- */

static void test_decimal_large_quantity_has_no_binary_noise(void)
{
	/* %.10f printed 5000000.0999999996 */
	CU_ASSERT_STRING_EQUAL(fmt(5000000.1, 0.1), "5000000.1");
	CU_ASSERT_STRING_EQUAL(fmt(5000000.1, 0.001), "5000000.1");
	CU_ASSERT_STRING_EQUAL(fmt(5000000.1, 0), "5000000.1");
}

static void test_decimal_largest_quantity_prints_every_integer_digit(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(123456789012.0, 1), "123456789012");
	CU_ASSERT_STRING_EQUAL(fmt(999999999999.999, 0.001), "999999999999.999");
	CU_ASSERT_STRING_EQUAL(fmt(1e12, 1), "1000000000000");
}

static void test_decimal_tick_1e8_keeps_eight_decimals(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(0.00000001, 1e-8), "0.00000001");
	CU_ASSERT_STRING_EQUAL(fmt(0.00000003, 1e-8), "0.00000003");
}

static void test_decimal_tick_1e12_keeps_twelve_decimals(void)
{
	/* %.10f printed 0.0000000012: a different price, and 0 below 1e-10 */
	CU_ASSERT_STRING_EQUAL(fmt(0.000000001234, 1e-12), "0.000000001234");
	CU_ASSERT_STRING_EQUAL(fmt(0.000000000001, 1e-12), "0.000000000001");
}

static void test_decimal_step_ten_rounds_to_nearest_ten(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(1234, 10), "1230");
	CU_ASSERT_STRING_EQUAL(fmt(1236, 10), "1240");
	CU_ASSERT_STRING_EQUAL(fmt(1235, 10), "1240"); /* tie: away from zero */
	CU_ASSERT_STRING_EQUAL(fmt(1234.9, 10), "1230");
}

static void test_decimal_sum_with_binary_noise_prints_on_the_step(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(0.1 + 0.2, 0.001), "0.3");
	CU_ASSERT_STRING_EQUAL(fmt(0.1 + 0.2, 0.1), "0.3");
	CU_ASSERT_STRING_EQUAL(fmt(0.1 + 0.2, 0), "0.3"); /* 12 decimals at most */
	CU_ASSERT_STRING_EQUAL(fmt(1.1 * 3, 0.01), "3.3");
}

/* Documented direction: nearest multiple, ties half away from zero, the
 * value being the decimal its double stands for (59999.95, not the binary
 * 59999.94999999999708...). */
static void test_decimal_tie_rounds_half_away_from_zero(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(59999.95, 0.1), "60000");
	CU_ASSERT_STRING_EQUAL(fmt(59999.94, 0.1), "59999.9");
	CU_ASSERT_STRING_EQUAL(fmt(59999.96, 0.1), "60000");
	CU_ASSERT_STRING_EQUAL(fmt(2.5, 1), "3");
	CU_ASSERT_STRING_EQUAL(fmt(0.5, 1), "1");
	CU_ASSERT_STRING_EQUAL(fmt(0.00125, 0.0025), "0.0025");
	CU_ASSERT_STRING_EQUAL(fmt(1.00124, 0.0025), "1");
	CU_ASSERT_STRING_EQUAL(fmt(1.00126, 0.0025), "1.0025");
	CU_ASSERT_STRING_EQUAL(fmt(0.75, 0.5), "1");
	CU_ASSERT_STRING_EQUAL(fmt(0.7499999, 0.5), "0.5");
}

/* Negative values are formatted as the mirror of the positive ones (the
 * adapters refuse negative quantities and prices before formatting). */
static void test_decimal_negative_values_mirror_the_positive_ones(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(-5000000.1, 0.1), "-5000000.1");
	CU_ASSERT_STRING_EQUAL(fmt(-2.5, 1), "-3");
	CU_ASSERT_STRING_EQUAL(fmt(-59999.95, 0.1), "-60000");
	CU_ASSERT_STRING_EQUAL(fmt(-1234, 10), "-1230");
	CU_ASSERT_STRING_EQUAL(fmt(-0.0, 0.1), "0"); /* never "-0" */
	CU_ASSERT_STRING_EQUAL(fmt(-0.0, 0), "0");
	CU_ASSERT_STRING_EQUAL(fmt(-0.0004, 0.001), "(refused)");
}

static void test_decimal_unknown_step_prints_shortest_round_trip(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(0, 0), "0");
	CU_ASSERT_STRING_EQUAL(fmt(65000, 0), "65000");
	CU_ASSERT_STRING_EQUAL(fmt(0.001, 0), "0.001");
	CU_ASSERT_STRING_EQUAL(fmt(1e-7, 0), "0.0000001");
	CU_ASSERT_STRING_EQUAL(fmt(123456789012.0, 0), "123456789012");
	CU_ASSERT_STRING_EQUAL(fmt(1e20, 0), "100000000000000000000");
	CU_ASSERT_STRING_EQUAL(fmt(67502.68519858, 0), "67502.68519858");
	CU_ASSERT_STRING_EQUAL(fmt(0.123456789012345, 0), "0.123456789012"); /* 12 decimals */
	CU_ASSERT_STRING_EQUAL(fmt(0.1234567890125, 0), "0.123456789013");
	/* negative or NaN step: also unknown */
	CU_ASSERT_STRING_EQUAL(fmt(5000000.1, -1), "5000000.1");
	CU_ASSERT_STRING_EQUAL(fmt(5000000.1, NAN), "5000000.1");
}

static void test_decimal_tiny_price_is_never_zero(void)
{
	CU_ASSERT_STRING_EQUAL(fmt(0.00000000123, 1e-11), "0.00000000123");
	CU_ASSERT_STRING_EQUAL(fmt(0.00000000123, 0), "0.00000000123");
	CU_ASSERT_STRING_EQUAL(fmt(0.00000000123, 1e-12), "0.00000000123");
	CU_ASSERT_STRING_EQUAL(fmt(5e-13, 0), "0.000000000001");
	/* would print 0: refused, so no zero price / quantity is ever sent */
	char b[48] = "x";
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 1e-13, 0), -1);
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 0.0004, 0.001), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 4, 10), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 1e-300, 0.001), -1);
	CU_ASSERT_STRING_EQUAL(fmt(0.0005, 0.001), "0.001");
}

static void test_decimal_step_decimals_come_from_the_shortest_string(void)
{
	CU_ASSERT_EQUAL(xch_step_decimals(0.001), 3);
	CU_ASSERT_EQUAL(xch_step_decimals(0.0025), 4);
	CU_ASSERT_EQUAL(xch_step_decimals(0.5), 1);
	CU_ASSERT_EQUAL(xch_step_decimals(1), 0);
	CU_ASSERT_EQUAL(xch_step_decimals(10), 0);
	CU_ASSERT_EQUAL(xch_step_decimals(1e-8), 8);
	CU_ASSERT_EQUAL(xch_step_decimals(1e-11), 11);
	CU_ASSERT_EQUAL(xch_step_decimals(1e-12), 12);
	CU_ASSERT_EQUAL(xch_step_decimals(0.1), 1);
	CU_ASSERT_EQUAL(xch_step_decimals(0.3), 1);
	CU_ASSERT_EQUAL(xch_step_decimals(1e-20), 20);
	CU_ASSERT_EQUAL(xch_step_decimals(1e17), 0);
	/* unusable */
	CU_ASSERT_EQUAL(xch_step_decimals(0), -1);
	CU_ASSERT_EQUAL(xch_step_decimals(-0.01), -1);
	CU_ASSERT_EQUAL(xch_step_decimals(NAN), -1);
	CU_ASSERT_EQUAL(xch_step_decimals(INFINITY), -1);
	CU_ASSERT_EQUAL(xch_step_decimals(1e-21), -1);
	CU_ASSERT_EQUAL(xch_step_decimals(1e18), -1);
}

static void test_decimal_refuses_non_finite_values_bad_steps_and_short_buffers(void)
{
	char b[8] = "x";
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, NAN, 0.1), -1);
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, INFINITY, 0.1), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, -INFINITY, 0), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 1, INFINITY), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 1, 1e-21), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 12345678, 1), -1); /* 8 chars + NUL > 8 */
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, sizeof b, 1234567, 1), 7);
	CU_ASSERT_STRING_EQUAL(b, "1234567");
	CU_ASSERT_EQUAL(xch_fmt_decimal(b, 1, 0, 1), -1);
	CU_ASSERT_EQUAL(xch_fmt_decimal(NULL, 0, 1, 1), -1);
}

/* Magnitudes far beyond a long long of steps stay exact. */
static void test_decimal_extreme_magnitudes_stay_exact(void)
{
	/* 1.2e23 steps of 1e-12 */
	CU_ASSERT_STRING_EQUAL(fmt(123456789012.5, 1e-12), "123456789012.5");
	CU_ASSERT_STRING_EQUAL(fmt(1e12, 1e-12), "1000000000000");
	CU_ASSERT_STRING_EQUAL(fmt(999999999.123456, 1e-12), "999999999.123456");
	CU_ASSERT_STRING_EQUAL(fmt(1e22, 0.0025), "10000000000000000000000");
	char big[512];
	int n = xch_fmt_decimal(big, sizeof big, DBL_MAX, 0);
	CU_ASSERT_EQUAL(n, 309);
	CU_ASSERT_PTR_NULL(strpbrk(big, "eE."));
	CU_ASSERT_EQUAL(strncmp(big, "17976931348623157", 17), 0);
	CU_ASSERT_EQUAL(xch_fmt_decimal(big, 48, DBL_MAX, 0), -1); /* does not fit */
	CU_ASSERT_STRING_EQUAL(fmt(DBL_MIN, 0), "(refused)");      /* would be 0 */
}

/* ---- table: steps x magnitudes against an independent oracle ---- */

typedef unsigned __int128 u128;
#define ORACLE_DEC 20 /* the oracle counts in units of 1e-20 */

/* "123.45" (no sign, no exponent, <= 20 decimals) -> units of 1e-20 */
static u128 units(const char *s)
{
	u128 v = 0;
	int dec = -1;
	for (; *s; s++) {
		if (*s == '.') {
			dec = 0;
			continue;
		}
		v = v * 10 + (u128)(*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (int i = dec < 0 ? 0 : dec; i < ORACLE_DEC; i++)
		v *= 10;
	return v;
}

/* nearest multiple of step, ties up (values here are positive), printed
 * with at most `keep` decimals and no trailing zeros */
static void oracle(const char *val, const char *step, int keep, char *out, size_t cap)
{
	u128 u = units(val), su = units(step);
	u128 q = u / su, r = u % su;
	if (2 * r >= su)
		q++;
	u128 res = q * su;
	char d[64];
	int nd = 0;
	do {
		d[nd++] = (char)('0' + (int)(res % 10));
		res /= 10;
	} while (res);
	while (nd <= ORACLE_DEC)
		d[nd++] = '0';
	size_t k = 0;
	for (int i = nd - 1; i >= ORACLE_DEC; i--)
		out[k++] = d[i];
	int last = ORACLE_DEC - keep; /* lowest digit index that may be printed */
	int lo = ORACLE_DEC - 1;
	int end = lo + 1;
	for (int i = last; i <= lo; i++)
		if (d[i] != '0') {
			end = i;
			break;
		}
	if (end <= lo) {
		out[k++] = '.';
		for (int i = lo; i >= end; i--)
			out[k++] = d[i];
	}
	out[k] = '\0';
	(void)cap;
}

/* 0.<sig> * 10^(mag+1) as plain text, with at most 15 significant digits
 * and at most 20 decimals: strtod of it has it as its shortest form */
static void value_text(const char *sig, int mag, char *out)
{
	int nint = mag + 1; /* integer digits (<= 0: leading fraction zeros) */
	int nsig = 15;
	int dec = nsig - nint;
	if (dec > ORACLE_DEC)
		nsig -= dec - ORACLE_DEC;
	size_t k = 0;
	if (nint <= 0) {
		out[k++] = '0';
		out[k++] = '.';
		for (int i = 0; i < -nint; i++)
			out[k++] = '0';
		for (int i = 0; i < nsig; i++)
			out[k++] = sig[i];
	} else {
		for (int i = 0; i < nsig; i++) {
			if (i == nint)
				out[k++] = '.';
			out[k++] = sig[i];
		}
	}
	out[k] = '\0';
}

static void test_decimal_table_of_steps_and_magnitudes_matches_the_oracle(void)
{
	static const struct {
		const char *text;
		double step;
		int dec;
	} steps[] = { { "0.001", 0.001, 3 },     { "1", 1, 0 },
		      { "10", 10, 0 },           { "0.5", 0.5, 1 },
		      { "0.0025", 0.0025, 4 },   { "0.1", 0.1, 1 },
		      { "0.00000001", 1e-8, 8 }, { "0.000000000001", 1e-12, 12 } };
	static const char *sigs[] = { "123456789012345", "987654321098765", "125000000000000",
				      "250000000000000", "999999999999999", "100000000000001" };
	int checked = 0, failed = 0;
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		CU_ASSERT_EQUAL(xch_step_decimals(steps[s].step), steps[s].dec);
		for (size_t g = 0; g < sizeof sigs / sizeof sigs[0]; g++)
			for (int mag = -8; mag <= 12; mag++) {
				char vt[64], want[80], neg[82];
				value_text(sigs[g], mag, vt);
				double v = strtod(vt, NULL);
				oracle(vt, steps[s].text, steps[s].dec, want, sizeof want);
				bool zero = !strcmp(want, "0");
				const char *got = fmt(v, steps[s].step);
				const char *wantx = zero ? "(refused)" : want;
				checked++;
				if (strcmp(got, wantx)) {
					if (failed++ < 10)
						fprintf(stderr, "table: %s step %s: got %s want %s\n", vt,
							steps[s].text, got, wantx);
					continue;
				}
				/* the shape, whatever the value */
				if (!zero) {
					CU_ASSERT_PTR_NULL(strpbrk(got, "eE+-"));
					const char *dot = strchr(got, '.');
					if (dot) {
						CU_ASSERT((int)strlen(dot + 1) <= steps[s].dec);
						CU_ASSERT_NOT_EQUAL(got[strlen(got) - 1], '0');
					}
				}
				snprintf(neg, sizeof neg, "-%s", want);
				CU_ASSERT_STRING_EQUAL(fmt(-v, steps[s].step), zero ? "(refused)" : neg);
			}
	}
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(checked, 8 * 6 * 21);
}

/* ---- the adapters send what the formatter prints ---- */

struct cap_srv {
	int lfd, port;
	atomic_bool stop;
	pthread_t thr;
	pthread_mutex_t mu;
	char log[16384]; /* "METHOD /path\nbody\n" per request */
	int requests;
};

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

static void cap_serve(struct cap_srv *s, int fd)
{
	char buf[16384];
	size_t n = 0;
	char *eoh = NULL;
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (n < sizeof buf - 1 && !eoh) {
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (r <= 0)
			return;
		n += (size_t)r;
		buf[n] = '\0';
		eoh = strstr(buf, "\r\n\r\n");
	}
	if (!eoh)
		return;
	size_t clen = 0;
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && cl < eoh)
		clen = (size_t)strtoul(cl + 17, NULL, 10);
	size_t have = n - (size_t)(eoh + 4 - buf);
	while (have < clen && n < sizeof buf - 1) {
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (r <= 0)
			return;
		n += (size_t)r;
		have += (size_t)r;
		buf[n] = '\0';
	}
	char method[16] = "", path[1024] = "";
	sscanf(buf, "%15s %1023s", method, path);
	pthread_mutex_lock(&s->mu);
	size_t used = strlen(s->log);
	snprintf(s->log + used, sizeof s->log - used, "%s %s\n%s\n", method, path, eoh + 4);
	s->requests++;
	pthread_mutex_unlock(&s->mu);

	char body[256];
	long long now = (long long)time(NULL);
	if (strstr(path, "/fapi/v1/time"))
		snprintf(body, sizeof body, "{\"serverTime\":%lld}", now * 1000);
	else if (strstr(path, "/fapi/v1/algoOrder"))
		snprintf(body, sizeof body, "{\"algoId\":11,\"clientAlgoId\":\"vgl-t\"}");
	else if (strstr(path, "/fapi/v1/order"))
		snprintf(body, sizeof body, "{\"orderId\":12,\"clientOrderId\":\"vgl-t\"}");
	else if (strstr(path, "/v5/market/time"))
		snprintf(body, sizeof body,
			 "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeSecond\":\"%lld\",\"timeNano\":\"%"
			 "lld000000000\"},"
			 "\"time\":%lld}",
			 now, now, now * 1000);
	else if (strstr(path, "/v5/order/create"))
		snprintf(body, sizeof body,
			 "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"orderId\":\"13\",\"orderLinkId\":\"vgl-t\"},"
			 "\"time\":%lld}",
			 now * 1000);
	else
		snprintf(body, sizeof body, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{},\"time\":%lld}",
			 now * 1000);
	char head[256];
	snprintf(
		head, sizeof head,
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		strlen(body));
	if (send_all(fd, head, strlen(head)) == 0)
		send_all(fd, body, strlen(body));
}

static void *cap_main(void *arg)
{
	struct cap_srv *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		cap_serve(s, fd);
		close(fd);
	}
	return NULL;
}

static void cap_start(struct cap_srv *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = tu_listen_loopback(&s->port);
	CU_ASSERT_FATAL(s->lfd >= 0);
	pthread_create(&s->thr, NULL, cap_main, s);
}

static void cap_stop(struct cap_srv *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thr, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
}

/* Takes the captured log (malloc'd) and clears it. */
static char *cap_take(struct cap_srv *s, int *requests)
{
	pthread_mutex_lock(&s->mu);
	char *t = xstrdup(s->log);
	s->log[0] = '\0';
	if (requests)
		*requests = s->requests;
	s->requests = 0;
	pthread_mutex_unlock(&s->mu);
	return t;
}

static struct xch *adapter(struct cap_srv *s, enum rec_exchange ex, const char *egress)
{
	struct xch_config cfg;
	struct xch_err err;
	memset(&cfg, 0, sizeof cfg);
	memset(&err, 0, sizeof err);
	cfg.exchange = ex;
	snprintf(cfg.account, sizeof cfg.account, "decimal");
	snprintf(cfg.rest_url, sizeof cfg.rest_url, "http://127.0.0.1:%d", s->port);
	snprintf(cfg.ws_url, sizeof cfg.ws_url, "ws://127.0.0.1:%d", s->port);
	snprintf(cfg.egress, sizeof cfg.egress, "%s", egress);
	cfg.api_key = "decimal-key";
	cfg.api_secret = "decimal-secret";
	cfg.recv_window_ms = 5000;
	cfg.connect_timeout_ms = 1000;
	cfg.request_timeout_ms = 5000;
	struct xch *x = xch_new(&cfg, &err);
	if (!x)
		fprintf(stderr, "xch_new: %s\n", err.msg);
	return x;
}

static void expect_in(const char *log, const char *needle)
{
	if (!strstr(log, needle))
		fprintf(stderr, "missing %s in:\n%s\n", needle, log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, needle));
}

static void test_decimal_binance_stop_and_close_params_use_the_formatter(void)
{
	struct cap_srv s;
	cap_start(&s);
	struct xch *x = adapter(&s, REC_EX_BINANCE, "decimal-bn");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	struct xch_ack ack;
	struct xch_err err;
	memset(&err, 0, sizeof err);

	struct xch_stop_req st = { .symbol = "TINYUSDT",
				   .position_side = REC_SIDE_LONG,
				   .pidx = REC_PIDX_BOTH,
				   .trigger_price = 0.00000000123,
				   .qty = 5000000.1,
				   .client_id = "vgl-t",
				   .qty_step = 0.1,
				   .price_tick = 1e-11 };
	CU_ASSERT_EQUAL(x->ops->place_stop(x, &st, &ack, &err), XCH_OK);
	char *log = cap_take(&s, NULL);
	expect_in(log, "POST /fapi/v1/algoOrder");
	expect_in(log, "triggerPrice=0.00000000123&");
	expect_in(log, "quantity=5000000.1&");
	CU_ASSERT_PTR_NULL(strstr(log, "5000000.09"));
	free(log);

	/* step / tick unknown: the shortest form, still no noise */
	st.qty_step = 0;
	st.price_tick = 0;
	st.trigger_price = 59999.9;
	st.qty = 0; /* closePosition=true */
	CU_ASSERT_EQUAL(x->ops->place_stop(x, &st, &ack, &err), XCH_OK);
	log = cap_take(&s, NULL);
	expect_in(log, "triggerPrice=59999.9&");
	expect_in(log, "closePosition=true");
	free(log);

	struct xch_close_req cl = { .symbol = "BIGUSDT",
				    .position_side = REC_SIDE_SHORT,
				    .pidx = REC_PIDX_BOTH,
				    .qty = 123456789012.0,
				    .client_id = "vgl-t",
				    .qty_step = 1 };
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cl, &ack, &err), XCH_OK);
	log = cap_take(&s, NULL);
	expect_in(log, "POST /fapi/v1/order");
	expect_in(log, "quantity=123456789012&");
	free(log);

	/* a quantity below half a step would go out as 0: refused, nothing sent */
	int nreq = -1;
	cl.qty = 0.0004;
	cl.qty_step = 0.001;
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cl, &ack, &err), XCH_REJECTED);
	free(cap_take(&s, &nreq));
	CU_ASSERT_EQUAL(nreq, 0);
	xch_free(x);
	cap_stop(&s);
}

static void test_decimal_bybit_stop_and_close_bodies_use_the_formatter(void)
{
	struct cap_srv s;
	cap_start(&s);
	struct xch *x = adapter(&s, REC_EX_BYBIT, "decimal-bb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	struct xch_ack ack;
	struct xch_err err;
	memset(&err, 0, sizeof err);

	/* quantity stop: order/create with qty + triggerPrice strings */
	struct xch_stop_req st = { .symbol = "TINYUSDT",
				   .position_side = REC_SIDE_LONG,
				   .pidx = REC_PIDX_BOTH,
				   .trigger_price = 0.00000000123,
				   .qty = 5000000.1,
				   .client_id = "vgl-t",
				   .qty_step = 0.1,
				   .price_tick = 1e-11 };
	int rc = x->ops->place_stop(x, &st, &ack, &err);
	if (rc != XCH_OK)
		fprintf(stderr, "bybit stop: %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, XCH_OK);
	char *log = cap_take(&s, NULL);
	expect_in(log, "POST /v5/order/create");
	expect_in(log, "\"qty\":\"5000000.1\"");
	expect_in(log, "\"triggerPrice\":\"0.00000000123\"");
	free(log);

	/* position stop (qty 0): stopLoss string, tick 0.0025 */
	st.qty = 0;
	st.trigger_price = 1.0025;
	st.price_tick = 0.0025;
	CU_ASSERT_EQUAL(x->ops->place_stop(x, &st, &ack, &err), XCH_OK);
	log = cap_take(&s, NULL);
	expect_in(log, "POST /v5/position/trading-stop");
	expect_in(log, "\"stopLoss\":\"1.0025\"");
	free(log);

	struct xch_close_req cl = { .symbol = "BIGUSDT",
				    .position_side = REC_SIDE_SHORT,
				    .pidx = REC_PIDX_BOTH,
				    .qty = 0.1 + 0.2,
				    .client_id = "vgl-t",
				    .qty_step = 0.001 };
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cl, &ack, &err), XCH_OK);
	log = cap_take(&s, NULL);
	expect_in(log, "\"qty\":\"0.3\"");
	free(log);

	int nreq = -1;
	st.trigger_price = 1e-13; /* tick unknown: would be "0" => refused */
	st.price_tick = 0;
	CU_ASSERT_EQUAL(x->ops->place_stop(x, &st, &ack, &err), XCH_REJECTED);
	free(cap_take(&s, &nreq));
	CU_ASSERT_EQUAL(nreq, 0);
	xch_free(x);
	cap_stop(&s);
}

void test_xch_decimal_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_decimal_large_quantity_has_no_binary_noise", test_decimal_large_quantity_has_no_binary_noise },
		{ "test_decimal_largest_quantity_prints_every_integer_digit",
		  test_decimal_largest_quantity_prints_every_integer_digit },
		{ "test_decimal_tick_1e8_keeps_eight_decimals", test_decimal_tick_1e8_keeps_eight_decimals },
		{ "test_decimal_tick_1e12_keeps_twelve_decimals", test_decimal_tick_1e12_keeps_twelve_decimals },
		{ "test_decimal_step_ten_rounds_to_nearest_ten", test_decimal_step_ten_rounds_to_nearest_ten },
		{ "test_decimal_sum_with_binary_noise_prints_on_the_step",
		  test_decimal_sum_with_binary_noise_prints_on_the_step },
		{ "test_decimal_tie_rounds_half_away_from_zero", test_decimal_tie_rounds_half_away_from_zero },
		{ "test_decimal_negative_values_mirror_the_positive_ones",
		  test_decimal_negative_values_mirror_the_positive_ones },
		{ "test_decimal_unknown_step_prints_shortest_round_trip",
		  test_decimal_unknown_step_prints_shortest_round_trip },
		{ "test_decimal_tiny_price_is_never_zero", test_decimal_tiny_price_is_never_zero },
		{ "test_decimal_step_decimals_come_from_the_shortest_string",
		  test_decimal_step_decimals_come_from_the_shortest_string },
		{ "test_decimal_refuses_non_finite_values_bad_steps_and_short_buffers",
		  test_decimal_refuses_non_finite_values_bad_steps_and_short_buffers },
		{ "test_decimal_extreme_magnitudes_stay_exact", test_decimal_extreme_magnitudes_stay_exact },
		{ "test_decimal_table_of_steps_and_magnitudes_matches_the_oracle",
		  test_decimal_table_of_steps_and_magnitudes_matches_the_oracle },
		{ "test_decimal_binance_stop_and_close_params_use_the_formatter",
		  test_decimal_binance_stop_and_close_params_use_the_formatter },
		{ "test_decimal_bybit_stop_and_close_bodies_use_the_formatter",
		  test_decimal_bybit_stop_and_close_bodies_use_the_formatter },
		{ NULL, NULL },
	};
	tu_add_suite("xch_decimal", tests);
}
