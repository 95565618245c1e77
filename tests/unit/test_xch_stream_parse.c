/* Streamed listings (issue 21, exchanges/jsonx_stream.h): every listing
 * fixture of tests/data/ (and a 200-position / 600-order answer built from
 * them) fed in chunks of 1, 7 and 4096 bytes gives exactly what the tree
 * parsers give on the whole body: the same rows, codes and messages.
 * Truncated answers (cut at every byte), malformed ones, the depth limit,
 * and, through xch_http against a server thread on 127.0.0.1, error
 * answers, a listing over the size cap and a body cut mid-object. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bn_parse.h"
#include "exchanges/http.h"
#include "exchanges/jsonx.h"
#include "exchanges/jsonx_stream.h"
#include "tests/support/testutil.h"
#include "base/buf.h"
#include "base/xalloc.h"

static const size_t steps[] = { 1, 7, 4096 };

/* xch_http's write callback on a 200 answer (xch_jbody): the stream takes
 * it, or declines it and the body is kept whole (in *kept). */
static bool feed(struct xch_jstream *js, const char *b, size_t n, size_t step, struct buf *kept)
{
	xch_jstream_restart(js);
	buf_reset(kept);
	struct xch_jbody jb;
	xch_jbody_start(&jb, js, true, kept);
	for (size_t off = 0; off < n; off += step)
		xch_jbody_add(&jb, b + off, n - off < step ? n - off : step);
	return xch_jbody_end(&jb);
}

/* ---- Binance ---- */

struct bn_res {
	int rc;
	char msg[256];
	void *v;
	size_t n;
};

static void bn_tree(enum bn_list_kind k, const char *b, size_t n, struct bn_res *r)
{
	struct xch_err e;
	memset(&e, 0, sizeof e);
	memset(r, 0, sizeof *r);
	if (k == BN_LIST_POSITIONS)
		r->rc = bn_parse_positions(b, n, 42, (struct rec_position **)&r->v, &r->n, &e);
	else if (k == BN_LIST_ORDERS)
		r->rc = bn_parse_orders(b, n, (struct rec_order **)&r->v, &r->n, &e);
	else
		r->rc = bn_parse_algo_orders(b, n, (struct rec_order **)&r->v, &r->n, &e);
	snprintf(r->msg, sizeof r->msg, "%s", r->rc ? e.msg : "");
}

static void bn_streamed(enum bn_list_kind k, const char *b, size_t n, size_t step, struct bn_res *r)
{
	struct bn_list_sink *s = bn_list_sink_new(k);
	struct buf kept = { 0 };
	bool streamed = feed(bn_list_sink_stream(s), b, n, step, &kept);
	struct xch_err e;
	memset(&e, 0, sizeof e);
	memset(r, 0, sizeof *r);
	if (k == BN_LIST_POSITIONS)
		r->rc = bn_list_take_positions(s, streamed, kept.p, kept.len, 42, (struct rec_position **)&r->v, &r->n,
					       &e);
	else
		r->rc = bn_list_take_orders(s, streamed, kept.p, kept.len, (struct rec_order **)&r->v, &r->n, &e);
	snprintf(r->msg, sizeof r->msg, "%s", r->rc ? e.msg : "");
	buf_free(&kept);
	bn_list_sink_free(s);
}

static bool bn_same(enum bn_list_kind k, const char *b, size_t n, size_t step)
{
	struct bn_res t, s;
	bn_tree(k, b, n, &t);
	bn_streamed(k, b, n, step, &s);
	size_t el = k == BN_LIST_POSITIONS ? sizeof(struct rec_position) : sizeof(struct rec_order);
	bool same = t.rc == s.rc && !strcmp(t.msg, s.msg) && t.n == s.n &&
		    (t.n == 0 || (t.v && s.v && memcmp(t.v, s.v, t.n * el) == 0));
	if (!same)
		fprintf(stderr, "kind %d step %zu: tree rc %d n %zu \"%s\", streamed rc %d n %zu \"%s\"\n", (int)k,
			step, t.rc, t.n, t.msg, s.rc, s.n, s.msg);
	free(t.v);
	free(s.v);
	return same;
}

static bool bn_same_all_steps(const char *b, size_t n)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		for (int k = BN_LIST_POSITIONS; k <= BN_LIST_ALGO_ORDERS; k++)
			ok &= bn_same((enum bn_list_kind)k, b, n, steps[i]);
	return ok;
}

