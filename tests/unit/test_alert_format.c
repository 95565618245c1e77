/* Alert texts: content, fix commands, redaction; Telegram escaping and
 * splitting under the 4096 limit. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "alerts/format.h"
#include "tests/support/testutil.h"
#include "base/log.h"
#include "base/xalloc.h"

static struct rec_finding mk(enum rec_code code, const char *sym)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "main");
	f.exchange = REC_EX_BYBIT;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	f.stream = (struct rec_view){ true, REC_SIDE_LONG, 43 };
	f.rest = (struct rec_view){ false, REC_SIDE_UNKNOWN, 0 };
	f.db = (struct rec_view){ true, REC_SIDE_LONG, 40 };
	f.pos_side = REC_SIDE_LONG;
	f.pos_size = 43;
	f.entry_price = 0.1234;
	f.repairable = true;
	f.first_seen_ms = 1767225600000LL;
	f.last_seen_ms = 1767225660000LL;
	return f;
}

static void test_alert_format_body_names_every_source_and_the_fix(void)
{
	struct rec_finding f = mk(REC_UNPROTECTED_POSITION, "AVLUSDT");
	snprintf(f.detail, sizeof f.detail, "no stop on the closing side");
	struct alert_fmt_ctx ctx = { .conf_path = "/etc/vigil/prod.conf",
				     .stop_percent = 1.5,
				     .action = "placed stop: rejected -2021" };
	char subj[ALERT_SUBJECT_MAX];
	alert_format_subject(&f, ALERT_FIRING, subj, sizeof subj);
	CU_ASSERT_STRING_EQUAL(subj, "[vigil] CRITICAL AVLUSDT UNPROTECTED_POSITION (main)");
	char *b = alert_format_body(&f, ALERT_FIRING, &ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "account: main (bybit)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "symbol: AVLUSDT"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "stream: LONG 43"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "REST: no position"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "bot DB: LONG 40"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "orders: stop qty 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "detail: no stop on the closing side"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "vigil did: placed stop: rejected -2021"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(b, "vigil repair -c /etc/vigil/prod.conf --account main sl AVLUSDT --percent 1.5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "vigil ack -c /etc/vigil/prod.conf main:bybit:AVLUSDT:UNPROTECTED_POSITION"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "first seen: 2026-01-01 00:00:00 UTC"));
	free(b);
	alert_format_subject(&f, ALERT_RESOLVED, subj, sizeof subj);
	CU_ASSERT_STRING_EQUAL(subj, "[vigil] RESOLVED AVLUSDT UNPROTECTED_POSITION (main)");
	b = alert_format_body(&f, ALERT_RESOLVED, &ctx);
	CU_ASSERT_PTR_NULL(strstr(b, "fix:"));
	/* what ended it, not the stale detail and source views */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(b, "what changed: a stop now covers the whole position, or the position is closed"));
	CU_ASSERT_PTR_NULL(strstr(b, "detail: "));
	CU_ASSERT_PTR_NULL(strstr(b, "stream: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "first seen: 2026-01-01 00:00:00 UTC"));
	free(b);
}

static void test_alert_format_fix_command_per_finding(void)
{
	struct alert_fmt_ctx ctx = { .conf_path = "/c.conf" };
	struct rec_finding f = mk(REC_ORPHAN_ORDER, "BASUSDT");
	snprintf(f.order_id, sizeof f.order_id, "1234567");
	char *fx = alert_format_fix(&f, &ctx);
	CU_ASSERT_STRING_EQUAL(fx, "vigil repair -c /c.conf --account main cancel 1234567");
	free(fx);
	f = mk(REC_ORPHAN_POSITION, "SKLUSDT");
	fx = alert_format_fix(&f, &ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(fx, "vigil repair -c /c.conf --account main close SKLUSDT"));
	free(fx);
	f = mk(REC_WRONG_SIDE_STOP, "KAVAUSDT");
	snprintf(f.order_id, sizeof f.order_id, "99");
	fx = alert_format_fix(&f, &ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(fx, "cancel 99\nvigil repair -c /c.conf --account main sl KAVAUSDT --percent 2"));
	free(fx);
	f = mk(REC_REST_GLITCH, "KAVAUSDT");
	CU_ASSERT_PTR_NULL(alert_format_fix(&f, &ctx));
}

static void test_alert_format_never_shows_a_secret(void)
{
	log_secret_add("tok-123456:SECRETSECRET");
	struct rec_finding f = mk(REC_REPAIR_FAILED, "BTCUSDT");
	snprintf(f.detail, sizeof f.detail, "POST https://x/bottok-123456:SECRETSECRET/send failed");
	struct alert_fmt_ctx ctx = { .action = "retry with key tok-123456:SECRETSECRET" };
	char *b = alert_format_body(&f, ALERT_FIRING, &ctx);
	CU_ASSERT_PTR_NULL(strstr(b, "SECRETSECRET"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "[redacted]"));
	free(b);
	char *h = alert_format_health_body("db_unreachable", REC_SEV_CRITICAL, ALERT_FIRING,
					   "password tok-123456:SECRETSECRET refused", NULL);
	CU_ASSERT_PTR_NULL(strstr(h, "SECRETSECRET"));
	free(h);
	log_secret_clear();
}

static void test_alert_tg_escape_keeps_underscore_and_star(void)
{
	char *e = alert_tg_escape("A<B & C>D_E*F &amp;");
	CU_ASSERT_STRING_EQUAL(e, "A&lt;B &amp; C&gt;D_E*F &amp;amp;");
	free(e);
}

/* Undoes alert_tg_escape for checking. */
static void unescape(char *s)
{
	char *w = s;
	while (*s) {
		if (!strncmp(s, "&amp;", 5)) {
			*w++ = '&';
			s += 5;
		} else if (!strncmp(s, "&lt;", 4)) {
			*w++ = '<';
			s += 4;
		} else if (!strncmp(s, "&gt;", 4)) {
			*w++ = '>';
			s += 4;
		} else
			*w++ = *s++;
	}
	*w = '\0';
}

static void test_alert_tg_split_long_text_under_limit_and_lossless(void)
{
	size_t cap = 20000, n = 0;
	char *body = xmalloc(cap);
	body[0] = '\0';
	for (int i = 0; n < 11000; i++)
		n += (size_t)sprintf(body + n, "line %d: size<5 & price>3 _x_ *y* \xc3\xa9\xe2\x82\xac\n", i);
	char **parts;
	size_t np;
	alert_tg_build("[vigil] CRITICAL A<B", body, ALERT_TG_LIMIT, &parts, &np);
	CU_ASSERT(np >= 3);
	char *joined = xcalloc(1, cap * 2);
	for (size_t i = 0; i < np; i++) {
		CU_ASSERT(strlen(parts[i]) <= ALERT_TG_LIMIT);
		char pre[48];
		snprintf(pre, sizeof pre, "(%zu/%zu) ", i + 1, np);
		CU_ASSERT_EQUAL(strncmp(parts[i], pre, strlen(pre)), 0);
		char *t = parts[i] + strlen(pre);
		if (i == 0) {
			const char *h = "<b>[vigil] CRITICAL A&lt;B</b>\n\n";
			CU_ASSERT_EQUAL(strncmp(t, h, strlen(h)), 0);
			t += strlen(h);
		}
		/* parts end on a line boundary, never inside an entity */
		CU_ASSERT_EQUAL(t[strlen(t) - 1], '\n');
		unescape(t);
		strcat(joined, t);
	}
	CU_ASSERT_STRING_EQUAL(joined, body);
	alert_tg_parts_free(parts, np);
	free(joined);
	free(body);
}

static void test_alert_tg_split_without_newlines_keeps_entities_and_utf8_whole(void)
{
	size_t n = 9000;
	char *body = xmalloc(n + 1);
	for (size_t i = 0; i < n; i += 3)
		memcpy(body + i, i % 2 ? "&\xc3\xa9" : "<_*", 3);
	body[n] = '\0';
	char **parts;
	size_t np;
	alert_tg_build("s", body, 1000, &parts, &np);
	CU_ASSERT(np > 9);
	size_t total = 0;
	for (size_t i = 0; i < np; i++) {
		CU_ASSERT(strlen(parts[i]) <= 1000);
		char *t = strchr(parts[i], ' ') + 1;
		if (i == 0)
			t = strstr(t, "</b>\n\n") + 6;
		size_t l = strlen(t);
		/* last char is not a lead byte or a cut entity */
		CU_ASSERT((unsigned char)t[l - 1] != 0xc3);
		CU_ASSERT(t[l - 1] == ';' || t[l - 1] == '_' || t[l - 1] == '*' || (unsigned char)t[l - 1] == 0xa9);
		unescape(t);
		total += strlen(t);
	}
	CU_ASSERT_EQUAL(total, n);
	alert_tg_parts_free(parts, np);
	free(body);
}

static void test_alert_tg_short_message_is_one_part_without_number(void)
{
	char **parts;
	size_t np;
	alert_tg_build("subj", "body", ALERT_TG_LIMIT, &parts, &np);
	CU_ASSERT_EQUAL(np, 1);
	CU_ASSERT_STRING_EQUAL(parts[0], "<b>subj</b>\n\nbody");
	alert_tg_parts_free(parts, np);
}

static void test_alert_url_loopback_detection(void)
{
	CU_ASSERT(alert_url_is_loopback("smtp://127.0.0.1:2525"));
	CU_ASSERT(alert_url_is_loopback("smtp://localhost"));
	CU_ASSERT(alert_url_is_loopback("smtp://[::1]:25"));
	CU_ASSERT(alert_url_is_loopback("smtp://u:p@127.0.0.2/"));
	CU_ASSERT_FALSE(alert_url_is_loopback("smtp://mail.example.com:587"));
	CU_ASSERT_FALSE(alert_url_is_loopback("smtp://127.0.0.1.evil.com"));
}

static void test_alert_smtp_refuses_plain_smtp_to_a_remote_host(void)
{
	struct alert_smtp_params p = {
		.url = "smtp://mail.example.com:587",
		.from = "vigil <vigil@example.com>",
		.to = "ops@example.com",
	};
	char err[256] = "";
	p.require_starttls = false;
	CU_ASSERT_PTR_NULL(alert_ch_smtp_new(&p, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "loopback"));
	p.require_starttls = true;
	struct alert_channel *ch = alert_ch_smtp_new(&p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL(ch);
	if (ch)
		ch->destroy(ch);
}

/* The header block of a built mail: every line up to the blank one. */
static bool has_header_line(const char *mail, const char *line)
{
	const char *end = strstr(mail, "\r\n\r\n");
	size_t n = strlen(line);
	for (const char *p = mail; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\r' || p[n] == '\0'))
			return true;
	return false;
}

static bool header_starts(const char *mail, const char *name)
{
	const char *end = strstr(mail, "\r\n\r\n");
	size_t n = strlen(name);
	for (const char *p = mail; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (!strncmp(p, name, n))
			return true;
	return false;
}

static char *mail_for(struct alert_channel *ch, const struct rec_finding *f, enum alert_kind k, int64_t id)
{
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = id;
	snprintf(m.key, sizeof m.key, "%s", f->key);
	m.severity = f->severity;
	alert_format_subject(f, k, m.subject, sizeof m.subject);
	m.body = alert_format_body(f, k, NULL);
	char *mail = alert_smtp_format(ch, &m, 1767225700000LL);
	free(m.body);
	return mail;
}

static void test_alert_smtp_threads_one_finding_and_headers_are_clean(void)
{
	struct alert_smtp_params p = { .url = "smtp://127.0.0.1:2525",
				       .from = "vigil <vigil@example.test>",
				       .to = "ops@example.test" };
	char err[200];
	struct alert_channel *ch = alert_ch_smtp_new(&p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	struct rec_finding f = mk(REC_ORPHAN_ORDER, "BTCUSDT");
	char *fire = mail_for(ch, &f, ALERT_FIRING, 11);
	char *fire_again = mail_for(ch, &f, ALERT_FIRING, 12); /* re-sent, other outbox id */
	char *rep = mail_for(ch, &f, ALERT_REPEAT, 13);
	char *res = mail_for(ch, &f, ALERT_RESOLVED, 14);
	const char *id = strstr(fire, "Message-ID: <vigil.f.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	char first[200];
	snprintf(first, sizeof first, "%.*s", (int)strcspn(id + 12, "\r"), id + 12);
	CU_ASSERT_PTR_NOT_NULL(strstr(first, ".1767225600@example.test>"));
	/* stable: the FIRING id depends on the key and first-seen time only */
	CU_ASSERT_PTR_NOT_NULL(strstr(fire_again, first));
	CU_ASSERT_FALSE(header_starts(fire, "In-Reply-To:"));
	CU_ASSERT_FALSE(header_starts(fire, "References:"));
	char want[300];
	const char *later[2] = { rep, res };
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof want, "In-Reply-To: %s", first);
		CU_ASSERT_TRUE(has_header_line(later[i], want));
		snprintf(want, sizeof want, "References: %s", first);
		CU_ASSERT_TRUE(has_header_line(later[i], want));
		snprintf(want, sizeof want, "Message-ID: %s", first);
		CU_ASSERT_FALSE(has_header_line(later[i], want)); /* its own id */
		CU_ASSERT_TRUE(header_starts(later[i], "Message-ID: <vigil.f."));
	}
	const char *all[4] = { fire, fire_again, rep, res };
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(has_header_line(all[i], "Auto-Submitted: auto-generated"));
	free(fire);
	free(fire_again);
	free(rep);
	free(res);

	/* exchange-supplied text with CR/LF never starts a header line */
	struct rec_finding bad = mk(REC_ORPHAN_ORDER, "EVIL\r\nBcc: x@evil.test\nX-A: 1");
	char *m = mail_for(ch, &bad, ALERT_REPEAT, 15);
	CU_ASSERT_FALSE(header_starts(m, "Bcc:"));
	CU_ASSERT_FALSE(header_starts(m, "X-A:"));
	CU_ASSERT_TRUE(header_starts(m, "X-Vigil-Key: main:bybit:EVIL  Bcc: x@evil.test X-A: 1:ORPHAN_ORDER"));
	CU_ASSERT_TRUE(header_starts(m, "In-Reply-To: <vigil.f."));
	free(m);

	/* a message without a first-seen time: the outbox id, unthreaded */
	struct alert_msg plain;
	memset(&plain, 0, sizeof plain);
	plain.id = 99;
	snprintf(plain.key, sizeof plain.key, "main:bybit:BTCUSDT:ORPHAN_ORDER");
	snprintf(plain.subject, sizeof plain.subject, "[vigil] WARNING (repeat) BTCUSDT ORPHAN_ORDER (main)");
	plain.body = (char *)"key: main:bybit:BTCUSDT:ORPHAN_ORDER";
	m = alert_smtp_format(ch, &plain, 1767225700000LL);
	CU_ASSERT_TRUE(has_header_line(m, "Message-ID: <vigil.outbox.99@example.test>"));
	CU_ASSERT_FALSE(header_starts(m, "In-Reply-To:"));
	CU_ASSERT_TRUE(has_header_line(m, "Auto-Submitted: auto-generated"));
	free(m);
	ch->destroy(ch);
}

static const char *jget(json_object *o, const char *path)
{
	char buf[200];
	snprintf(buf, sizeof buf, "%s", path);
	json_object *v = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, 0);
		if (!v || !json_object_object_get_ex(v, k, &v))
			return NULL;
	}
	return v ? json_object_get_string(v) : NULL;
}

static void test_alert_webhook_body_is_alertmanager_v4(void)
{
	struct rec_finding f = mk(REC_UNDERSIZED_STOP, "ETHUSDT");
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = 5;
	m.created_ms = 1767229200000LL;
	snprintf(m.key, sizeof m.key, "%.180s:LONG", f.key);
	m.severity = f.severity;
	alert_format_subject(&f, ALERT_FIRING, m.subject, sizeof m.subject);
	m.body = alert_format_body(&f, ALERT_FIRING, NULL);
	char *b = alert_webhook_body(&m, 1767229200000LL);
	json_object *o = json_tokener_parse(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(jget(o, "version"), "4");
	CU_ASSERT_STRING_EQUAL(jget(o, "status"), "firing");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.status"), "firing");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.alertname"), "UNDERSIZED_STOP");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.account"), "main");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.exchange"), "bybit");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.symbol"), "ETHUSDT");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.severity"), "critical");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.labels.qualifier"), "LONG");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.annotations.summary"), m.subject);
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.annotations.description"), m.body);
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.startsAt"), "2026-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.endsAt"), "0001-01-01T00:00:00Z");
	CU_ASSERT_EQUAL(strlen(jget(o, "alerts.fingerprint")), 16);
	char fp[17];
	snprintf(fp, sizeof fp, "%s", jget(o, "alerts.fingerprint"));
	json_object_put(o);
	free(b);
	free(m.body);
	alert_format_subject(&f, ALERT_RESOLVED, m.subject, sizeof m.subject);
	m.body = alert_format_body(&f, ALERT_RESOLVED, NULL);
	b = alert_webhook_body(&m, 1767229200000LL);
	o = json_tokener_parse(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(jget(o, "status"), "resolved");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.status"), "resolved");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.endsAt"), "2026-01-01T01:00:00Z");
	CU_ASSERT_STRING_EQUAL(jget(o, "alerts.fingerprint"), fp);
	json_object_put(o);
	free(b);
	free(m.body);
	/* RFC 4231 test case 2 */
	char h[65];
	alert_hmac_sha256_hex("Jefe", "what do ya want for nothing?", 28, h);
	CU_ASSERT_STRING_EQUAL(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

void test_alert_format_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_alert_format_body_names_every_source_and_the_fix",
		  test_alert_format_body_names_every_source_and_the_fix },
		{ "test_alert_format_fix_command_per_finding", test_alert_format_fix_command_per_finding },
		{ "test_alert_format_never_shows_a_secret", test_alert_format_never_shows_a_secret },
		{ "test_alert_tg_escape_keeps_underscore_and_star", test_alert_tg_escape_keeps_underscore_and_star },
		{ "test_alert_tg_split_long_text_under_limit_and_lossless",
		  test_alert_tg_split_long_text_under_limit_and_lossless },
		{ "test_alert_tg_split_without_newlines_keeps_entities_and_utf8_whole",
		  test_alert_tg_split_without_newlines_keeps_entities_and_utf8_whole },
		{ "test_alert_tg_short_message_is_one_part_without_number",
		  test_alert_tg_short_message_is_one_part_without_number },
		{ "test_alert_url_loopback_detection", test_alert_url_loopback_detection },
		{ "test_alert_smtp_refuses_plain_smtp_to_a_remote_host",
		  test_alert_smtp_refuses_plain_smtp_to_a_remote_host },
		{ "test_alert_smtp_threads_one_finding_and_headers_are_clean",
		  test_alert_smtp_threads_one_finding_and_headers_are_clean },
		{ "test_alert_webhook_body_is_alertmanager_v4", test_alert_webhook_body_is_alertmanager_v4 },
		{ NULL, NULL },
	};
	tu_add_suite("alert_format", tests);
}
