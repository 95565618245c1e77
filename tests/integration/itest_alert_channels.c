/* Alerts end to end against a local fake Telegram Bot API
 * (tests/support/fake_telegram.py) and an aiosmtpd Maildir sink
 * (tests/support/smtp_sink.py): router -> in-memory outbox -> notifier
 * thread -> channels over libcurl. Real time, short intervals. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts/channel.h"
#include "alerts/format.h"
#include "alerts/notifier.h"
#include "alerts/outbox_mem.h"
#include "alerts/router.h"
#include "tests/support/testutil.h"
#include "base/log.h"
#include "base/xalloc.h"

#define TOKEN "424242:AAtestTokenNeverInLogs"
#define PY "/usr/bin/python3"

struct env {
	char dir[256];
	char tglog[300];
	char maildir[300];
	pid_t tg_pid, smtp_pid;
	int tg_port, smtp_port;
	char tg_url[64], smtp_url[64];
	struct alert_channel_params cp;
	struct alert_channel **chs;
	size_t nchs;
	struct alert_outbox *ob;
	struct alert_notifier *nt;
	struct alert_router *r;
};

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static pid_t start_smtp(struct env *e, int port)
{
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	char *argv[] = { PY, "tests/support/smtp_sink.py", "--maildir", e->maildir, "--port", ps, NULL };
	return tu_spawn_server(argv, &e->smtp_port, 8000);
}

static int env_start(struct env *e, int64_t repeat_ms)
{
	memset(e, 0, sizeof *e);
	const char *tmp = getenv("VIGIL_TMP");
	snprintf(e->dir, sizeof e->dir, "%s/alertXXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->tglog, sizeof e->tglog, "%s/tg.jsonl", e->dir);
	snprintf(e->maildir, sizeof e->maildir, "%s/mail", e->dir);
	char *tg[] = { PY, "tests/support/fake_telegram.py", "--port", "0", "--log", e->tglog, "--token", TOKEN, NULL };
	e->tg_pid = tu_spawn_server(tg, &e->tg_port, 8000);
	e->smtp_pid = start_smtp(e, 0);
	if (e->tg_pid <= 0 || e->smtp_pid <= 0 || !e->tg_port || !e->smtp_port)
		return -1;
	snprintf(e->tg_url, sizeof e->tg_url, "http://127.0.0.1:%d/", e->tg_port);
	snprintf(e->smtp_url, sizeof e->smtp_url, "smtp://127.0.0.1:%d", e->smtp_port);
	struct alert_channel_params *c = &e->cp;
	c->tg_enabled = true;
	c->tg.api_url = e->tg_url;
	c->tg.token = TOKEN;
	c->tg.chat_ids = "-100123456";
	c->tg.min_severity = REC_SEV_WARNING;
	c->smtp_enabled = true;
	c->smtp.url = e->smtp_url;
	c->smtp.from = "vigil <vigil@example.test>";
	c->smtp.to = "ops@example.test, oncall@example.test";
	c->smtp.require_starttls = false; /* the sink is plain, and loopback */
	c->smtp.min_severity = REC_SEV_CRITICAL;
	char err[256];
	if (alert_channels_new(c, &e->chs, &e->nchs, err, sizeof err) != 0) {
		fprintf(stderr, "channels: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < e->nchs; i++)
		e->chs[i]->timeout_ms = 3000;
	e->ob = alert_outbox_mem_new();
	struct alert_notifier_conf nc = { .poll_ms = 20, .backoff_base_ms = 100, .backoff_max_ms = 400 };
	e->nt = alert_notifier_new(e->ob, e->chs, e->nchs, &nc);
	struct alert_router_conf rc = { .repeat_interval_ms = repeat_ms };
	snprintf(rc.conf_path, sizeof rc.conf_path, "/etc/vigil/itest.conf");
	e->r = alert_router_for_channels(&rc, e->chs, e->nchs, e->ob);
	alert_router_set_wakeup(e->r, alert_notifier_kick, e->nt);
	return alert_notifier_start(e->nt);
}

static void env_stop(struct env *e)
{
	if (e->nt) {
		alert_notifier_stop(e->nt, 0);
		alert_notifier_free(e->nt);
	}
	alert_router_free(e->r);
	if (e->ob)
		e->ob->ops->destroy(e->ob);
	alert_channels_free(e->chs, e->nchs);
	if (e->tg_pid > 0)
		tu_stop_server(e->tg_pid);
	if (e->smtp_pid > 0)
		tu_stop_server(e->smtp_pid);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	if (!getenv("VIGIL_KEEP_TMP") && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", e->dir);
}

static int wait_flushed(struct env *e, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (e->ob->ops->pending(e->ob, "") == 0)
			return 0;
		msleep(10);
	}
	return -1;
}

/* Requests in the fake's log with this status whose text holds sub. */
static int tg_count(struct env *e, int status, const char *sub)
{
	FILE *f = fopen(e->tglog, "r");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *v, *b, *t;
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "status", &v) && json_object_get_int(v) == status &&
		    json_object_object_get_ex(o, "body", &b) && json_object_object_get_ex(b, "text", &t) &&
		    (!sub || strstr(json_object_get_string(t), sub)))
			n++;
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return n;
}

