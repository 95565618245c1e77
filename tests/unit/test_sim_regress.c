/* vigil-sim fuzz regressions: every input in tests/fuzz/regress/sim_scenario/
 * and tests/fuzz/regress/sim_requests/ replayed through the same entry
 * points as the fuzz targets (sim_scenario_load; sim_rest_handle plus
 * sim_bb_ws_op), with the known ones also inline so they run without the
 * files. Bad input must give a clear error, never a crash or a leak. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

#define NOW 1700000000000LL
#define REGRESS "tests/fuzz/regress/"

/* As tests/fuzz/fuzz_sim_scenario.c: 0 loaded, -1 refused (err set). */
static int replay_scenario(const char *data, size_t size, char *err, size_t errn)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *sc = json_tokener_parse_ex(tok, data, (int)size);
	struct sim_world *w;
	int rc;

	json_tokener_free(tok);
	err[0] = '\0';
	if (!sc)
		return -2; /* not JSON: the target skips it too */
	w = sim_world_new(42);
	w->fake_now = NOW;
	rc = sim_scenario_load(w, sc, 1, err, errn);
	CU_ASSERT(rc == 0 || err[0] != '\0');
	for (int i = 0; i < w->nacct; i++)
		json_object_put(sim_state_json(w, w->acct[i]));
	sim_world_free(w);
	json_object_put(sc);
	return rc;
}

static char *field(char **p)
{
	char *s = *p, *nl = strchr(s, '\n');

	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* As tests/fuzz/fuzz_sim_requests.c: byte 0 = method and signing flags,
 * then "path\nquery\nbody"; the body is also fed as a Bybit stream frame.
 * Returns the stream frame's answer (malloc'd, may be NULL). */
static char *replay_request(const unsigned char *data, size_t size, int *status)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
	unsigned char flags = size ? data[0] : 0;
	char *buf = xmalloc(size ? size : 1), *p, *path, *query_in, *body_in, *query, *body;
	char sig[65] = "", ts[24];
	struct sim_world *w = sim_world_new(7);
	struct sim_account *acct = NULL;
	struct sim_req rq;
	struct sim_resp r;
	char subs[4][24], *reply = NULL;

	memcpy(buf, data + (size ? 1 : 0), size ? size - 1 : 0);
	buf[size ? size - 1 : 0] = '\0';
	p = buf;
	path = field(&p), query_in = field(&p), body_in = p;
	w->fake_now = NOW;
	sim_world_defaults(w, 3);
	memset(&rq, 0, sizeof rq);
	body = xstrdup(body_in);
	rq.method = methods[flags & 3];
	rq.path = path;
	snprintf(ts, sizeof ts, "%lld", NOW);
	if ((flags & 4) && !strncmp(path, "/fapi/", 6)) {
		char *q = xasprintf("%s%stimestamp=%lld", query_in, *query_in ? "&" : "", NOW);
		char *msg = xasprintf("%s%s", q, body);

		sim_hmac_hex("sim-binance-secret", msg, strlen(msg), sig);
		query = xasprintf("%s&signature=%s", q, sig);
		free(q);
		free(msg);
	} else {
		query = xstrdup(query_in);
	}
	if ((flags & 4) && !strncmp(path, "/v5/", 4)) {
		char *msg = xasprintf("%s%s%s%s", ts, "sim-bybit-key", "5000", flags & 1 ? body : query);

		sim_hmac_hex("sim-bybit-secret", msg, strlen(msg), sig);
		free(msg);
		rq.bapi_sign = sig;
		rq.bapi_ts = ts;
		rq.bapi_recv = "5000";
	}
	rq.query = query;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.mbx_key = flags & 8 ? NULL : "sim-binance-key";
	rq.bapi_key = flags & 16 ? NULL : "sim-bybit-key";
	rq.content_type = flags & 32 ? "application/x-www-form-urlencoded" : "application/json";
	memset(&r, 0, sizeof r);
	sim_rest_handle(w, &rq, &r);
	*status = r.status;
	CU_ASSERT(r.status >= 100 && r.status < 600);
	CU_ASSERT(r.body != NULL || r.len == 0);
	free(r.body);
	memset(subs, 0, sizeof subs);
	sim_bb_ws_op(w, body, strlen(body), &acct, subs, "conn-1", &reply);
	CU_ASSERT_PTR_NOT_NULL(reply);
	sim_world_free(w);
	free(query);
	free(body);
	free(buf);
	return reply;
}

static void test_sim_regress_scenario_wrong_shapes_are_refused_with_a_message(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "{\"accounts\":[{\"exchange\":\"binance\",\"key\":\"k\",\"secret\":\"s\",\"symbols\":\"BTCUSDT\"}]}",
		  "account 0: symbols must be an array" },
		{ "{\"accounts\":\"60000\"}", "accounts must be an array" },
		{ "{\"faults\":{\"type\":\"slow\"}}", "faults must be an array" },
		{ "{\"steps\":\"k1\"}", "steps must be an array" },
		{ "{\"symbols\":{\"symbol\":\"X\"}}", "symbols must be an array" },
		{ "{\"symbols\":[5]}", "symbols[0] must be an object" },
		{ "{\"accounts\":[7]}", "account 0 needs exchange" },
		{ "{\"accounts\":[{\"exchange\":\"binance\",\"key\":\"k\",\"secret\":\"s\",\"symbols\":[1]}]}",
		  "symbols[0] must be a string" },
		{ "{\"steps\":[1,{\"op\":\"mark\"}]}", "steps[0] must be an object" },
		{ "{\"faults\":[\"slow\"]}", "faults[0]: unknown fault type" },
	};
	char err[200];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CU_ASSERT_EQUAL(replay_scenario(cases[i].in, strlen(cases[i].in), err, sizeof err), -1);
		if (!strstr(err, cases[i].want))
			fprintf(stderr, "case %zu: error \"%s\", want \"%s\"\n", i, err, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].want));
	}
	/* wild numbers stay defined: huge at_ms, NaN / inf marks, huge fault windows */
	{
		const char *wild =
			"{\"faults\":[{\"type\":\"slow\",\"from_ms\":1e300,\"until_ms\":-1e300,\"count\":9e99}],"
			"\"steps\":[{\"at_ms\":1e300,\"op\":\"mark\",\"symbol\":\"BTCUSDT\",\"price\":\"nan\"},"
			"{\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"inf\"}]}";

		CU_ASSERT_EQUAL(replay_scenario(wild, strlen(wild), err, sizeof err), 0);
	}
}

