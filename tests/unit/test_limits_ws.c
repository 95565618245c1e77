/* Input limits of the adapters' WebSocket client (exchanges/xch_ws.c): a
 * single frame announcing 64 MiB, and a message that never ends (endless
 * continuation fragments), both exceed the message cap: the client drops
 * the connection long before the server has sent it all, then reconnects
 * with backoff. The server is a thread of this test speaking just enough
 * RFC 6455 on 127.0.0.1; the client is the real Bybit adapter. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exchanges/exchange.h"
#include "exchanges/xch_int.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

#define WS_CAP (64u * 1024)
#define HUGE_FRAME (64ull * 1024 * 1024)

struct wsrv {
	int lfd, port;
	atomic_bool stop;
	atomic_int conns;       /* handshakes completed */
	atomic_int dropped;     /* connections the client cut mid-message */
	atomic_ullong max_sent; /* most payload bytes sent on one connection */
	pthread_t thr;
};

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w, n -= (size_t)w;
	}
	return 0;
}

static int handshake(int fd)
{
	char buf[4096], key[128] = "", acc[64], line[256];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	for (char *p = buf; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
		if (!strncasecmp(p, "Sec-WebSocket-Key:", 18)) {
			sscanf(p + 18, " %127[^\r\n ]", key);
			break;
		}
	if (!key[0])
		return -1;
	unsigned char sha[SHA_DIGEST_LENGTH];
	snprintf(line, sizeof line, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	SHA1((const unsigned char *)line, strlen(line), sha);
	EVP_EncodeBlock((unsigned char *)acc, sha, SHA_DIGEST_LENGTH);
	snprintf(buf, sizeof buf,
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Accept: %s\r\n\r\n",
		 acc);
	return send_all(fd, buf, strlen(buf));
}

/* Connection 1: one frame announcing HUGE_FRAME bytes. Later ones: a text
 * message in 32 KiB fragments that never ends. Payload is spaces. */
static void serve(struct wsrv *s, int fd, int nth)
{
	static char pay[32768];
	unsigned long long sent = 0;
	struct timeval tv = { 0, 300000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(pay, ' ', sizeof pay);
	if (handshake(fd))
		return;
	atomic_fetch_add(&s->conns, 1);
	if (nth == 0) {
		unsigned char h[10] = { 0x81, 127 };
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)(HUGE_FRAME >> (56 - 8 * i));
		if (send_all(fd, h, sizeof h))
			return;
		while (sent < HUGE_FRAME && !atomic_load(&s->stop)) {
			if (send_all(fd, pay, sizeof pay))
				break;
			sent += sizeof pay;
		}
	} else {
		unsigned char h[4] = { 0x01, 126, sizeof pay >> 8, sizeof pay & 0xff }; /* text, FIN=0 */
		while (sent < HUGE_FRAME && !atomic_load(&s->stop)) {
			if (send_all(fd, h, sizeof h) || send_all(fd, pay, sizeof pay))
				break;
			sent += sizeof pay;
			h[0] = 0x00; /* continuation, FIN=0: the message never ends */
		}
	}
	if (sent > atomic_load(&s->max_sent))
		atomic_store(&s->max_sent, sent);
	if (sent < HUGE_FRAME && !atomic_load(&s->stop))
		atomic_fetch_add(&s->dropped, 1);
}

static void *wsrv_main(void *arg)
{
	struct wsrv *s = arg;
	int nth = 0;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(s, fd, nth++);
		close(fd);
	}
	return NULL;
}

static bool wait_for(atomic_int *v, int want, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (atomic_load(v) >= want)
			return true;
		usleep(20000);
	}
	return atomic_load(v) >= want;
}

static void test_limits_ws_oversized_messages_drop_the_connection(void)
{
	struct wsrv s;
	memset(&s, 0, sizeof s);
	s.lfd = tu_listen_loopback(&s.port);
	CU_ASSERT_FATAL(s.lfd >= 0);
	pthread_create(&s.thr, NULL, wsrv_main, &s);

	struct xch_config cfg;
	struct xch_err err;
	memset(&cfg, 0, sizeof cfg);
	cfg.exchange = REC_EX_BYBIT;
	snprintf(cfg.account, sizeof cfg.account, "limits-ws");
	snprintf(cfg.rest_url, sizeof cfg.rest_url, "http://127.0.0.1:%d", s.port);
	snprintf(cfg.ws_url, sizeof cfg.ws_url, "ws://127.0.0.1:%d/v5/private", s.port);
	cfg.api_key = "limits-key";
	cfg.api_secret = "limits-secret";
	cfg.recv_window_ms = 5000;
	cfg.connect_timeout_ms = 1000;
	cfg.request_timeout_ms = 2000;
	memset(&err, 0, sizeof err);
	struct xch *x = xch_new(&cfg, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	struct xch_stream_tuning t;
	xch_stream_tuning_default(&t);
	t.backoff_min_ms = 50;
	t.backoff_max_ms = 200;
	t.tick_ms = 50;
	t.max_msg = WS_CAP;
	xch_stream_tune(x, &t);
	CU_ASSERT_EQUAL_FATAL(x->ops->stream_start(x, &err), XCH_OK);

	/* both oversized messages were cut off by the client, which came back */
	CU_ASSERT(wait_for(&s.dropped, 2, 8000));
	CU_ASSERT(wait_for(&s.conns, 3, 8000));
	/* it stopped reading near the cap, not at 64 MiB (socket buffers on
	 * both ends hold a few MiB at most) */
	CU_ASSERT(atomic_load(&s.max_sent) < 16ull * 1024 * 1024);

	struct rec_stream_cache *c = xcalloc(1, sizeof *c);
	CU_ASSERT_EQUAL(xch_stream_copy(x, c), 0);
	CU_ASSERT(c->reconnects >= 1);
	free(c);

	x->ops->stream_stop(x);
	xch_free(x);
	atomic_store(&s.stop, true);
	pthread_join(s.thr, NULL);
	close(s.lfd);
}

void test_limits_ws_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_limits_ws_oversized_messages_drop_the_connection",
		  test_limits_ws_oversized_messages_drop_the_connection },
		{ NULL, NULL },
	};
	tu_add_suite("limits_ws", tests);
}