/* Every text the fake accepted, in order, joined with "\n----\n". */
static char *tg_texts(struct env *e, double *first_ts, double *last_ts, int *n429)
{
	FILE *f = fopen(e->tglog, "r");
	char *out = xstrdup("");
	if (!f)
		return out;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *v, *b, *t, *ts;
		if (!o)
			continue;
		json_object_object_get_ex(o, "status", &v);
		json_object_object_get_ex(o, "ts", &ts);
		int st = json_object_get_int(v);
		if (st == 429 && n429) {
			(*n429)++;
			if (first_ts && *first_ts == 0)
				*first_ts = json_object_get_double(ts);
		}
		if (st == 200 && json_object_object_get_ex(o, "body", &b) && json_object_object_get_ex(b, "text", &t)) {
			if (last_ts)
				*last_ts = json_object_get_double(ts);
			char *n = xasprintf("%s%s\n----\n", out, json_object_get_string(t));
			free(out);
			out = n;
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return out;
}

static int mail_count(struct env *e, const char *sub)
{
	char d[400];
	snprintf(d, sizeof d, "%s/new", e->maildir);
	DIR *dir = opendir(d);
	if (!dir)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char p[800];
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		char *txt = tu_read_file(p, NULL);
		if (txt && (!sub || strstr(txt, sub)))
			n++;
		free(txt);
	}
	closedir(dir);
	return n;
}

static char *mail_first(struct env *e)
{
	char d[400];
	snprintf(d, sizeof d, "%s/new", e->maildir);
	DIR *dir = opendir(d);
	char *txt = NULL;
	struct dirent *de;
	while (dir && (de = readdir(dir)) && !txt) {
		if (de->d_name[0] == '.')
			continue;
		char p[800];
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		txt = tu_read_file(p, NULL);
	}
	if (dir)
		closedir(dir);
	return txt;
}

static struct rec_finding mk(const char *sym, enum rec_code code)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "main");
	f.exchange = REC_EX_BINANCE;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	f.stream = f.rest = (struct rec_view){ true, REC_SIDE_SHORT, 12 };
	f.pos_side = REC_SIDE_SHORT;
	f.pos_size = 12;
	f.repairable = true;
	return f;
}

