/* The database spool's record format (sql/db_spool.h): while PostgreSQL is
 * down every journal intent / outcome and every alert is written as one
 * JSON line and replayed later, so whatever goes in must come back the
 * same. Records are built from the fuzz bytes (any bytes in the strings:
 * quotes, backslashes, newlines, invalid UTF-8; any numbers), formatted,
 * parsed and compared field by field. A line must never contain a raw
 * newline (one record per line). */
#include "sql/db_spool.h"
#include "tests/fuzz/fuzz_util.h"
#include "base/xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* A string of up to cap-1 fuzz bytes, NUL-free (C strings cannot hold NUL). */
static void fstr(struct fuzz_in *in, char *dst, size_t cap)
{
	size_t n = fuzz_u8(in) % cap;
	size_t k = 0;
	for (size_t i = 0; i < n && fuzz_more(in); i++) {
		uint8_t c = fuzz_u8(in);
		if (c)
			dst[k++] = (char)c;
	}
	dst[k] = '\0';
}

static int64_t fi64(struct fuzz_in *in)
{
	uint64_t v = (uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in);
	return (int64_t)(v >> (fuzz_u8(in) % 64)); /* small and huge values */
}

/* Record ids are assigned by the journal / outbox: always > 0. */
static int64_t fid64(struct fuzz_in *in)
{
	return (int64_t)(((uint64_t)fi64(in) & (uint64_t)INT64_MAX) | 1);
}

/* Finite doubles only: NaN / inf cannot be prices or sizes anywhere in vigil. */
static double fdbl(struct fuzz_in *in)
{
	double d = (double)fi64(in) / (1.0 + fuzz_u32(in));
	return fuzz_u8(in) & 1 ? -d : d;
}

/* Parses a formatted line; an unreadable one is printed before failing. */
static json_object *parse_line(const char *line, const char **type)
{
	FUZZ_CHECK(line != NULL);
	FUZZ_CHECK(strchr(line, '\n') == NULL);
	json_object *o = db_spool_parse(line, type);
	if (!o)
		fprintf(stderr, "spool line not readable back: %s\n", line);
	FUZZ_CHECK(o != NULL);
	return o;
}

static void roundtrip_intent(struct fuzz_in *in)
{
	struct rec_action a, b;
	memset(&a, 0, sizeof a);
	a.id = fid64(in);
	a.kind = (enum rec_action_kind)(fuzz_u8(in) % 4);
	fstr(in, a.account, sizeof a.account);
	if (!a.account[0])
		a.account[0] = 'a';
	a.exchange = (enum rec_exchange)(fuzz_u8(in) & 1);
	fstr(in, a.symbol, sizeof a.symbol);
	a.position_side = (enum rec_side)(fuzz_u8(in) % 3);
	a.pidx = (enum rec_pos_idx)(fuzz_u8(in) % 3);
	a.order_side = (enum rec_oside)(fuzz_u8(in) % 3);
	a.qty = fdbl(in);
	a.close_position = fuzz_u8(in) & 1;
	a.trigger_price = fdbl(in);
	fstr(in, a.client_id, sizeof a.client_id);
	fstr(in, a.order_id, sizeof a.order_id);
	a.order_is_algo = fuzz_u8(in) & 1;
	fstr(in, a.finding_key, sizeof a.finding_key);
	fstr(in, a.reason, sizeof a.reason);
	a.outcome = (enum rec_outcome)(fuzz_u8(in) % 4);
	fstr(in, a.outcome_detail, sizeof a.outcome_detail);
	a.intent_ms = fi64(in);
	a.outcome_ms = fi64(in);

	char *line = db_spool_fmt_intent(&a);
	const char *type = NULL;
	json_object *o = parse_line(line, &type);
	FUZZ_CHECK(!strcmp(type, "intent"));
	FUZZ_CHECK(db_spool_get_intent(o, &b) == 0);
	FUZZ_CHECK(b.id == a.id && b.kind == a.kind && b.exchange == a.exchange);
	FUZZ_CHECK(!strcmp(b.account, a.account) && !strcmp(b.symbol, a.symbol));
	FUZZ_CHECK(b.position_side == a.position_side && b.pidx == a.pidx && b.order_side == a.order_side);
	if (!(b.qty == a.qty && b.trigger_price == a.trigger_price))
		fprintf(stderr, "qty %.17g -> %.17g, trigger %.17g -> %.17g\n", a.qty, b.qty, a.trigger_price,
			b.trigger_price);
	FUZZ_CHECK(b.qty == a.qty && b.trigger_price == a.trigger_price);
	FUZZ_CHECK(b.close_position == a.close_position && b.order_is_algo == a.order_is_algo);
	FUZZ_CHECK(!strcmp(b.client_id, a.client_id) && !strcmp(b.order_id, a.order_id));
	FUZZ_CHECK(!strcmp(b.finding_key, a.finding_key) && !strcmp(b.reason, a.reason));
	FUZZ_CHECK(b.outcome == a.outcome && !strcmp(b.outcome_detail, a.outcome_detail));
	FUZZ_CHECK(b.intent_ms == a.intent_ms && b.outcome_ms == a.outcome_ms);
	json_object_put(o);
	free(line);
}

