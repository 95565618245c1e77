/* The stream hub (exchanges/xch_ws.c) against vigil-sim: every account's
 * private stream rides one lws context and one service thread plus a fixed
 * pool of REST workers, whatever the number of accounts; each message
 * reaches its own account's cache; a listenKey POST that hangs on one
 * account does not hold up the others; and the hub's threads go away with
 * the last stream. */
#include <dirent.h>

#include "tests/integration/itest_xch_kit.h"

#define NACCT 24 /* 12 Binance, 12 Bybit */
#define HUB_THREADS (1 + XCH_HUB_WORKERS)

static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct many {
	struct kit k; /* the sim; k.x unused */
	char keys[NACCT][32], secrets[NACCT][32];
	struct xch *x[NACCT];
	struct rec_stream_cache *sc;
};

static enum rec_exchange ex_of(int i)
{
	return i % 2 ? REC_EX_BYBIT : REC_EX_BINANCE;
}

static bool many_start_sim(struct many *m)
{
	memset(m, 0, sizeof *m);
	char spec[NACCT][96];
	char *argv[4 + 2 * NACCT + 1];
	int a = 0;
	argv[a++] = (char *)tu_build_path("vigil-sim");
	argv[a++] = "--port";
	argv[a++] = "0";
	for (int i = 0; i < NACCT; i++) {
		snprintf(m->keys[i], sizeof m->keys[i], "hub-key-%d", i);
		snprintf(m->secrets[i], sizeof m->secrets[i], "hub-secret-%d", i);
		snprintf(spec[i], sizeof spec[i], "%s:%s:%s", ex_of(i) == REC_EX_BYBIT ? "bybit" : "binance",
			 m->keys[i], m->secrets[i]);
		argv[a++] = "--account";
		argv[a++] = spec[i];
	}
	argv[a] = NULL;
	m->k.pid = tu_spawn_server(argv, &m->k.port, 5000);
	if (m->k.pid <= 0)
		return false;
	snprintf(m->k.base, sizeof m->k.base, "http://127.0.0.1:%d", m->k.port);
	m->sc = xcalloc(1, sizeof *m->sc);
	return true;
}

static bool up(struct xch *x, struct rec_stream_cache *sc)
{
	return xch_stream_copy(x, sc) == 0 && sc->state == REC_SS_UP;
}

/* Waits until streams [from, to) are all up; returns the ms it took, -1. */
static int64_t wait_all_up(struct many *m, int from, int to, int timeout_ms)
{
	int64_t t0 = kit_ms();
	for (;;) {
		int n = 0;
		for (int i = from; i < to; i++)
			n += up(m->x[i], m->sc);
		if (n == to - from)
			return kit_ms() - t0;
		if (kit_ms() - t0 > timeout_ms)
			return -1;
		usleep(10000);
	}
}

static void many_stop(struct many *m)
{
	for (int i = 0; i < NACCT; i++)
		if (m->x[i])
			xch_free(m->x[i]);
	tu_stop_server(m->k.pid);
	free(m->sc);
}

static void itest_hub_threads_do_not_grow_with_accounts(void)
{
	struct many m;
	CU_ASSERT_TRUE_FATAL(many_start_sim(&m));
	int before = tasks();
	CU_ASSERT_EQUAL(xch_stream_hub_threads(), 0);
	struct xch_err err;
	for (int i = 0; i < NACCT; i++) {
		m.x[i] = kit_adapter(&m.k, ex_of(i), m.keys[i], m.secrets[i]);
		CU_ASSERT_TRUE_FATAL(m.x[i] != NULL);
		snprintf(m.x[i]->cfg.account, sizeof m.x[i]->cfg.account, "hub-%d", i);
		CU_ASSERT_EQUAL_FATAL(m.x[i]->ops->stream_start(m.x[i], &err), XCH_OK);
		if (i == 0) /* one stream: the hub's service thread and its workers */
			CU_ASSERT_EQUAL(xch_stream_hub_threads(), HUB_THREADS);
	}
	CU_ASSERT_TRUE(wait_all_up(&m, 0, NACCT, 10000) >= 0);
	CU_ASSERT_EQUAL(xch_stream_hub_threads(), HUB_THREADS);
	CU_ASSERT_EQUAL(tasks() - before, HUB_THREADS); /* 24 streams, still 5 threads */

	/* a fill on account 5 (Bybit) and one on account 6 (Binance): each
	 * lands in its own cache only */
	CU_ASSERT_TRUE(kit_post_ok(&m.k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"hub-key-5\",\"symbol\":\"BTCUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"0.01\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&m.k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"hub-key-6\",\"symbol\":\"ETHUSDT\","
				   "\"side\":\"SELL\",\"qty\":\"0.5\"}"));
	struct kit_posq q5 = { "BTCUSDT", REC_PIDX_BOTH, 0.01 }, q6 = { "ETHUSDT", REC_PIDX_BOTH, 0.5 };
	struct kit k5 = { .x = m.x[5], .sc = m.sc }, k6 = { .x = m.x[6], .sc = m.sc };
	CU_ASSERT_TRUE(kit_wait(&k5, kit_pos_is, &q5, 3000));
	CU_ASSERT_TRUE(kit_wait(&k6, kit_pos_is, &q6, 3000));
	for (int i = 0; i < NACCT; i++) {
		CU_ASSERT_EQUAL_FATAL(xch_stream_copy(m.x[i], m.sc), 0);
		const struct rec_position *b = rec_stream_find_position(m.sc, "BTCUSDT", REC_PIDX_BOTH);
		const struct rec_position *e = rec_stream_find_position(m.sc, "ETHUSDT", REC_PIDX_BOTH);
		CU_ASSERT_EQUAL(b && b->size > 0, i == 5);
		CU_ASSERT_EQUAL(e && e->size > 0, i == 6);
	}

	/* half the accounts go (a reload dropping them): the rest stay up */
	for (int i = 0; i < NACCT; i += 2) {
		xch_free(m.x[i]);
		m.x[i] = NULL;
	}
	for (int i = 1; i < NACCT; i += 2)
		CU_ASSERT_TRUE(up(m.x[i], m.sc));
	CU_ASSERT_EQUAL(xch_stream_hub_threads(), HUB_THREADS);
	/* and come back */
	for (int i = 0; i < NACCT; i += 2) {
		m.x[i] = kit_adapter(&m.k, ex_of(i), m.keys[i], m.secrets[i]);
		CU_ASSERT_EQUAL_FATAL(m.x[i]->ops->stream_start(m.x[i], &err), XCH_OK);
	}
	CU_ASSERT_TRUE(wait_all_up(&m, 0, NACCT, 10000) >= 0);
	CU_ASSERT_EQUAL(tasks() - before, HUB_THREADS);

	for (int i = 0; i < NACCT; i++) {
		xch_free(m.x[i]);
		m.x[i] = NULL;
	}
	CU_ASSERT_EQUAL(xch_stream_hub_threads(), 0); /* the last stream took the hub */
	CU_ASSERT_EQUAL(tasks(), before);
	many_stop(&m);
}