static void itest_alert_critical_one_telegram_one_email_repeat_and_resolved(void)
{
	struct env e;
	if (env_start(&e, 1500) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	struct rec_finding f = mk("BTCUSDT", REC_UNPROTECTED_POSITION);
	int64_t t0 = alert_now_ms();
	CU_ASSERT_EQUAL(alert_router_update(e.r, "main", &f, 1, NULL, t0), 3);
	CU_ASSERT_EQUAL(wait_flushed(&e, 8000), 0);
	CU_ASSERT_EQUAL(tg_count(&e, 200, NULL), 1);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "<b>[vigil] CRITICAL BTCUSDT UNPROTECTED_POSITION (main)</b>"), 1);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 1);
	char *m = mail_first(&e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "Subject: [vigil] CRITICAL BTCUSDT UNPROTECTED_POSITION (main)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "From: vigil <vigil@example.test>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "To: ops@example.test, oncall@example.test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "Date: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "Message-ID: <vigil."));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(m, "vigil repair -c /etc/vigil/itest.conf --account main sl BTCUSDT --percent 2"));
	free(m);
	/* still open, inside the interval: nothing new */
	msleep(300);
	CU_ASSERT_EQUAL(alert_router_update(e.r, "main", &f, 1, NULL, alert_now_ms()), 0);
	msleep(200);
	CU_ASSERT_EQUAL(tg_count(&e, 200, NULL), 1);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 1);
	/* after the interval: one repeat each */
	while (alert_now_ms() < t0 + 1600)
		msleep(20);
	CU_ASSERT_EQUAL(alert_router_update(e.r, "main", &f, 1, NULL, alert_now_ms()), 3);
	CU_ASSERT_EQUAL(wait_flushed(&e, 8000), 0);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "(repeat)"), 1);
	CU_ASSERT_EQUAL(mail_count(&e, "Subject: [vigil] CRITICAL (repeat) BTCUSDT"), 1);
	/* cleared: RESOLVED on both */
	CU_ASSERT_EQUAL(alert_router_update(e.r, "main", NULL, 0, NULL, alert_now_ms()), 3);
	CU_ASSERT_EQUAL(wait_flushed(&e, 8000), 0);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "RESOLVED BTCUSDT UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(mail_count(&e, "Subject: [vigil] RESOLVED BTCUSDT"), 1);
	CU_ASSERT_EQUAL(tg_count(&e, 200, NULL), 3);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 3);
	env_stop(&e);
}

static void itest_alert_channels_down_get_every_queued_message_once(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	/* mail server gone, Telegram answering 500 for a while */
	int port = e.smtp_port;
	tu_stop_server(e.smtp_pid);
	e.smtp_pid = 0;
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "curl -s -o /dev/null -X POST -d '{\"fail\":6,\"status\":500}' http://127.0.0.1:%d/control",
		 e.tg_port);
	CU_ASSERT_EQUAL(system(cmd), 0);
	const char *syms[3] = { "AUSDT", "BUSDT", "CUSDT" };
	for (int i = 0; i < 3; i++) {
		struct rec_finding f[3];
		for (int k = 0; k <= i; k++)
			f[k] = mk(syms[k], REC_ORPHAN_POSITION);
		alert_router_update(e.r, "main", f, (size_t)i + 1, NULL, alert_now_ms());
	}
	msleep(1200);
	CU_ASSERT(e.ob->ops->pending(e.ob, "smtp") == 3);
	CU_ASSERT(tg_count(&e, 500, NULL) >= 2);
	e.smtp_pid = start_smtp(&e, port);
	CU_ASSERT_FATAL(e.smtp_pid > 0);
	CU_ASSERT_EQUAL(wait_flushed(&e, 10000), 0);
	CU_ASSERT_EQUAL(tg_count(&e, 200, NULL), 3);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 3);
	for (int i = 0; i < 3; i++) {
		char s[64];
		snprintf(s, sizeof s, "CRITICAL %s ORPHAN_POSITION", syms[i]);
		CU_ASSERT_EQUAL(tg_count(&e, 200, s), 1);
		CU_ASSERT_EQUAL(mail_count(&e, s), 1);
	}
	/* in order */
	char *all = tg_texts(&e, NULL, NULL, NULL);
	char *a = strstr(all, "AUSDT"), *b = strstr(all, "BUSDT"), *c = strstr(all, "CUSDT");
	CU_ASSERT(a && b && c && a < b && b < c);
	free(all);
	env_stop(&e);
}

