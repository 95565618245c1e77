/* Streamed listings (exchanges/jsonx_stream.h, issue 21) against the tree
 * parsers: the first byte picks the listing (Binance positionRisk /
 * openOrders / openAlgoOrders, Bybit position/list / order/realtime) and
 * the chunk size (1..64, or the whole body); the rest is the answer. The
 * streamed result (rows, code, message, Bybit cursor and page size) must
 * equal the tree parse's, except on a text with a comment in it (the one
 * documented difference: json-c's comment extension). */
#include "exchanges/bb_parse.h"
#include "exchanges/bn_parse.h"
#include "exchanges/jsonx_stream.h"
#include "tests/fuzz/fuzz_util.h"
#include "base/buf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* xch_http's write callback on a 200 answer (see http.c on_body). */
static bool feed(struct xch_jstream *js, const char *b, size_t n, size_t step, struct buf *kept)
{
	xch_jstream_restart(js);
	struct xch_jbody jb;
	xch_jbody_start(&jb, js, true, kept);
	for (size_t off = 0; off < n; off += step)
		xch_jbody_add(&jb, b + off, n - off < step ? n - off : step);
	return xch_jbody_end(&jb);
}

struct res {
	int rc;
	char msg[256];
	void *v;
	size_t n, page;
	char cursor[64];
};

static void bn_one(int kind, struct bn_list_sink *s, bool streamed, const char *b, size_t n, struct res *r)
{
	struct xch_err e;
	memset(&e, 0, sizeof e);
	if (kind == BN_LIST_POSITIONS)
		r->rc = bn_list_take_positions(s, streamed, b, n, 7, (struct rec_position **)&r->v, &r->n, &e);
	else if (s)
		r->rc = bn_list_take_orders(s, streamed, b, n, (struct rec_order **)&r->v, &r->n, &e);
	else if (kind == BN_LIST_ORDERS)
		r->rc = bn_parse_orders(b, n, (struct rec_order **)&r->v, &r->n, &e);
	else
		r->rc = bn_parse_algo_orders(b, n, (struct rec_order **)&r->v, &r->n, &e);
	FUZZ_CHECK(fuzz_terminated(e.msg, sizeof e.msg));
	snprintf(r->msg, sizeof r->msg, "%s", r->rc ? e.msg : "");
}

static void bb_one(bool positions, struct bb_list_sink *s, bool streamed, const char *b, size_t n, struct res *r)
{
	struct xch_err e;
	memset(&e, 0, sizeof e);
	struct json_object *root, *res;
	r->rc = streamed ? bb_check_answer_root(200, xch_jstream_finish(bb_list_sink_stream(s)), 0, 0, &root, &res, &e)
			 : bb_check_answer(200, b, n, 0, 0, &root, &res, &e);
	if (r->rc == XCH_OK) {
		if (positions)
			r->rc = bb_list_take_positions(s, res, 7, (struct rec_position **)&r->v, &r->n, &r->page,
						       r->cursor, sizeof r->cursor, &e);
		else
			r->rc = bb_list_take_orders(s, res, (struct rec_order **)&r->v, &r->n, &r->page, r->cursor,
						    sizeof r->cursor, &e);
	}
	if (root)
		json_object_put(root);
	FUZZ_CHECK(fuzz_terminated(e.msg, sizeof e.msg));
	snprintf(r->msg, sizeof r->msg, "%s", r->rc ? e.msg : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 5;
	size_t step = (data[0] >> 3) ? (data[0] >> 3) * 2u : size;
	const char *b = (const char *)data + 1;
	size_t n = size - 1;
	if (step == 0)
		step = 1;
	struct res t, s;
	memset(&t, 0, sizeof t);
	memset(&s, 0, sizeof s);
	struct buf kept = { 0 };
	size_t el;
	if (mode < 3) {
		struct bn_list_sink *sk = bn_list_sink_new((enum bn_list_kind)mode);
		bool streamed = feed(bn_list_sink_stream(sk), b, n, step, &kept);
		bn_one(mode, NULL, false, b, n, &t);
		bn_one(mode, sk, streamed, kept.p, kept.len, &s);
		bn_list_sink_free(sk);
		el = mode == BN_LIST_POSITIONS ? sizeof(struct rec_position) : sizeof(struct rec_order);
	} else {
		bool positions = mode == 3;
		struct bb_list_sink *sk = bb_list_sink_new(positions);
		bool streamed = feed(bb_list_sink_stream(sk), b, n, step, &kept);
		bb_one(positions, NULL, false, b, n, &t);
		bb_one(positions, sk, streamed, kept.p, kept.len, &s);
		bb_list_sink_free(sk);
		el = positions ? sizeof(struct rec_position) : sizeof(struct rec_order);
	}
	FUZZ_CHECK(s.n == 0 || s.v);
	for (size_t i = 0; i < s.n; i++) {
		if (el == sizeof(struct rec_position))
			fuzz_check_position(&((struct rec_position *)s.v)[i]);
		else
			fuzz_check_order(&((struct rec_order *)s.v)[i]);
	}
	if (!memchr(b, '/', n)) {
		if (t.rc != s.rc || strcmp(t.msg, s.msg) || t.n != s.n || t.page != s.page ||
		    strcmp(t.cursor, s.cursor))
			fprintf(stderr, "tree rc %d n %zu \"%s\" / streamed rc %d n %zu \"%s\"\n", t.rc, t.n, t.msg,
				s.rc, s.n, s.msg);
		FUZZ_CHECK(t.rc == s.rc);
		FUZZ_CHECK(!strcmp(t.msg, s.msg));
		FUZZ_CHECK(t.n == s.n && t.page == s.page && !strcmp(t.cursor, s.cursor));
		FUZZ_CHECK(t.n == 0 || memcmp(t.v, s.v, t.n * el) == 0);
	}
	free(t.v);
	free(s.v);
	buf_free(&kept);
	return 0;
}