static void itest_hub_hanging_listen_key_does_not_stall_other_streams(void)
{
	struct many m;
	CU_ASSERT_TRUE_FATAL(many_start_sim(&m));
	/* account 0's listenKey POST answers after 6 s and its request timeout
	 * is 4 s: it keeps one REST worker busy for 4 s; the others share the
	 * rest. One stream thread doing that POST itself would hold every
	 * other stream back for the 4 s. */
	CU_ASSERT_TRUE_FATAL(
		kit_post_ok(&m.k, "/_sim/fault",
			    "{\"type\":\"slow\",\"exchange\":\"binance\",\"endpoint\":\"/fapi/v1/listenKey\","
			    "\"account\":\"hub-key-0\",\"ms\":6000}"));
	struct xch_err err;
	m.x[0] = kit_adapter(&m.k, ex_of(0), m.keys[0], m.secrets[0]);
	m.x[0]->cfg.request_timeout_ms = 4000;
	CU_ASSERT_EQUAL_FATAL(m.x[0]->ops->stream_start(m.x[0], &err), XCH_OK);
	usleep(100000); /* its POST is on the wire */
	for (int i = 1; i < 9; i++) {
		m.x[i] = kit_adapter(&m.k, ex_of(i), m.keys[i], m.secrets[i]);
		CU_ASSERT_EQUAL_FATAL(m.x[i]->ops->stream_start(m.x[i], &err), XCH_OK);
	}
	int64_t took = wait_all_up(&m, 1, 9, 8000);
	CU_ASSERT_TRUE(took >= 0 && took < 3000);
	CU_ASSERT_FALSE(up(m.x[0], m.sc));
	/* stopping the one whose job is still running waits for the job, then
	 * lets go of it */
	xch_free(m.x[0]);
	m.x[0] = NULL;
	for (int i = 1; i < 9; i++)
		CU_ASSERT_TRUE(up(m.x[i], m.sc));
	many_stop(&m);
}

/* The configuration's proxy key is the only proxy: an http_proxy /
 * https_proxy / all_proxy in the environment (pointing at a closed port
 * here) neither routes nor breaks the stream or REST. */
static void itest_hub_environment_proxy_is_ignored(void)
{
	struct many m;
	CU_ASSERT_TRUE_FATAL(many_start_sim(&m));
	static const char *vars[] = { "http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		setenv(vars[i], "http://127.0.0.1:1", 1);
	struct xch_err err;
	for (int i = 0; i < 2; i++) {
		m.x[i] = kit_adapter(&m.k, ex_of(i), m.keys[i], m.secrets[i]);
		CU_ASSERT_EQUAL_FATAL(m.x[i]->ops->stream_start(m.x[i], &err), XCH_OK);
	}
	CU_ASSERT_TRUE(wait_all_up(&m, 0, 2, 5000) >= 0);
	for (int i = 0; i < 2; i++) {
		struct xch_listing l;
		memset(&l, 0, sizeof l);
		CU_ASSERT_EQUAL(xch_fetch_listing(m.x[i], &l), 0);
		CU_ASSERT_EQUAL(l.pos_rc, XCH_OK);
		xch_listing_free(&l);
	}
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	many_stop(&m);
}

void itest_xch_hub_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_hub_threads_do_not_grow_with_accounts", itest_hub_threads_do_not_grow_with_accounts },
		{ "itest_hub_hanging_listen_key_does_not_stall_other_streams",
		  itest_hub_hanging_listen_key_does_not_stall_other_streams },
		{ "itest_hub_environment_proxy_is_ignored", itest_hub_environment_proxy_is_ignored },
		{ NULL, NULL },
	};
	tu_add_suite("xch_hub", tests);
}