/* Every file of tests/data/<dir>/ through check(). */
static void each_fixture(const char *dir, bool (*check)(const char *, size_t))
{
	const char *path = tu_fixture(dir);
	DIR *d = opendir(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".json"))
			continue;
		char rel[300];
		snprintf(rel, sizeof rel, "%s/%s", dir, de->d_name);
		size_t n;
		char *b = tu_read_file(tu_fixture(rel), &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		if (!check(b, n))
			fprintf(stderr, "  fixture %s\n", rel);
		CU_ASSERT(check(b, n));
		free(b);
		files++;
	}
	closedir(d);
	CU_ASSERT(files >= 10);
}

/* The issue-21 audit answer: n copies of the fixture's first element. */
static char *repeat_elem(const char *rel, size_t copies, size_t *len)
{
	size_t n;
	char *f = tu_read_file(tu_fixture(rel), &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct json_object *root = xch_json_parse(f, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	/* an array's first element, or the fixture's one object */
	struct json_object *el = json_object_is_type(root, json_type_array) ? json_object_array_get_idx(root, 0) : root;
	const char *one = json_object_to_json_string_ext(el, JSON_C_TO_STRING_PLAIN);
	struct buf b = { 0 };
	buf_adds(&b, "[");
	for (size_t i = 0; i < copies; i++) {
		buf_adds(&b, i ? ",\n" : "");
		buf_adds(&b, one);
	}
	buf_adds(&b, "]");
	json_object_put(root);
	free(f);
	return buf_take(&b, len);
}

static void test_bn_parse_streamed_listing_equals_tree_parse(void)
{
	each_fixture("binance", bn_same_all_steps);
	const char *big[] = { "binance/position-risk-v3-oneway-long-btcusdt.json",
			      "binance/open-order-limit-gtx-ltcusdt.json", "binance/open-algo-orders-doc.json" };
	for (size_t i = 0; i < 3; i++) {
		size_t n;
		char *b = repeat_elem(big[i], i ? 300 : 200, &n);
		CU_ASSERT(bn_same_all_steps(b, n));
		free(b);
	}
	/* shapes: empty, blanks, trailing blanks and garbage, a wrapper
	 * object, an element without id, null, numbers, nested limits */
	static const char *const odd[] = {
		"",
		"  ",
		"[]",
		" [ ] \n",
		"[] x",
		"[]]",
		"[1]",
		"[null]",
		"[{}]",
		"[{\"orderId\":1,\"symbol\":\"A\"},]",
		"[{\"orderId\":1,\"symbol\":\"A\"},,{}]",
		"[,]",
		"[{\"orderId\":1}{\"orderId\":2}]",
		"[{\"orderId\":1} , {\"orderId\":2} ]",
		"[{\"orderId\":1,\"symbol\":\"A\",\"positionAmt\":\"1\"}]",
		"[{\"symbol\":\"A\",\"positionAmt\":\"0\"},{\"symbol\":\"B\",\"positionAmt\":\"-2\"}]",
		"[{\"symbol\":\"A\",\"positionAmt\":\"1\"},{\"symbol\":\"\"}]",
		"{\"orders\":[{\"orderId\":5}],\"positions\":[{\"symbol\":\"A\",\"positionAmt\":\"1\"}]}",
		"{\"code\":-1021,\"msg\":\"Timestamp outside recvWindow\"}",
		"[{\"orderId\":\"7\",\"s\":\"\\u00e9\\ud83d\\ude00\"}]",
		"[\"[\",\"]\",\"{\"]",
		"[{\"orderId\":1}] /* a comment json-c takes */",
		"[ /* before an element: json-c's */ {\"orderId\":1}]",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		bool same = bn_same_all_steps(odd[i], strlen(odd[i]));
		/* the documented difference (jsonx_stream.h): a comment after
		 * the answer's last byte */
		if (strstr(odd[i], "json-c takes */"))
			continue;
		if (!same)
			fprintf(stderr, "  odd[%zu] %s\n", i, odd[i]);
		CU_ASSERT(same);
	}
}

/* An element nested to the limit and one level past it. */
static void test_stream_depth_limit_is_xch_json_parse_s(void)
{
	for (size_t depth = 60; depth <= 66; depth++) {
		struct buf b = { 0 };
		buf_adds(&b, "[{\"orderId\":1,\"x\":");
		for (size_t i = 0; i < depth; i++)
			buf_adds(&b, "[");
		for (size_t i = 0; i < depth; i++)
			buf_adds(&b, "]");
		buf_adds(&b, "}]");
		CU_ASSERT(bn_same_all_steps(b.p, b.len));
		buf_free(&b);
	}
}

/* Cut at every byte: the same error as the tree parser (or the same rows
 * when the cut falls in trailing blanks). */
static void test_stream_truncated_answers_give_the_same_error(void)
{
	const char *files[] = { "binance/open-algo-orders-doc.json",
				"binance/position-risk-v3-oneway-long-btcusdt.json",
				"binance/open-order-limit-gtx-ltcusdt.json" };
	for (size_t f = 0; f < 3; f++) {
		size_t n;
		char *b = tu_read_file(tu_fixture(files[f]), &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		for (size_t cut = 0; cut < n; cut++)
			for (int k = BN_LIST_POSITIONS; k <= BN_LIST_ALGO_ORDERS; k++)
				CU_ASSERT(bn_same((enum bn_list_kind)k, b, cut, 7));
		struct bn_res r;
		bn_streamed(BN_LIST_ALGO_ORDERS, b, n / 2, 1, &r);
		if (f == 0) {
			CU_ASSERT_EQUAL(r.rc, XCH_MALFORMED);
			CU_ASSERT_STRING_EQUAL(r.msg, "malformed answer: open algo orders");
		}
		free(r.v);
		free(b);
	}
}

/* ---- Bybit ---- */

struct bb_res {
	int rc;
	char msg[256];
	struct rec_position *pos;
	struct rec_order *ord;
	size_t n, page_n;
	char cursor[64];
};

static void bb_finish(struct json_object *root, struct json_object *res, int rc, bool positions, struct bb_list_sink *s,
		      struct xch_err *e, struct bb_res *r)
{
	r->rc = rc;
	if (rc == XCH_OK) {
		if (positions)
			r->rc = bb_list_take_positions(s, res, 42, &r->pos, &r->n, &r->page_n, r->cursor,
						       sizeof r->cursor, e);
		else
			r->rc = bb_list_take_orders(s, res, &r->ord, &r->n, &r->page_n, r->cursor, sizeof r->cursor, e);
	}
	snprintf(r->msg, sizeof r->msg, "%s", r->rc ? e->msg : "");
	if (root)
		json_object_put(root);
}

static void bb_tree(bool positions, const char *b, size_t n, struct bb_res *r)
{
	struct xch_err e;
	memset(&e, 0, sizeof e);
	memset(r, 0, sizeof *r);
	struct json_object *root, *res;
	int rc = bb_check_answer(200, b, n, 0, 0, &root, &res, &e);
	bb_finish(root, res, rc, positions, NULL, &e, r);
}

static void bb_streamed(bool positions, const char *b, size_t n, size_t step, struct bb_res *r)
{
	struct bb_list_sink *s = bb_list_sink_new(positions);
	struct buf kept = { 0 };
	bool streamed = feed(bb_list_sink_stream(s), b, n, step, &kept);
	struct xch_err e;
	memset(&e, 0, sizeof e);
	memset(r, 0, sizeof *r);
	struct json_object *root, *res;
	int rc = streamed ? bb_check_answer_root(200, xch_jstream_finish(bb_list_sink_stream(s)), 0, 0, &root, &res, &e)
			  : bb_check_answer(200, kept.p, kept.len, 0, 0, &root, &res, &e);
	bb_finish(root, res, rc, positions, s, &e, r);
	buf_free(&kept);
	bb_list_sink_free(s);
}

static bool bb_same(bool positions, const char *b, size_t n, size_t step)
{
	struct bb_res t, s;
	bb_tree(positions, b, n, &t);
	bb_streamed(positions, b, n, step, &s);
	size_t el = positions ? sizeof(struct rec_position) : sizeof(struct rec_order);
	const void *tv = positions ? (void *)t.pos : (void *)t.ord, *sv = positions ? (void *)s.pos : (void *)s.ord;
	bool same = t.rc == s.rc && !strcmp(t.msg, s.msg) && t.n == s.n && t.page_n == s.page_n &&
		    !strcmp(t.cursor, s.cursor) && (t.n == 0 || memcmp(tv, sv, t.n * el) == 0);
	if (!same)
		fprintf(stderr, "bybit %s step %zu: tree rc %d n %zu/%zu \"%s\", streamed rc %d n %zu/%zu \"%s\"\n",
			positions ? "positions" : "orders", step, t.rc, t.n, t.page_n, t.msg, s.rc, s.n, s.page_n,
			s.msg);
	free(t.pos);
	free(t.ord);
	free(s.pos);
	free(s.ord);
	return same;
}

static bool bb_same_all_steps(const char *b, size_t n)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		for (int p = 0; p < 2; p++)
			ok &= bb_same(p, b, n, steps[i]);
	return ok;
}

static void test_bb_parse_streamed_listing_equals_tree_parse(void)
{
	each_fixture("bybit", bb_same_all_steps);
	static const char *const odd[] = {
		"{}",
		"{\"retCode\":0}",
		"{\"retCode\":0,\"result\":{}}",
		"{\"retCode\":0,\"result\":{\"list\":{}}}",
		"{\"retCode\":0,\"result\":[]}",
		"{\"retCode\":0,\"result\":null}",
		"{\"result\":{\"list\":[{\"orderId\":\"1\"}]},\"retCode\":0}",
		"{\"result\":{\"list\":[{\"orderId\":\"1\"}],\"nextPageCursor\":\"c1\"},\"retCode\":0,\"retMsg\":"
		"\"OK\"}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}]},\"result\":{\"list\":[]}}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}],\"list\":5}}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}]},\"result\":5}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"},{\"symbol\":\"X\"}]}}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"symbol\":\"A\",\"size\":\"1\",\"side\":\"Buy\"},{\"symbol\":"
		"\"B\","
		"\"size\":\"0\",\"side\":\"\"}]}}",
		"{\"retCode\":10006,\"retMsg\":\"Too many visits!\",\"result\":{\"list\":[{\"orderId\":\"1\"}]}}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}]},}",
		"{\"retCode\":0 ,\"result\" : { \"list\" : [ ] } }",
		"{'retCode':0,'result':{'list':[{'orderId':'1'}]}}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}]}",
		"{\"retCode\":0,\"result\":{\"list\":[{\"orderId\":\"1\"}]}} x",
		"{\"retCode\":0,\"result\":{\"list\":[]},\"retExtInfo\":{},\"time\":1}",
		"{\"retCode\":0,1:2}",
		"{\"retCode\" 0}",
		"[]",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		bool same = bb_same_all_steps(odd[i], strlen(odd[i]));
		if (!same)
			fprintf(stderr, "  odd[%zu] %s\n", i, odd[i]);
		CU_ASSERT(same);
	}
	size_t n;
	char *b = tu_read_file(tu_fixture("bybit/order-realtime-doc-linear-limit-with-tpsl.json"), &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (size_t cut = 0; cut < n; cut++)
		CU_ASSERT(bb_same(false, b, cut, 7));
	struct bb_res r;
	bb_streamed(false, b, n - 3, 1, &r);
	CU_ASSERT_EQUAL(r.rc, XCH_MALFORMED);
	CU_ASSERT_STRING_EQUAL(r.msg, "malformed answer: no retCode");
	free(r.ord);
	free(b);
}

/* ---- through xch_http ---- */

struct srv {
	int lfd, port;
	pthread_t thr;
	atomic_bool stop;
	const char *status; /* "200 OK" */
	const char *body;
	size_t send_len; /* bytes of body sent (a cut answer when < strlen) */
};

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
		char req[4096];
		size_t got = 0;
		while (got < sizeof req - 1) {
			ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		char head[256];
		snprintf(head, sizeof head,
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
			 "close\r\n\r\n",
			 s->status, strlen(s->body));
		ssize_t w = send(fd, head, strlen(head), MSG_NOSIGNAL);
		for (size_t off = 0; w >= 0 && off < s->send_len; off += (size_t)w)
			w = send(fd, s->body + off, s->send_len - off, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, const char *status, const char *body, size_t send_len)
{
	memset(s, 0, sizeof *s);
	s->status = status;
	s->body = body;
	s->send_len = send_len;
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

/* One GET of an openAlgoOrders answer through xch_http with a sink: the
 * transport rc, then bn_check_answer, then the sink's verdict. */
static int http_listing(const char *status, const char *body, size_t send_len, size_t cap, bool *streamed, size_t *n,
			struct xch_err *e)
{
	struct srv s;
	srv_start(&s, status, body, send_len);
	struct xch_http *h = xch_http_new(1000, 3000, cap);
	struct bn_list_sink *sk = bn_list_sink_new(BN_LIST_ALGO_ORDERS);
	struct xch_req r;
	memset(&r, 0, sizeof r);
	memset(e, 0, sizeof *e);
	r.method = "GET";
	r.url = xasprintf("http://127.0.0.1:%d/fapi/v1/openAlgoOrders", s.port);
	r.stream = bn_list_sink_stream(sk);
	xch_http_run(h, (struct xch_req *const[]){ &r }, 1);
	*streamed = r.streamed;
	*n = 0;
	int rc = xch_http_transport_rc(&r, e);
	if (rc == XCH_OK)
		rc = bn_check_answer(r.status, r.resp, r.resp_len, r.retry_after_ms, e);
	struct rec_order *v = NULL;
	if (rc == XCH_OK)
		rc = bn_list_take_orders(sk, r.streamed, r.resp, r.resp_len, &v, n, e);
	free(v);
	xch_req_clear(&r);
	bn_list_sink_free(sk);
	xch_http_free(h);
	srv_stop(&s);
	return rc;
}

static void test_stream_http_answers_behave_as_before(void)
{
	size_t n;
	char *big = repeat_elem("binance/open-algo-orders-doc.json", 300, &n);
	bool streamed;
	size_t rows;
	struct xch_err e;

	/* a 200 listing: streamed, every row */
	CU_ASSERT_EQUAL(http_listing("200 OK", big, n, 0, &streamed, &rows, &e), XCH_OK);
	CU_ASSERT(streamed);
	CU_ASSERT_EQUAL(rows, 300);

	/* over the cap: XCH_TOOBIG, as before */
	CU_ASSERT_EQUAL(http_listing("200 OK", big, n, n / 2, &streamed, &rows, &e), XCH_TOOBIG);
	CU_ASSERT_STRING_EQUAL(e.msg, "answer exceeded the size cap");

	/* the connection closes mid-object: a transport error, as before */
	CU_ASSERT_EQUAL(http_listing("200 OK", big, n / 2, 0, &streamed, &rows, &e), XCH_NETWORK);
	CU_ASSERT(strstr(e.msg, "transport:") == e.msg);

	/* a complete answer whose JSON is cut mid-object */
	char *cut = xstrndup(big, n / 2);
	CU_ASSERT_EQUAL(http_listing("200 OK", cut, strlen(cut), 0, &streamed, &rows, &e), XCH_MALFORMED);
	CU_ASSERT_STRING_EQUAL(e.msg, "malformed answer: open algo orders");
	free(cut);

	/* error answers: not streamed, the same codes and messages */
	const char *skew = "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the recvWindow.\"}";
	CU_ASSERT_EQUAL(http_listing("400 Bad Request", skew, strlen(skew), 0, &streamed, &rows, &e), XCH_TIMESTAMP);
	CU_ASSERT(!streamed);
	CU_ASSERT_STRING_EQUAL(e.msg,
			       "binance http 400 code -1021: Timestamp for this request is outside of the recvWindow.");
	CU_ASSERT_EQUAL(http_listing("200 OK", skew, strlen(skew), 0, &streamed, &rows, &e), XCH_TIMESTAMP);
	CU_ASSERT(!streamed);
	CU_ASSERT_EQUAL(http_listing("503 Service Unavailable", "[]", 2, 0, &streamed, &rows, &e), XCH_SERVER);
	CU_ASSERT(!streamed);
	CU_ASSERT_EQUAL(http_listing("200 OK", "", 0, 0, &streamed, &rows, &e), XCH_MALFORMED);
	CU_ASSERT_STRING_EQUAL(e.msg, "malformed answer: open algo orders");
	free(big);
}

void test_xch_stream_parse_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_bn_parse_streamed_listing_equals_tree_parse",
		  test_bn_parse_streamed_listing_equals_tree_parse },
		{ "test_bb_parse_streamed_listing_equals_tree_parse",
		  test_bb_parse_streamed_listing_equals_tree_parse },
		{ "test_stream_depth_limit_is_xch_json_parse_s", test_stream_depth_limit_is_xch_json_parse_s },
		{ "test_stream_truncated_answers_give_the_same_error",
		  test_stream_truncated_answers_give_the_same_error },
		{ "test_stream_http_answers_behave_as_before", test_stream_http_answers_behave_as_before },
		{ NULL, NULL },
	};
	tu_add_suite("xch_stream_parse", tests);
}