static void itest_alert_telegram_429_retry_after_is_honoured(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "curl -s -o /dev/null -X POST -d '{\"fail\":1,\"status\":429,\"retry_after\":1}' "
		 "http://127.0.0.1:%d/control",
		 e.tg_port);
	CU_ASSERT_EQUAL(system(cmd), 0);
	CU_ASSERT_EQUAL(
		alert_router_health_set(e.r, "stream_down:main", REC_SEV_WARNING, "stream closed", alert_now_ms()), 2);
	CU_ASSERT_EQUAL(wait_flushed(&e, 8000), 0);
	double t429 = 0, t200 = 0;
	int n429 = 0;
	char *all = tg_texts(&e, &t429, &t200, &n429);
	CU_ASSERT_EQUAL(n429, 1);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "WARNING vigil stream_down:main"), 1);
	CU_ASSERT(t200 - t429 >= 0.95); /* backoff alone would retry after ~0.1 s */
	free(all);
	env_stop(&e);
}

static void itest_alert_escaping_survives_and_long_text_is_split(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	struct rec_finding f = mk("X<&_*Y", REC_WRONG_SIDE_STOP);
	snprintf(f.detail, sizeof f.detail, "stop BUY < mark & qty_total *2* > size; <b>not a tag</b> &amp;");
	char *act = xmalloc(9000);
	size_t n = 0;
	for (int i = 0; n < 8500; i++)
		n += (size_t)sprintf(act + n, "step %d: cancel <id_%d> & retry *now*\n", i, i);
	const char *acts[1] = { act };
	alert_router_update(e.r, "main", &f, 1, acts, alert_now_ms());
	CU_ASSERT_EQUAL(wait_flushed(&e, 8000), 0);
	CU_ASSERT_EQUAL(tg_count(&e, 400, NULL), 0); /* the fake rejects broken HTML */
	int parts = tg_count(&e, 200, NULL);
	CU_ASSERT(parts >= 3);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "(1/"), 1);
	CU_ASSERT_EQUAL(tg_count(&e, 200, "<b>[vigil] CRITICAL X&lt;&amp;_*Y WRONG_SIDE_STOP (main)</b>"), 1);
	CU_ASSERT_EQUAL(
		tg_count(&e, 200,
			 "stop BUY &lt; mark &amp; qty_total *2* &gt; size; &lt;b&gt;not a tag&lt;/b&gt; &amp;amp;"),
		1);
	char *all = tg_texts(&e, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "step 0: cancel &lt;id_0&gt; &amp; retry *now*"));
	/* every step made it across the parts */
	char last[64];
	int steps = 0;
	for (int i = 0;; i++) {
		snprintf(last, sizeof last, "step %d: cancel &lt;id_%d&gt;", i, i);
		if (!strstr(all, last))
			break;
		steps++;
	}
	CU_ASSERT(steps > 200);
	free(all);
	CU_ASSERT_EQUAL(mail_count(&e, "Subject: [vigil] CRITICAL X<&_*Y WRONG_SIDE_STOP (main)"), 1);
	CU_ASSERT_EQUAL(mail_count(&e, "stop BUY < mark & qty_total *2* > size"), 1);
	free(act);
	env_stop(&e);
}

