/* Telegram Bot API channel: POST {api_url}/bot{TOKEN}/sendMessage, HTML
 * parse mode, to each configured chat id, split under 4096 characters.
 * The URL holds the token, so it is built only here and never logged.
 * A message is accepted once every (chat, part) was; progress is kept per
 * message id so a retry resumes instead of repeating parts already sent. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "base/log.h"
#include "base/xalloc.h"

#define TG_MAX_CHATS 16
#define TG_PROGRESS_MAX 64

struct tg_progress {
	int64_t id;
	size_t done; /* (chat, part) pairs accepted */
};

struct tg {
	char *url; /* holds the token: never print */
	char chats[TG_MAX_CHATS][64];
	size_t nchats;
	struct tg_progress prog[TG_PROGRESS_MAX];
	size_t nprog;
};

static struct tg_progress *progress(struct tg *t, int64_t id)
{
	for (size_t i = 0; i < t->nprog; i++)
		if (t->prog[i].id == id)
			return &t->prog[i];
	if (t->nprog == TG_PROGRESS_MAX) /* forget the oldest: worst case a part is sent twice */
		memmove(t->prog, t->prog + 1, --t->nprog * sizeof t->prog[0]);
	t->prog[t->nprog] = (struct tg_progress){ .id = id, .done = 0 };
	return &t->prog[t->nprog++];
}

static void progress_drop(struct tg *t, int64_t id)
{
	for (size_t i = 0; i < t->nprog; i++)
		if (t->prog[i].id == id) {
			memmove(t->prog + i, t->prog + i + 1, (t->nprog - i - 1) * sizeof t->prog[0]);
			t->nprog--;
			return;
		}
}

/* One sendMessage. 0 accepted, 1 retry (st filled). */
static int send_one(struct alert_channel *ch, struct tg *t, const char *chat, const char *text,
		    struct alert_send_status *st)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "chat_id", json_object_new_string(chat));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "parse_mode", json_object_new_string("HTML"));
	json_object_object_add(o, "disable_web_page_preview", json_object_new_boolean(1));
	const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct alert_http_resp r;
	char err[200] = "";
	int rc = alert_http_post_json(ch, t->url, js, &r, err, sizeof err);
	json_object_put(o);
	st->http_code = r.code;
	if (rc != 0) {
		snprintf(st->err, sizeof st->err, "telegram: %s", err);
		free(r.body);
		return 1;
	}
	json_object *ans = r.body ? json_tokener_parse(r.body) : NULL;
	json_object *v;
	int ok = ans && json_object_object_get_ex(ans, "ok", &v) && json_object_get_boolean(v);
	if (ok && r.code / 100 == 2) {
		json_object_put(ans);
		free(r.body);
		return 0;
	}
	const char *desc = "";
	if (ans && json_object_object_get_ex(ans, "description", &v))
		desc = json_object_get_string(v);
	json_object *params, *ra;
	if (ans && json_object_object_get_ex(ans, "parameters", &params) &&
	    json_object_object_get_ex(params, "retry_after", &ra)) {
		/* bounded: a hostile or broken answer must not overflow or park the channel for ever */
		int64_t secs = json_object_get_int64(ra);
		st->retry_after_ms = (secs < 0 ? 0 : secs > 86400 ? 86400 : secs) * 1000;
	} else if (r.retry_after_ms > 0)
		st->retry_after_ms = r.retry_after_ms;
	snprintf(st->err, sizeof st->err, "telegram: HTTP %ld %.160s", r.code, desc);
	log_redact(st->err, sizeof st->err);
	json_object_put(ans);
	free(r.body);
	return 1;
}

static int tg_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	struct tg *t = ch->priv;
	memset(st, 0, sizeof *st);
	char **parts;
	size_t np;
	alert_tg_build(m->subject, m->body, ALERT_TG_LIMIT, &parts, &np);
	struct tg_progress *p = progress(t, m->id);
	int rc = ALERT_SEND_OK;
	for (size_t c = 0; c < t->nchats && rc == ALERT_SEND_OK; c++)
		for (size_t k = 0; k < np; k++) {
			size_t idx = c * np + k;
			if (idx < p->done)
				continue;
			if (send_one(ch, t, t->chats[c], parts[k], st) != 0) {
				rc = ALERT_SEND_RETRY;
				break;
			}
			p->done = idx + 1;
		}
	if (rc == ALERT_SEND_OK)
		progress_drop(t, m->id);
	alert_tg_parts_free(parts, np);
	return rc;
}

static void tg_destroy(struct alert_channel *ch)
{
	struct tg *t = ch->priv;
	free(t->url);
	free(t);
	free(ch);
}

struct alert_channel *alert_ch_telegram_new(const struct alert_tg_params *c, char *err, size_t errlen)
{
	if (!c->token || !*c->token) {
		snprintf(err, errlen, "[alerts.telegram] no token loaded (token_env or token_file)");
		return NULL;
	}
	struct tg *t = xcalloc(1, sizeof *t);
	const char *s = alert_str(c->chat_ids);
	while (*s && t->nchats < TG_MAX_CHATS) {
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, ", \t");
		if (n && n < sizeof t->chats[0]) {
			memcpy(t->chats[t->nchats], s, n);
			t->chats[t->nchats++][n] = '\0';
		}
		s += n;
	}
	if (!t->nchats) {
		free(t);
		snprintf(err, errlen, "[alerts.telegram] chat_ids holds no chat id");
		return NULL;
	}
	const char *api = alert_str(c->api_url);
	size_t ul = strlen(api);
	while (ul && api[ul - 1] == '/')
		ul--;
	t->url = xasprintf("%.*s/bot%s/sendMessage", (int)ul, api, c->token);
	struct alert_channel *ch = alert_net_channel_new("telegram", c->min_severity, 20000, tg_send, tg_destroy, t);
	ch->escalation = c->escalation;
	ch->rate_per_minute = c->rate_per_minute;
	return ch;
}