static void roundtrip_alert(struct fuzz_in *in)
{
	struct alert_msg m, r;
	char body[1024];
	memset(&m, 0, sizeof m);
	m.id = fid64(in);
	fstr(in, m.channel, sizeof m.channel);
	if (!m.channel[0])
		m.channel[0] = 'c';
	fstr(in, m.key, sizeof m.key);
	m.severity = (enum rec_severity)(fuzz_u8(in) % 3);
	fstr(in, m.subject, sizeof m.subject);
	fstr(in, body, sizeof body);
	m.body = body;
	m.attempts = (int)(fuzz_u32(in) % 100000);
	m.created_ms = fi64(in);
	m.next_attempt_ms = fi64(in);
	m.delivered_ms = fi64(in);

	char *line = db_spool_fmt_alert(&m);
	const char *type = NULL;
	json_object *o = parse_line(line, &type);
	FUZZ_CHECK(!strcmp(type, "alert"));
	FUZZ_CHECK(db_spool_get_alert(o, &r) == 0);
	FUZZ_CHECK(r.id == m.id && r.severity == m.severity && r.attempts == m.attempts);
	FUZZ_CHECK(!strcmp(r.channel, m.channel) && !strcmp(r.key, m.key) && !strcmp(r.subject, m.subject));
	FUZZ_CHECK(r.body && !strcmp(r.body, m.body));
	FUZZ_CHECK(r.created_ms == m.created_ms && r.next_attempt_ms == m.next_attempt_ms &&
		   r.delivered_ms == m.delivered_ms);
	alert_msg_free(&r);
	json_object_put(o);
	free(line);
}

static void roundtrip_small(struct fuzz_in *in)
{
	char detail[300], why[300];
	int64_t id = fid64(in), ms = fi64(in), fid = fi64(in);
	fstr(in, detail, sizeof detail);
	fstr(in, why, sizeof why);
	const char *type = NULL;

	char *line = db_spool_fmt_outcome(id, (enum rec_outcome)(fuzz_u8(in) % 4), detail, why, ms);
	json_object *o = parse_line(line, &type);
	FUZZ_CHECK(o && !strcmp(type, "outcome"));
	FUZZ_CHECK(db_spool_get_i64(o, "id") == id && db_spool_get_i64(o, "ms") == ms);
	FUZZ_CHECK(!strcmp(db_spool_get_str(o, "order_id"), detail));
	FUZZ_CHECK(!strcmp(db_spool_get_str(o, "detail"), why));
	json_object_put(o);
	free(line);

	line = db_spool_fmt_failed(id, ms, why, fid);
	o = parse_line(line, &type);
	FUZZ_CHECK(o && !strcmp(type, "failed"));
	FUZZ_CHECK(db_spool_get_i64(o, "next_ms") == ms && db_spool_get_i64(o, "fid") == fid);
	FUZZ_CHECK(!strcmp(db_spool_get_str(o, "why"), why));
	json_object_put(o);
	free(line);

	line = db_spool_fmt_delivered(id, ms);
	o = parse_line(line, &type);
	FUZZ_CHECK(o && !strcmp(type, "delivered") && db_spool_get_i64(o, "id") == id);
	json_object_put(o);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	while (fuzz_more(&in)) {
		switch (fuzz_u8(&in) % 3) {
		case 0: roundtrip_intent(&in); break;
		case 1: roundtrip_alert(&in); break;
		default: roundtrip_small(&in); break;
		}
	}
	return 0;
}