static void itest_alert_telegram_errors_never_show_the_token(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	struct alert_channel *tg = alert_channel_find(e.chs, e.nchs, "telegram");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tg);
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = 1;
	snprintf(m.subject, sizeof m.subject, "s");
	m.body = (char *)"b";
	struct alert_send_status st;
	/* wrong token: 401 */
	struct alert_tg_params c = e.cp.tg;
	c.token = "999:WrongTokenValue";
	char err[256];
	struct alert_channel *bad = alert_ch_telegram_new(&c, err, sizeof err);
	CU_ASSERT_EQUAL(bad->send(bad, &m, &st), ALERT_SEND_RETRY);
	CU_ASSERT_EQUAL(st.http_code, 401);
	CU_ASSERT_PTR_NULL(strstr(st.err, "WrongTokenValue"));
	bad->destroy(bad);
	/* nothing listening: transport error */
	c.api_url = "http://127.0.0.1:1";
	c.token = e.cp.tg.token;
	bad = alert_ch_telegram_new(&c, err, sizeof err);
	CU_ASSERT_EQUAL(bad->send(bad, &m, &st), ALERT_SEND_RETRY);
	CU_ASSERT(st.err[0] != '\0');
	CU_ASSERT_PTR_NULL(strstr(st.err, "AAtestToken"));
	CU_ASSERT_PTR_NULL(strstr(st.err, "127.0.0.1:1/bot"));
	/* the notifier's log lines about it neither */
	char *buf = NULL;
	size_t len = 0;
	FILE *lf = open_memstream(&buf, &len);
	log_set_stream(lf);
	int old = log_verbosity;
	log_set_level(LOG_LVL_DEBUG);
	struct alert_outbox *ob = alert_outbox_mem_new();
	struct alert_notifier *nt = alert_notifier_new(ob, &bad, 1, NULL);
	struct alert_msg q = m;
	snprintf(q.channel, sizeof q.channel, "telegram");
	ob->ops->enqueue(ob, &q);
	alert_notifier_step(nt, alert_now_ms());
	alert_notifier_free(nt);
	ob->ops->destroy(ob);
	log_set_stream(NULL);
	log_verbosity = old;
	fclose(lf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "send failed channel=telegram"));
	CU_ASSERT_PTR_NULL(strstr(buf, "AAtestToken"));
	free(buf);
	bad->destroy(bad);
	env_stop(&e);
}

/* The webhook body is Alertmanager's (version 4): status, labels,
 * annotations, startsAt/endsAt; X-Vigil-Signature is the HMAC-SHA256 of
 * the exact body under the configured secret (checked here with OpenSSL
 * directly). */
static json_object *hook_last(struct env *e, int status)
{
	FILE *f = fopen(e->tglog, "r");
	json_object *last = NULL;
	if (!f)
		return NULL;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *v, *p;
		if (o && json_object_object_get_ex(o, "status", &v) && json_object_get_int(v) == status &&
		    json_object_object_get_ex(o, "path", &p) && !strncmp(json_object_get_string(p), "/hook", 5)) {
			json_object_put(last);
			last = o;
		} else {
			json_object_put(o);
		}
	}
	free(line);
	fclose(f);
	return last;
}

static const char *jpath(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *v = o;
	const char *k[3] = { a, b, c };
	for (int i = 0; i < 3 && k[i] && v; i++) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, 0);
		if (!v || !json_object_object_get_ex(v, k[i], &v))
			return NULL;
	}
	return v ? json_object_get_string(v) : NULL;
}

static void check_signature(json_object *rec, const char *secret)
{
	json_object *raw, *sig;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(rec, "raw", &raw));
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(rec, "signature", &sig));
	const char *body = json_object_get_string(raw);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md, &ml);
	char want[80] = "sha256=";
	for (unsigned i = 0; i < ml; i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
	CU_ASSERT_EQUAL(ml, 32);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(sig), want);
}

