/* Alert texts: content, fix commands, redaction; Telegram escaping and
 * splitting under the 4096 limit. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		{ NULL, NULL },
	};
	tu_add_suite("alert_format", tests);
}