static void test_sim_regress_ws_auth_without_array_args_answers_an_error(void)
{
	static const char *const frames[] = {
		"\x01/x\n\n{\"op\":\"auth\",\"args\":\"k\"}",
		"\x01/x\n\n{\"op\":\"auth\"}",
		"\x01/x\n\n{\"op\":\"auth\",\"args\":[\"sim-bybit-key\"]}",
		"\x01/x\n\n{\"op\":\"subscribe\",\"args\":{\"a\":1}}",
		"\x01/x\n\n{\"op\":\"auth\",\"args\":[\"sim-bybit-key\",1e300,null]}",
	};
	int status;

	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		char *reply = replay_request((const unsigned char *)frames[i], strlen(frames[i]), &status);

		CU_ASSERT_EQUAL(status, 404); /* "/x" is no route */
		CU_ASSERT_PTR_NOT_NULL(reply && strstr(reply, "\"success\":false"));
		free(reply);
	}
}

static void test_sim_regress_signed_requests_with_wild_numbers_stay_defined(void)
{
	/* user timestamp / recvWindow / cursor / limit far out of range */
	static const char *const reqs[] = {
		"\x04/fapi/v3/positionRisk\ntimestamp=-9223372036854775808&recvWindow=9223372036854775807\n",
		"\x04/fapi/v2/balance\ntimestamp=99999999999999999999999\n",
		"\x04/v5/position/list\ncategory=linear&cursor=p2147483647&limit=2147483647\n",
		"\x05/v5/order/"
		"create\n\n{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"orderType\":\"Market\","
		"\"qty\":\"nan\",\"positionIdx\":\"99999999999\"}",
	};
	int status;

	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		char *reply = replay_request((const unsigned char *)reqs[i], strlen(reqs[i]), &status);

		CU_ASSERT(status >= 200 && status < 500);
		free(reply);
	}
}

static void test_sim_regress_infinite_or_huge_quantity_is_refused(void)
{
	/* found by fuzz_sim_requests: an infinite quantity was filled and
	 * reached the trade-id cast in the ORDER_TRADE_UPDATE builder (UB) */
	static const char *const reqs[] = {
		"\x05/fapi/v1/"
		"order\nsymbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1e30801&\x90linear&seteltCosogoTyp1\n",
		"\x05/fapi/v1/order\nsymbol=BTCUSDT&side=BUY&type=MARKET&quantity=1e300\n",
		"\x05/fapi/v1/order\nsymbol=BTCUSDT&side=BUY&type=MARKET&quantity=nan\n",
	};
	const char *fine = "\x05/fapi/v1/order\nsymbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01\n";
	int status;

	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		free(replay_request((const unsigned char *)reqs[i], strlen(reqs[i]), &status));
		CU_ASSERT_EQUAL(status, 400);
	}
	free(replay_request((const unsigned char *)fine, strlen(fine), &status));
	CU_ASSERT_EQUAL(status, 200);
}

/* Every file the fuzzer saved, so new regressions are covered as they land. */
static int replay_dir(const char *dir, int requests)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[512], err[200];
		size_t len;
		char *data;
		int status;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (!(data = tu_read_file(path, &len)))
			continue;
		if (requests)
			free(replay_request((const unsigned char *)data, len, &status));
		else
			replay_scenario(data, len, err, sizeof err);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

static void test_sim_regress_every_saved_fuzz_input_replays_cleanly(void)
{
	int a = replay_dir(REGRESS "sim_scenario", 0), b = replay_dir(REGRESS "sim_requests", 1);

	/* run from the repository root (make check does); the directories hold
	 * at least the inputs inlined above */
	CU_ASSERT(a >= 5);
	CU_ASSERT(b >= 2);
}

void test_sim_regress_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_regress_scenario_wrong_shapes_are_refused_with_a_message",
		  test_sim_regress_scenario_wrong_shapes_are_refused_with_a_message },
		{ "test_sim_regress_ws_auth_without_array_args_answers_an_error",
		  test_sim_regress_ws_auth_without_array_args_answers_an_error },
		{ "test_sim_regress_signed_requests_with_wild_numbers_stay_defined",
		  test_sim_regress_signed_requests_with_wild_numbers_stay_defined },
		{ "test_sim_regress_infinite_or_huge_quantity_is_refused",
		  test_sim_regress_infinite_or_huge_quantity_is_refused },
		{ "test_sim_regress_every_saved_fuzz_input_replays_cleanly",
		  test_sim_regress_every_saved_fuzz_input_replays_cleanly },
		{ NULL, NULL },
	};
	tu_add_suite("sim_regress", tests);
}