static void itest_alert_webhook_posts_json_and_honours_retry_after(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", e.tg_port);
	const char *secret = "whsec-itest-0123456789";
	struct alert_webhook_params c = { .url = url, .min_severity = REC_SEV_WARNING, .secret = secret };
	char err[256];
	struct alert_channel *wh = alert_ch_webhook_new(&c, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wh);
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = 7;
	m.severity = REC_SEV_CRITICAL;
	m.created_ms = 1767225700000LL;
	snprintf(m.key, sizeof m.key, "main:binance:BTCUSDT:ORPHAN_POSITION");
	snprintf(m.subject, sizeof m.subject, "[vigil] CRITICAL BTCUSDT ORPHAN_POSITION (main) <x> & \"y\"");
	m.body = (char *)"line1\nline2 <&>\nfirst seen: 2026-01-01 00:00:00 UTC, last seen: ?\n";
	struct alert_send_status st;
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "curl -s -o /dev/null -X POST -d '{\"fail\":1,\"status\":429,\"retry_after\":3}' "
		 "http://127.0.0.1:%d/control",
		 e.tg_port);
	CU_ASSERT_EQUAL(system(cmd), 0);
	CU_ASSERT_EQUAL(wh->send(wh, &m, &st), ALERT_SEND_RETRY);
	CU_ASSERT_EQUAL(st.http_code, 429);
	CU_ASSERT_EQUAL(st.retry_after_ms, 3000);
	CU_ASSERT_EQUAL(wh->send(wh, &m, &st), ALERT_SEND_OK);
	json_object *rec = hook_last(&e, 200), *b;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(rec, "body", &b));
	CU_ASSERT_STRING_EQUAL(jpath(b, "version", NULL, NULL), "4");
	CU_ASSERT_STRING_EQUAL(jpath(b, "status", NULL, NULL), "firing");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "status", NULL), "firing");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "labels", "alertname"), "ORPHAN_POSITION");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "labels", "account"), "main");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "labels", "exchange"), "binance");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "labels", "symbol"), "BTCUSDT");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "labels", "severity"), "critical");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "annotations", "summary"),
			       "[vigil] CRITICAL BTCUSDT ORPHAN_POSITION (main) <x> & \"y\"");
	CU_ASSERT_PTR_NOT_NULL(strstr(jpath(b, "alerts", "annotations", "description"), "line1\nline2 <&>"));
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "startsAt", NULL), "2026-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "endsAt", NULL), "0001-01-01T00:00:00Z");
	CU_ASSERT_EQUAL(strlen(jpath(b, "alerts", "fingerprint", NULL)), 16);
	check_signature(rec, secret);
	json_object_put(rec);
	/* RESOLVED: status resolved, endsAt set, same fingerprint */
	snprintf(m.subject, sizeof m.subject, "[vigil] RESOLVED BTCUSDT ORPHAN_POSITION (main)");
	m.id = 8;
	CU_ASSERT_EQUAL(wh->send(wh, &m, &st), ALERT_SEND_OK);
	rec = hook_last(&e, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(rec, "body", &b));
	CU_ASSERT_STRING_EQUAL(jpath(b, "status", NULL, NULL), "resolved");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "status", NULL), "resolved");
	CU_ASSERT_STRING_EQUAL(jpath(b, "alerts", "endsAt", NULL), "2026-01-01T00:01:40Z");
	check_signature(rec, secret);
	json_object_put(rec);
	wh->destroy(wh);
	/* no secret: no signature header */
	c.secret = NULL;
	wh = alert_ch_webhook_new(&c, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wh);
	CU_ASSERT_EQUAL(wh->send(wh, &m, &st), ALERT_SEND_OK);
	rec = hook_last(&e, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_STRING_EQUAL(jpath(rec, "signature", NULL, NULL), "");
	json_object_put(rec);
	wh->destroy(wh);
	env_stop(&e);
}

/* FIRING, repeat and RESOLVED of one finding thread in the mailbox: the
 * first Message-ID comes from the key and first-seen time, the later
 * ones reply to it; every message is Auto-Submitted. */
