/* Email channel: SMTP via libcurl. smtp:// must upgrade with STARTTLS
 * (CURLUSESSL_ALL) unless require_starttls=false, which is allowed only for
 * a loopback server (test sinks); smtps:// is TLS from the start. Plain-text
 * body with CRLF line ends; libcurl does the dot-stuffing. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "base/log.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

#define SMTP_MAX_RCPT 16
#define SMTP_STR_MAX 512 /* url, addresses, ca file */

struct smtp {
	char url[SMTP_STR_MAX];
	char from_hdr[SMTP_STR_MAX];  /* as configured: "vigil <v@x>" */
	char from_addr[SMTP_STR_MAX]; /* "<v@x>" for MAIL FROM */
	char to_hdr[SMTP_STR_MAX];
	char rcpt[SMTP_MAX_RCPT][SMTP_STR_MAX / 2];
	size_t nrcpt;
	char username[64];
	char *password; /* copy of the loaded secret */
	char ca_file[SMTP_STR_MAX];
	bool starttls;
	char domain[128]; /* for Message-ID */
};

/* "Name <a@b>" or "a@b" -> "<a@b>" */
static void angle_addr(const char *s, char *out, size_t outlen)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt) {
		snprintf(out, outlen, "%.*s", (int)(gt - lt + 1), lt);
		return;
	}
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	snprintf(out, outlen, "<%.*s>", (int)n, s);
}

/* Configured addresses must not break the header block (no CR/LF
 * injection); texts from findings go through tc_header() instead. */
static void hdr_clean(char *s)
{
	alert_hdr_clean(s);
}

static void rfc2822_date(int64_t ms, char *out, size_t outlen)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

struct src {
	const char *p;
	size_t n, off;
};

static size_t rd(char *dst, size_t sz, size_t nm, void *arg)
{
	struct src *s = arg;
	size_t k = sz * nm;
	if (k > s->n - s->off)
		k = s->n - s->off;
	memcpy(dst, s->p + s->off, k);
	s->off += k;
	return k;
}

/* Threading. The first message about a finding (FIRING) has a Message-ID
 * derived from the finding key and its first-seen time alone:
 * <vigil.f.HASH16.FIRSTSEEN_S@domain>; every later one (repeat, escalated,
 * RESOLVED) has its own <vigil.f.HASH16.FIRSTSEEN_S.OUTBOXID@domain> and
 * In-Reply-To / References naming the first, so clients show one thread
 * per occurrence of a finding. Both depend only on stored facts: a message
 * re-sent after a crash between the server's 250 and the outbox's
 * delivered mark (or a retry after a lost answer) carries the same id, so
 * mail clients and archives that dedupe on Message-ID show it once. A
 * message whose first-seen time is unknown falls back to
 * <vigil.outbox.ID@domain>, unthreaded. */
static void thread_ids(const struct smtp *s, const struct alert_msg *m, const struct alert_meta *mt, char *own,
		       size_t ol, char *first, size_t fl)
{
	first[0] = '\0';
	if (mt->first_seen_ms <= 0) {
		snprintf(own, ol, "<vigil.outbox.%lld@%s>", (long long)m->id, s->domain);
		return;
	}
	char seed[REC_KEY_MAX + 32], h[17];
	snprintf(seed, sizeof seed, "%s|%lld", m->key, (long long)(mt->first_seen_ms / 1000));
	alert_hash16(seed, h);
	snprintf(first, fl, "<vigil.f.%s.%lld@%s>", h, (long long)(mt->first_seen_ms / 1000), s->domain);
	if (mt->kind == ALERT_FIRING) {
		snprintf(own, ol, "%s", first);
		first[0] = '\0';
	} else {
		snprintf(own, ol, "<vigil.f.%s.%lld.%lld@%s>", h, (long long)(mt->first_seen_ms / 1000),
			 (long long)m->id, s->domain);
	}
}

#define BODY_LINE_MAX 990 /* SMTP allows 998 octets a line; leave room */

/* The body as CRLF lines: controls out (tc_text), and a line longer than
 * SMTP allows is broken at a character boundary. */
static char *body_crlf(const char *body0)
{
	char *body = tc_text(body0 ? body0 : "", true);
	size_t bl = strlen(body);
	char *crlf = xmalloc(bl * 2 + bl / BODY_LINE_MAX * 2 + 3);
	size_t w = 0, col = 0;
	for (size_t i = 0; i < bl; i++) {
		if (body[i] == '\n') {
			crlf[w++] = '\r', crlf[w++] = '\n';
			col = 0;
			continue;
		}
		if (col >= BODY_LINE_MAX && ((unsigned char)body[i] & 0xC0) != 0x80) {
			crlf[w++] = '\r', crlf[w++] = '\n';
			col = 0;
		}
		crlf[w++] = body[i];
		col++;
	}
	crlf[w++] = '\r';
	crlf[w++] = '\n';
	crlf[w] = '\0';
	free(body);
	return crlf;
}

