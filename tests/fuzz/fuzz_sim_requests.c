/* vigil-sim's request handling: every HTTP request and Bybit WebSocket
 * client frame it can receive (the exchange REST APIs, /_sim/ control with
 * scenario / step / fault bodies). The harness signs requests with the
 * default accounts' secrets (its own HMAC, per the exchanges' docs), so the
 * fuzzer gets past authentication into order handling.
 * Input: byte 0 = method and signing flags, then "path\nquery\nbody". */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "exchanges/sim/sim.h"
#include "tests/fuzz/fuzz_util.h"
#include "base/xalloc.h"

#define NOW 1700000000000LL

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void hmac_hex(const char *secret, const char *msg, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, strlen(msg), md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void sink(struct sim_world *w, struct sim_account *a, const char *topic, const char *payload)
{
}

/* Splits off the next '\n'-terminated field (in place). */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	char *buf = xmalloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *p = buf;
	char *path = field(&p), *query_in = field(&p), *body_in = p;
	size_t body_len = strlen(body_in);

	struct sim_world *w = sim_world_new(7);
	w->fake_now = NOW;
	w->emit = sink;
	sim_world_defaults(w, 3);

	struct sim_req rq;
	char sig[65] = "", ts[24], *query = NULL, *body = xstrdup(body_in);
	memset(&rq, 0, sizeof rq);
	rq.method = methods[flags & 3];
	rq.path = path;
	snprintf(ts, sizeof ts, "%lld", NOW);
	if ((flags & 4) && !strncmp(path, "/fapi/", 6)) {
		/* Binance: timestamp + signature over query + body */
		char *q = xasprintf("%s%stimestamp=%lld", query_in, *query_in ? "&" : "", NOW);
		char *msg = xasprintf("%s%s", q, body);
		hmac_hex("sim-binance-secret", msg, sig);
		query = xasprintf("%s&signature=%s", q, sig);
		free(q);
		free(msg);
	} else {
		query = xstrdup(query_in);
	}
	if ((flags & 4) && !strncmp(path, "/v5/", 4)) {
		/* Bybit: timestamp + key + recv_window + (body or query) */
		char *msg = xasprintf("%s%s%s%s", ts, "sim-bybit-key", "5000", flags & 1 ? body : query);
		hmac_hex("sim-bybit-secret", msg, sig);
		free(msg);
		rq.bapi_sign = sig;
		rq.bapi_ts = ts;
		rq.bapi_recv = "5000";
	}
	rq.query = query;
	rq.body = body;
	rq.body_len = body_len;
	rq.mbx_key = flags & 8 ? NULL : "sim-binance-key";
	rq.bapi_key = flags & 16 ? NULL : "sim-bybit-key";
	rq.content_type = flags & 32 ? "application/x-www-form-urlencoded" : "application/json";

	struct sim_resp r;
	memset(&r, 0, sizeof r);
	sim_rest_handle(w, &rq, &r);
	FUZZ_CHECK(r.status >= 100 && r.status < 600);
	FUZZ_CHECK(r.body != NULL || r.len == 0);
	free(r.body);

	/* the same body as a Bybit private-stream client frame */
	struct sim_account *acct = NULL;
	char subs[4][24];
	char *reply = NULL;
	memset(subs, 0, sizeof subs);
	sim_bb_ws_op(w, body, body_len, &acct, subs, "conn-1", &reply);
	free(reply);

	sim_world_free(w);
	free(query);
	free(body);
	free(buf);
	return 0;
}