static void itest_alert_smtp_firing_repeat_resolved_thread(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	struct alert_channel *smtp = alert_channel_find(e.chs, e.nchs, "smtp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(smtp);
	struct rec_finding f = mk("BTCUSDT", REC_UNPROTECTED_POSITION);
	f.first_seen_ms = 1767225600000LL;
	f.last_seen_ms = 1767225660000LL;
	const enum alert_kind kinds[3] = { ALERT_FIRING, ALERT_REPEAT, ALERT_RESOLVED };
	struct alert_send_status st;
	for (int i = 0; i < 3; i++) {
		struct alert_msg m;
		memset(&m, 0, sizeof m);
		m.id = 100 + i;
		snprintf(m.channel, sizeof m.channel, "smtp");
		snprintf(m.key, sizeof m.key, "%s", f.key);
		m.severity = f.severity;
		alert_format_subject(&f, kinds[i], m.subject, sizeof m.subject);
		m.body = alert_format_body(&f, kinds[i], NULL);
		CU_ASSERT_EQUAL(smtp->send(smtp, &m, &st), ALERT_SEND_OK);
		free(m.body);
	}
	for (int i = 0; i < 300 && mail_count(&e, NULL) < 3; i++)
		msleep(10);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 3);
	CU_ASSERT_EQUAL(mail_count(&e, "Auto-Submitted: auto-generated"), 3);
	char first[160];
	CU_ASSERT_EQUAL(mail_count(&e, "Message-ID: <vigil.f."), 3);
	char d[400];
	snprintf(d, sizeof d, "%s/new", e.maildir);
	DIR *dir = opendir(d);
	struct dirent *de;
	first[0] = '\0';
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char p[800];
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		char *t = tu_read_file(p, NULL);
		if (t && strstr(t, "Subject: [vigil] CRITICAL BTCUSDT") && !strstr(t, "In-Reply-To:")) {
			const char *id = strstr(t, "Message-ID: ");
			if (id)
				snprintf(first, sizeof first, "%.*s", (int)strcspn(id + 12, "\r\n"), id + 12);
		}
		free(t);
	}
	if (dir)
		closedir(dir);
	CU_ASSERT_TRUE_FATAL(first[0] != '\0');
	char want[400];
	snprintf(want, sizeof want, "In-Reply-To: %s", first);
	CU_ASSERT_EQUAL(mail_count(&e, want), 2);
	snprintf(want, sizeof want, "References: %s", first);
	CU_ASSERT_EQUAL(mail_count(&e, want), 2);
	snprintf(want, sizeof want, "Message-ID: %s", first);
	CU_ASSERT_EQUAL(mail_count(&e, want), 1);
	env_stop(&e);
}

/* An exchange symbol holding CR/LF reaches the real mailbox without adding
 * a header: the sink's parser sees X-Vigil-Key and Subject as one field
 * each, and no X-Injected field at all. */