static char *build_mail(const struct smtp *s, const struct alert_msg *m, int64_t now)
{
	char date[64], own[400], first[400], reply[900] = "";
	rfc2822_date(now, date, sizeof date);
	/* the subject and the key name exchange symbols: one field each,
	 * whatever they hold (folded, RFC 2047 for non-ASCII) */
	char *subj = tc_header("Subject", m->subject);
	char *key = tc_header("X-Vigil-Key", m->key);
	struct alert_meta mt;
	alert_msg_meta(m, &mt);
	thread_ids(s, m, &mt, own, sizeof own, first, sizeof first);
	if (first[0])
		snprintf(reply, sizeof reply, "In-Reply-To: %s\r\nReferences: %s\r\n", first, first);
	char *crlf = body_crlf(m->body);
	char *mail = xasprintf("Date: %s\r\n"
			       "From: %s\r\n"
			       "To: %s\r\n"
			       "%s"
			       "Message-ID: %s\r\n"
			       "%s"
			       "Auto-Submitted: auto-generated\r\n"
			       "MIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: 8bit\r\n"
			       "%s"
			       "\r\n%s",
			       date, s->from_hdr, s->to_hdr, subj, own, reply, key, crlf);
	free(crlf);
	free(subj);
	free(key);
	return mail;
}

char *alert_smtp_format(const struct alert_channel *ch, const struct alert_msg *m, int64_t now_ms)
{
	return build_mail(ch->priv, m, now_ms);
}

static int smtp_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	struct smtp *s = ch->priv;
	memset(st, 0, sizeof *st);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(st->err, sizeof st->err, "smtp: curl_easy_init failed");
		return ALERT_SEND_RETRY;
	}
	char *mail = build_mail(s, m, alert_now_ms());
	struct src src = { mail, strlen(mail), 0 };
	struct curl_slist *rcpt = NULL;
	for (size_t i = 0; i < s->nrcpt; i++)
		rcpt = curl_slist_append(rcpt, s->rcpt[i]);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->from_addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, rd);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(ch->timeout_ms > 0 ? ch->timeout_ms : 30000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(ch->connect_timeout_ms > 0 ? ch->connect_timeout_ms : 10000));
	if (s->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (*s->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (*s->username) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->username);
		if (s->password)
			curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st->http_code);
	int ret = ALERT_SEND_OK;
	if (rc != CURLE_OK) {
		snprintf(st->err, sizeof st->err, "smtp: %s (server code %ld)", curl_easy_strerror(rc), st->http_code);
		log_redact(st->err, sizeof st->err);
		ret = ALERT_SEND_RETRY;
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(mail);
	return ret;
}

static void smtp_destroy(struct alert_channel *ch)
{
	struct smtp *s = ch->priv;
	free(s->password);
	free(s);
	free(ch);
}

struct alert_channel *alert_ch_smtp_new(const struct alert_smtp_params *c, char *err, size_t errlen)
{
	const char *url = alert_str(c->url), *from = alert_str(c->from), *to = alert_str(c->to);
	bool smtps = !strncmp(url, "smtps://", 8);
	if (!smtps && strncmp(url, "smtp://", 7)) {
		snprintf(err, errlen, "[alerts.smtp] url must start with smtp:// or smtps://");
		return NULL;
	}
	if (!smtps && !c->require_starttls && !alert_url_is_loopback(url)) {
		snprintf(err, errlen, "[alerts.smtp] require_starttls=false is allowed only for a loopback server");
		return NULL;
	}
	struct smtp *s = xcalloc(1, sizeof *s);
	snprintf(s->url, sizeof s->url, "%s", url);
	snprintf(s->from_hdr, sizeof s->from_hdr, "%s", from);
	hdr_clean(s->from_hdr);
	angle_addr(from, s->from_addr, sizeof s->from_addr);
	snprintf(s->to_hdr, sizeof s->to_hdr, "%s", to);
	hdr_clean(s->to_hdr);
	const char *p = to;
	while (*p && s->nrcpt < SMTP_MAX_RCPT) {
		size_t n = strcspn(p, ",");
		char one[SMTP_STR_MAX];
		snprintf(one, sizeof one, "%.*s", (int)n, p);
		if (strchr(one, '@'))
			angle_addr(one, s->rcpt[s->nrcpt++], sizeof s->rcpt[0]);
		p += n;
		if (*p == ',')
			p++;
	}
	if (!s->nrcpt) {
		free(s);
		snprintf(err, errlen, "[alerts.smtp] 'to' holds no address");
		return NULL;
	}
	const char *at = strchr(s->from_addr, '@');
	snprintf(s->domain, sizeof s->domain, "%.*s", at ? (int)strcspn(at + 1, ">") : 9, at ? at + 1 : "localhost");
	snprintf(s->username, sizeof s->username, "%s", alert_str(c->username));
	s->password = c->password ? xstrdup(c->password) : NULL;
	snprintf(s->ca_file, sizeof s->ca_file, "%s", alert_str(c->ca_file));
	s->starttls = !smtps && c->require_starttls;
	struct alert_channel *ch = alert_net_channel_new("smtp", c->min_severity, 30000, smtp_send, smtp_destroy, s);
	ch->escalation = c->escalation;
	ch->rate_per_minute = c->rate_per_minute;
	return ch;
}
