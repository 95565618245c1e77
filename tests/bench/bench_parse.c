/* Memory and time of the listing parsers on the issue-21 audit answers
 * (200 positions, 300 open orders, 300 open algo orders: about 476 KB of
 * JSON built from tests/data fixtures): the tree parse of the whole body
 * (bn_parse_*) against the streamed one (bn_list_sink, fed in 16 KiB
 * chunks as libcurl hands them over). Heap in use is read with
 * mallinfo2() at the tree's largest (built, before it is freed) and, for
 * the stream, at every element and every chunk; the model rows the parse
 * returns (needed either way) are not counted. Figures, not tests. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchanges/bn_parse.h"
#include "exchanges/jsonx.h"
#include "exchanges/jsonx_stream.h"
#include "tests/support/testutil.h"
#include "base/buf.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

/* copies of the fixture's first element (symbols made distinct) */
static char *answer(const char *rel, size_t copies, size_t *len)
{
	size_t n;
	char *f = tu_read_file(tu_fixture(rel), &n);
	if (!f) {
		fprintf(stderr, "bench_parse: no %s\n", rel);
		exit(1);
	}
	struct json_object *root = xch_json_parse(f, n);
	struct json_object *el = json_object_is_type(root, json_type_array) ? json_object_array_get_idx(root, 0) : root;
	struct buf b = { 0 };
	buf_adds(&b, "[");
	for (size_t i = 0; i < copies; i++) {
		char sym[32];
		snprintf(sym, sizeof sym, "S%04zuUSDT", i);
		json_object_object_add(el, "symbol", json_object_new_string(sym));
		buf_adds(&b, i ? "," : "");
		buf_adds(&b, json_object_to_json_string_ext(el, JSON_C_TO_STRING_PLAIN));
	}
	buf_adds(&b, "]");
	json_object_put(root);
	free(f);
	return buf_take(&b, len);
}

static size_t peak, base;

static void sample(void)
{
	size_t h = heap();
	if (h > peak)
		peak = h;
}

int main(void)
{
	static const char *const files[3] = { "binance/position-risk-v3-oneway-long-btcusdt.json",
					      "binance/open-order-limit-gtx-ltcusdt.json",
					      "binance/open-algo-orders-doc.json" };
	static const size_t copies[3] = { 200, 300, 300 };
	static const char *const names[3] = { "positions", "orders", "algo_orders" };
	char *body[3];
	size_t len[3], total = 0;
	for (int i = 0; i < 3; i++) {
		body[i] = answer(files[i], copies[i], &len[i]);
		total += len[i];
	}
	printf("parse_answers_kb %.0f KB\n", total / 1000.0);

	/* one element alone: what json-c holds for one object */
	{
		size_t h0 = heap();
		struct json_object *o = xch_json_parse(body[2] + 1, strcspn(body[2] + 1, "}") + 1);
		printf("parse_one_object_kib %.1f KiB\n", (heap() - h0) / 1024.0);
		json_object_put(o);
	}

	double tree_ms = 0, stream_ms = 0;
	size_t tree_peak = 0, stream_peak = 0;
	for (int i = 0; i < 3; i++) {
		struct xch_err e;
		void *v = NULL;
		size_t n = 0;
		enum bn_list_kind k = (enum bn_list_kind)i;
		/* tree: the parse's largest moment is the whole tree built */
		base = heap();
		double t0 = now_ms();
		struct json_object *root = xch_json_parse(body[i], len[i]);
		size_t tp = heap() - base;
		json_object_put(root);
		if (k == BN_LIST_POSITIONS)
			bn_parse_positions(body[i], len[i], 1, (struct rec_position **)&v, &n, &e);
		else if (k == BN_LIST_ORDERS)
			bn_parse_orders(body[i], len[i], (struct rec_order **)&v, &n, &e);
		else
			bn_parse_algo_orders(body[i], len[i], (struct rec_order **)&v, &n, &e);
		tree_ms += now_ms() - t0;
		free(v);
		v = NULL;

		/* streamed, 16 KiB chunks; the rows vector is the output */
		struct bn_list_sink *s = bn_list_sink_new(k);
		struct xch_jstream *js = bn_list_sink_stream(s);
		xch_jstream_restart(js);
		base = heap();
		peak = base;
		size_t el = k == BN_LIST_POSITIONS ? sizeof(struct rec_position) : sizeof(struct rec_order);
		t0 = now_ms();
		for (size_t off = 0; off < len[i]; off += 16384) {
			size_t c = len[i] - off < 16384 ? len[i] - off : 16384;
			/* feed byte ranges ending just before each '}', so every
			 * element is sampled alive, all its fields built */
			size_t a = off, end = off + c;
			while (a < end) {
				const char *q = a + 1 < end ? memchr(body[i] + a + 1, '}', end - a - 1) : NULL;
				size_t b = q ? (size_t)(q - body[i]) : end;
				xch_jstream_feed(js, body[i] + a, b - a);
				sample();
				a = b;
			}
		}
		/* rows kept so far: capacity of the sink's vector, at most 2n */
		size_t rows_cap = 64;
		while (rows_cap < copies[i])
			rows_cap *= 2;
		size_t sp = peak - base > rows_cap * el ? peak - base - rows_cap * el : 0;
		if (k == BN_LIST_POSITIONS)
			bn_list_take_positions(s, true, NULL, 0, 1, (struct rec_position **)&v, &n, &e);
		else
			bn_list_take_orders(s, true, NULL, 0, (struct rec_order **)&v, &n, &e);
		stream_ms += now_ms() - t0;
		free(v);
		bn_list_sink_free(s);
		printf("parse_%s_tree_peak_kib %.1f KiB\n", names[i], tp / 1024.0);
		printf("parse_%s_stream_peak_kib %.1f KiB\n", names[i], sp / 1024.0);
		if (tp > tree_peak)
			tree_peak = tp;
		if (sp > stream_peak)
			stream_peak = sp;
	}
	printf("parse_tree_peak_kib %.1f KiB\n", tree_peak / 1024.0);
	printf("parse_stream_peak_kib %.1f KiB\n", stream_peak / 1024.0);
	printf("parse_tree_ms %.2f ms\n", tree_ms);
	printf("parse_stream_ms %.2f ms\n", stream_ms);
	for (int i = 0; i < 3; i++)
		free(body[i]);
	return 0;
}