static void itest_alert_smtp_symbol_with_crlf_adds_no_header(void)
{
	struct env e;
	if (env_start(&e, 600000) != 0) {
		env_stop(&e);
		CU_FAIL_FATAL("cannot start the fake Telegram / SMTP sink");
	}
	struct alert_channel *smtp = alert_channel_find(e.chs, e.nchs, "smtp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(smtp);
	struct rec_finding f = mk("EV\r\nX-Injected: yes", REC_UNPROTECTED_POSITION);
	snprintf(f.detail, sizeof f.detail, "x\r\nX-Injected: body");
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = 300;
	snprintf(m.channel, sizeof m.channel, "smtp");
	snprintf(m.key, sizeof m.key, "%s", f.key);
	m.severity = f.severity;
	alert_format_subject(&f, ALERT_FIRING, m.subject, sizeof m.subject);
	m.body = alert_format_body(&f, ALERT_FIRING, NULL);
	struct alert_send_status st;
	CU_ASSERT_EQUAL(smtp->send(smtp, &m, &st), ALERT_SEND_OK);
	free(m.body);
	for (int i = 0; i < 300 && mail_count(&e, NULL) < 1; i++)
		msleep(10);
	char *t = mail_first(&e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* the header block ends at the first empty line (the sink may store LF) */
	const char *end = strstr(t, "\n\n");
	const char *end_crlf = strstr(t, "\r\n\r\n");
	if (!end || (end_crlf && end_crlf < end))
		end = end_crlf;
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	int injected = 0, key = 0;
	for (const char *p = t; p && p < end; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		injected += !strncasecmp(p, "X-Injected", 10);
		key += !strncmp(p, "X-Vigil-Key: main:", 18);
	}
	CU_ASSERT_EQUAL(injected, 0);
	CU_ASSERT_EQUAL(key, 1);
	CU_ASSERT_EQUAL(mail_count(&e, "\nX-Injected"), 0); /* not in the body either */
	free(t);
	env_stop(&e);
}

/* At-least-once: a message sent again after a crash between the server's
 * answer and the outbox's delivered mark carries the same Message-ID
 * (from the outbox id), so mail clients show it once. */
static void itest_alert_smtp_resend_keeps_the_message_id(void)
{
	struct env e;
	CU_ASSERT_EQUAL_FATAL(env_start(&e, 0), 0);
	struct alert_channel *smtp = NULL;
	for (size_t i = 0; i < e.nchs; i++)
		if (!strcmp(e.chs[i]->name, "smtp"))
			smtp = e.chs[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(smtp);
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	m.id = 4242424242LL;
	snprintf(m.channel, sizeof m.channel, "smtp");
	snprintf(m.key, sizeof m.key, "main:binance:BTCUSDT:ORPHAN_POSITION");
	snprintf(m.subject, sizeof m.subject, "[vigil] CRITICAL BTCUSDT ORPHAN_POSITION (main)");
	m.severity = REC_SEV_CRITICAL;
	m.body = (char *)"key: main:binance:BTCUSDT:ORPHAN_POSITION";
	struct alert_send_status st;
	CU_ASSERT_EQUAL(smtp->send(smtp, &m, &st), ALERT_SEND_OK);
	msleep(20);
	CU_ASSERT_EQUAL(smtp->send(smtp, &m, &st), ALERT_SEND_OK);
	for (int i = 0; i < 300 && mail_count(&e, NULL) < 2; i++)
		msleep(10);
	CU_ASSERT_EQUAL(mail_count(&e, NULL), 2);
	CU_ASSERT_EQUAL(mail_count(&e, "Message-ID: <vigil.outbox.4242424242@"), 2);
	m.id = 7;
	CU_ASSERT_EQUAL(smtp->send(smtp, &m, &st), ALERT_SEND_OK);
	for (int i = 0; i < 300 && mail_count(&e, NULL) < 3; i++)
		msleep(10);
	CU_ASSERT_EQUAL(mail_count(&e, "Message-ID: <vigil.outbox.7@"), 1);
	env_stop(&e);
}

void itest_alert_channels_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_alert_critical_one_telegram_one_email_repeat_and_resolved",
		  itest_alert_critical_one_telegram_one_email_repeat_and_resolved },
		{ "itest_alert_channels_down_get_every_queued_message_once",
		  itest_alert_channels_down_get_every_queued_message_once },
		{ "itest_alert_telegram_429_retry_after_is_honoured",
		  itest_alert_telegram_429_retry_after_is_honoured },
		{ "itest_alert_escaping_survives_and_long_text_is_split",
		  itest_alert_escaping_survives_and_long_text_is_split },
		{ "itest_alert_telegram_errors_never_show_the_token",
		  itest_alert_telegram_errors_never_show_the_token },
		{ "itest_alert_smtp_resend_keeps_the_message_id", itest_alert_smtp_resend_keeps_the_message_id },
		{ "itest_alert_webhook_posts_json_and_honours_retry_after",
		  itest_alert_webhook_posts_json_and_honours_retry_after },
		{ "itest_alert_smtp_firing_repeat_resolved_thread", itest_alert_smtp_firing_repeat_resolved_thread },
		{ "itest_alert_smtp_symbol_with_crlf_adds_no_header",
		  itest_alert_smtp_symbol_with_crlf_adds_no_header },
		{ NULL, NULL },
	};
	tu_add_suite("alert_channels", tests);
}
