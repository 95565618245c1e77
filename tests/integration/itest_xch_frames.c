/* The stream client against a tiny in-process WebSocket server that sends
 * a position message split into several WebSocket fragments: the adapter
 * must accumulate them and apply the whole message once. */
#include "tests/integration/itest_xch_kit.h"

#include <pthread.h>

static const char *const frag_msg[] = {
	"{\"topic\":\"position\",\"creationTime\":1700000000000,\"data\":[{\"category\":\"linear\",",
	"\"symbol\":\"SKLUSDT\",\"side\":\"Buy\",\"size\":\"308\",\"positionIdx\":0,",
	"\"entryPrice\":\"0.03\",\"stopLoss\":\"0.027\",\"updatedTime\":\"1700000000000\",\"seq\":77}]}",
};

struct fsrv {
	struct lws_context *ctx;
	pthread_t thr;
	atomic_bool stop;
	int port;
	int step; /* 0 wait auth, 1 send auth ok, 2.. fragments */
	bool pending;
};

static int fsrv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct fsrv *f = lws_context_user(lws_get_context(wsi));
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED: f->step = 0; break;
	case LWS_CALLBACK_RECEIVE:
		if (f->step == 0) { /* the auth op */
			f->step = 1;
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		unsigned char buf[LWS_PRE + 512];
		const char *m;
		int flags;
		if (f->step == 1) {
			m = "{\"success\":true,\"ret_msg\":\"\",\"op\":\"auth\",\"conn_id\":\"x\"}";
			flags = LWS_WRITE_TEXT;
		} else if (f->step >= 2 && f->step < 5) {
			int i = f->step - 2;
			m = frag_msg[i];
			flags = lws_write_ws_flags(LWS_WRITE_TEXT, i == 0, i == 2);
		} else {
			break;
		}
		size_t n = strlen(m);
		memcpy(buf + LWS_PRE, m, n);
		if (lws_write(wsi, buf + LWS_PRE, n, (enum lws_write_protocol)flags) < (int)n)
			return -1;
		f->step++;
		if (f->step < 5)
			lws_callback_on_writable(wsi);
		break;
	}
	default: break;
	}
	return 0;
}

static const struct lws_protocols fsrv_protos[] = {
	{ "fsrv", fsrv_cb, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void *fsrv_main(void *arg)
{
	struct fsrv *f = arg;
	while (!atomic_load(&f->stop))
		if (lws_service(f->ctx, 0) < 0)
			break;
	return NULL;
}

static int fsrv_start(struct fsrv *f)
{
	memset(f, 0, sizeof *f);
	lws_set_log_level(LLL_ERR, NULL); /* before any context: keep the runner's output clean */
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = fsrv_protos;
	info.user = f;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = 64;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	f->ctx = lws_create_context(&info);
	if (!f->ctx)
		return -1;
	struct lws_vhost *vh = lws_create_vhost(f->ctx, &info);
	if (!vh) {
		lws_context_destroy(f->ctx);
		return -1;
	}
	f->port = lws_get_vhost_listen_port(vh);
	atomic_init(&f->stop, false);
	pthread_create(&f->thr, NULL, fsrv_main, f);
	return 0;
}

static void fsrv_stop(struct fsrv *f)
{
	atomic_store(&f->stop, true);
	lws_cancel_service(f->ctx);
	pthread_join(f->thr, NULL);
	lws_context_destroy(f->ctx);
}

static void itest_stream_fragmented_message_is_reassembled(void)
{
	struct fsrv f;
	CU_ASSERT_EQUAL_FATAL(fsrv_start(&f), 0);
	struct kit k;
	memset(&k, 0, sizeof k);
	k.port = 1; /* REST unused */
	k.sc = xcalloc(1, sizeof *k.sc);
	k.x = kit_adapter(&k, REC_EX_BYBIT, "frag-key", "frag-secret");
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	snprintf(k.x->cfg.ws_url, sizeof k.x->cfg.ws_url, "ws://127.0.0.1:%d/v5/private", f.port);
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	struct kit_posq q = { "SKLUSDT", REC_PIDX_BOTH, 308 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q, 5000));
	const struct rec_position *p = rec_stream_find_position(k.sc, "SKLUSDT", REC_PIDX_BOTH);
	if (p) {
		CU_ASSERT_EQUAL(p->side, REC_SIDE_LONG);
		CU_ASSERT_EQUAL(p->seq, 77);
		CU_ASSERT_DOUBLE_EQUAL(p->stop_loss, 0.027, 1e-12);
	}
	const struct rec_order *o = rec_stream_find_order(k.sc, "pos-sl:SKLUSDT:0", false);
	CU_ASSERT_TRUE_FATAL(o != NULL);
	CU_ASSERT_TRUE(o->position_attached);
	CU_ASSERT_EQUAL(o->side, REC_SELL);
	CU_ASSERT_EQUAL(o->status, REC_OST_NEW);
	CU_ASSERT_TRUE(atomic_load(&k.events) >= 2); /* connect + the position */
	xch_free(k.x);
	free(k.sc);
	fsrv_stop(&f);
}

void itest_xch_frames_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_stream_fragmented_message_is_reassembled", itest_stream_fragmented_message_is_reassembled },
		{ NULL, NULL },
	};
	tu_add_suite("xch_frames", tests);
}
