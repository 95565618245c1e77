/* The alert router (see router.h for the lifecycle). */
#include "alerts/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/format.h"
#include "base/log.h"
#include "base/xalloc.h"

#define RATE_WINDOW_MS 60000
#define MAX_ROUTES 16

#define MAX_GROUP 8 /* findings of one position in one message */

struct rstate {
	char key[REC_KEY_MAX];
	char account[REC_ACCT_MAX];
	bool health;
	char hname[REC_KEY_MAX];
	char *text; /* health text or vigil's action on the finding */
	struct rec_finding f;
	enum rec_severity sev;
	int64_t first_ms;   /* router first saw it */
	bool alerted;       /* an alert went out for this occurrence */
	int64_t alerted_ms; /* when */
	int64_t last_sent_ms;
	bool acked, escalated, held, seen;
	bool acted;         /* vigil sent an order about it: alert regardless */
	int64_t settle_ms;  /* seeded: absence before this is not a resolution */
	unsigned sent_mask; /* routes that got an alert (they get RESOLVED) */
	enum rec_severity alerted_sev;
};

struct rroute {
	struct alert_route r;
	int64_t *win; /* scheduled send times within the rate window, ascending */
	size_t nwin, capwin;
};

struct acct_pct {
	char name[REC_ACCT_MAX];
	double pct;
};

struct alert_router {
	struct alert_router_conf conf;
	struct rroute routes[MAX_ROUTES];
	size_t nroutes;
	struct alert_outbox *ob;
	struct rstate **st;
	size_t nst, capst;
	struct acct_pct *pcts;
	size_t npcts;
	void (*wake)(void *);
	void *wake_arg;
	int enq_failed;
	alert_router_observer_fn obs;
	void *obs_ud;
	int64_t stream_grace_until;
	const struct rec_finding *cur; /* the update's findings (for RESOLVED's "what changed") */
	size_t ncur;
	struct rstate *grp[MAX_GROUP]; /* the FIRING / repeat being sent carries these too */
	size_t ngrp;
};

struct alert_router *alert_router_new(const struct alert_router_conf *conf, const struct alert_route *routes,
				      size_t nroutes, struct alert_outbox *outbox)
{
	struct alert_router *r = xcalloc(1, sizeof *r);
	r->conf = *conf;
	r->ob = outbox;
	for (size_t i = 0; i < nroutes && i < MAX_ROUTES; i++)
		r->routes[r->nroutes++].r = routes[i];
	return r;
}

struct alert_router *alert_router_for_channels(const struct alert_router_conf *conf, struct alert_channel **chs,
					       size_t nchs, struct alert_outbox *outbox)
{
	struct alert_route rt[MAX_ROUTES];
	size_t n = 0;
	for (size_t i = 0; i < nchs && n < MAX_ROUTES; i++, n++) {
		memset(&rt[n], 0, sizeof rt[n]);
		snprintf(rt[n].channel, sizeof rt[n].channel, "%s", chs[i]->name);
		rt[n].min_severity = chs[i]->min_severity;
		rt[n].escalation = chs[i]->escalation;
		rt[n].rate_per_minute = chs[i]->rate_per_minute;
	}
	return alert_router_new(conf, rt, n, outbox);
}

static void state_free(struct rstate *s)
{
	free(s->text);
	free(s);
}

void alert_router_free(struct alert_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nst; i++)
		state_free(r->st[i]);
	free(r->st);
	for (size_t i = 0; i < r->nroutes; i++)
		free(r->routes[i].win);
	free(r->pcts);
	free(r);
}

void alert_router_set_stop_percent(struct alert_router *r, const char *account, double pct)
{
	for (size_t i = 0; i < r->npcts; i++)
		if (!strcmp(r->pcts[i].name, account)) {
			r->pcts[i].pct = pct;
			return;
		}
	r->pcts = xrealloc(r->pcts, (r->npcts + 1) * sizeof *r->pcts);
	snprintf(r->pcts[r->npcts].name, sizeof r->pcts[0].name, "%s", account);
	r->pcts[r->npcts++].pct = pct;
}

void alert_router_set_wakeup(struct alert_router *r, void (*fn)(void *), void *arg)
{
	r->wake = fn;
	r->wake_arg = arg;
}

static double stop_pct(const struct alert_router *r, const char *account)
{
	for (size_t i = 0; i < r->npcts; i++)
		if (!strcmp(r->pcts[i].name, account) && r->pcts[i].pct > 0)
			return r->pcts[i].pct;
	return 2.0;
}

/* ---- rate limit: when may route rt send at now? -1 = skip (repeat) ---- */
static int64_t rate_slot(struct rroute *rt, int64_t now, bool droppable)
{
	if (rt->r.rate_per_minute <= 0)
		return now;
	size_t drop = 0;
	while (drop < rt->nwin && rt->win[drop] <= now - RATE_WINDOW_MS)
		drop++;
	if (drop) {
		memmove(rt->win, rt->win + drop, (rt->nwin - drop) * sizeof *rt->win);
		rt->nwin -= drop;
	}
	size_t rate = (size_t)rt->r.rate_per_minute;
	int64_t t = now;
	if (rt->nwin >= rate) {
		if (droppable)
			return -1;
		t = rt->win[rt->nwin - rate] + RATE_WINDOW_MS;
		if (t < now)
			t = now;
	}
	if (rt->nwin == rt->capwin) {
		rt->capwin = rt->capwin ? rt->capwin * 2 : 16;
		rt->win = xrealloc(rt->win, rt->capwin * sizeof *rt->win);
	}
	rt->win[rt->nwin++] = t;
	return t;
}

static int enqueue(struct alert_router *r, size_t ri, int64_t at, const char *key, enum rec_severity sev,
		   const char *subject, const char *body, int64_t now)
{
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	snprintf(m.channel, sizeof m.channel, "%s", r->routes[ri].r.channel);
	snprintf(m.key, sizeof m.key, "%s", key);
	snprintf(m.subject, sizeof m.subject, "%s", subject);
	m.severity = sev;
	m.body = (char *)body;
	m.created_ms = now;
	m.next_attempt_ms = at;
	if (r->ob->ops->enqueue(r->ob, &m) != 0) {
		log_error("alert", "outbox enqueue failed channel=%s key=%s", m.channel, key);
		r->enq_failed = 1;
		return -1;
	}
	return 0;
}

static void texts(struct alert_router *r, const struct rstate *s, enum alert_kind k, int64_t now, char *subject,
		  size_t sl, char **body)
{
	struct alert_fmt_ctx ctx = {
		.conf_path = r->conf.conf_path,
		.stop_percent = s->health ? 0 : stop_pct(r, s->account),
		.action = s->health ? NULL : s->text,
		.instance = r->conf.instance,
		.now_ms = now,
		.first_seen_ms = s->health ? s->first_ms : 0,
	};
	char change[512] = "";
	if (!s->health && k == ALERT_RESOLVED) {
		alert_format_change(&s->f, r->cur, r->ncur, s->text, change, sizeof change);
		ctx.change = change;
	}
	if (s->health) {
		alert_format_health_subject(s->hname, s->sev, k, subject, sl);
		*body = alert_format_health_body(s->hname, s->sev, k, s->text, &ctx);
	} else {
		alert_format_subject(&s->f, k, subject, sl);
		*body = alert_format_body(&s->f, k, &ctx);
	}
	if (!r->ngrp)
		return;
	/* related findings of the same position: one message, each key
	 * still repeats, is acked and resolves on its own */
	size_t used = strlen(subject);
	for (size_t i = 0; i < r->ngrp && used + 1 < sl; i++) {
		int w = snprintf(subject + used, sl - used, "%s%s", i ? ", " : " + ", rec_code_name(r->grp[i]->f.code));
		if (w > 0)
			used += (size_t)w < sl - used ? (size_t)w : sl - used - 1;
	}
	char *all = xasprintf("%s\nalso on this position (each resolves on its own):\n", *body);
	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rstate *c = r->grp[i];
		char *n = xasprintf("%s- %s %s: %s\n  key: %s\n%s%s%s", all, rec_severity_name(c->sev),
				    rec_code_name(c->f.code), *c->f.detail ? c->f.detail : "-", c->key,
				    c->text && *c->text ? "  vigil did: " : "", c->text ? c->text : "",
				    c->text && *c->text ? "\n" : "");
		free(all);
		all = n;
	}
	free(*body);
	*body = alert_redact_dup(all);
	free(all);
}

/* Sends kind k of s to the routes chosen by the kind. Returns messages
 * enqueued (-1 on an outbox failure: the caller keeps its state). */
static int send_kind(struct alert_router *r, struct rstate *s, enum alert_kind k, int64_t now)
{
	char subject[ALERT_SUBJECT_MAX];
	char *body;
	texts(r, s, k, now, subject, sizeof subject, &body);
	int sent = 0;
	for (size_t i = 0; i < r->nroutes; i++) {
		const struct alert_route *rt = &r->routes[i].r;
		bool want;
		if (k == ALERT_RESOLVED)
			want = s->sent_mask & (1u << i);
		else if (k == ALERT_ESCALATED)
			want = rt->escalation;
		else
			want = s->sev >= rt->min_severity;
		if (!want)
			continue;
		int64_t at = rate_slot(&r->routes[i], now, k == ALERT_REPEAT);
		if (at < 0) {
			log_debug("alert", "rate limit: repeat skipped channel=%s key=%s", rt->channel, s->key);
			continue;
		}
		if (enqueue(r, i, at, s->key, s->sev, subject, body, now) != 0) {
			free(body);
			return -1;
		}
		if (k != ALERT_RESOLVED)
			s->sent_mask |= 1u << i;
		sent++;
	}
	free(body);
	if (sent && r->wake)
		r->wake(r->wake_arg);
	if (sent && r->obs && !s->health)
		r->obs(r->obs_ud, &s->f, k, now);
	return sent;
}

static struct rstate *find(const struct alert_router *r, const char *key, size_t *idx)
{
	for (size_t i = 0; i < r->nst; i++)
		if (!strcmp(r->st[i]->key, key)) {
			if (idx)
				*idx = i;
			return r->st[i];
		}
	return NULL;
}

static struct rstate *add(struct alert_router *r, const char *key, int64_t now)
{
	if (r->nst == r->capst) {
		r->capst = r->capst ? r->capst * 2 : 32;
		r->st = xrealloc(r->st, r->capst * sizeof *r->st);
	}
	struct rstate *s = xcalloc(1, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	s->first_ms = now;
	r->st[r->nst++] = s;
	return s;
}

static void remove_at(struct alert_router *r, size_t i)
{
	state_free(r->st[i]);
	r->st[i] = r->st[--r->nst];
}

void alert_router_forget(struct alert_router *r, const char *account)
{
	for (size_t i = 0; i < r->nst;) {
		if (!r->st[i]->health && !strcmp(r->st[i]->account, account))
			remove_at(r, i);
		else
			i++;
	}
}

/* Would c get its FIRING now (evaluate's rule)? */
static bool firing_due(const struct alert_router *r, const struct rstate *c, int64_t now)
{
	if (c->held && !(c->acted && !c->alerted))
		return false;
	if (c->alerted && c->sev <= c->alerted_sev)
		return false;
	int64_t due = c->sev >= REC_SEV_CRITICAL || c->acted ? c->first_ms : c->first_ms + r->conf.warning_hold_ms;
	return now >= due;
}

/* Is c's repeat due now? */
static bool repeat_due(const struct alert_router *r, const struct rstate *c, int64_t now)
{
	return !c->held && c->alerted && c->sev <= c->alerted_sev && !c->acked && r->conf.repeat_interval_ms > 0 &&
	       now >= c->last_sent_ms + r->conf.repeat_interval_ms;
}

/* The other findings of s's position (account, symbol, leg) due for kind k
 * now go in s's message (r->grp). Returns false when one of them outranks
 * s (higher severity, or equal and earlier in the list): that one sends the
 * message and carries s. */
static bool group_for(struct alert_router *r, struct rstate *s, enum alert_kind k, int64_t now)
{
	r->ngrp = 0;
	if (s->health || !*s->f.symbol)
		return true;
	size_t si = 0;
	for (size_t i = 0; i < r->nst; i++)
		if (r->st[i] == s)
			si = i;
	for (size_t i = 0; i < r->nst; i++) {
		struct rstate *c = r->st[i];
		if (c == s || c->health || !c->seen || strcmp(c->account, s->account) != 0 ||
		    strcmp(c->f.symbol, s->f.symbol) != 0 || c->f.pidx != s->f.pidx)
			continue;
		if (!(k == ALERT_FIRING ? firing_due(r, c, now) : repeat_due(r, c, now)))
			continue;
		if (c->sev > s->sev || (c->sev == s->sev && i < si)) {
			r->ngrp = 0;
			return false;
		}
		if (r->ngrp < MAX_GROUP)
			r->grp[r->ngrp++] = c;
	}
	return true;
}

/* After a grouped message went out: the companions count as sent too. */
static void group_sent(struct alert_router *r, const struct rstate *s, enum alert_kind k, int64_t now)
{
	for (size_t i = 0; i < r->ngrp; i++) {
		struct rstate *c = r->grp[i];
		c->sent_mask |= s->sent_mask;
		c->last_sent_ms = now;
		if (k == ALERT_FIRING) {
			if (c->alerted && c->sev > c->alerted_sev) {
				c->escalated = false;
				c->acked = false;
			}
			c->alerted = true;
			c->acted = false;
			c->alerted_ms = now;
			c->alerted_sev = c->sev;
		}
		if (r->obs)
			r->obs(r->obs_ud, &c->f, k, now);
	}
	r->ngrp = 0;
}

/* Holds, repeats, escalation for one state. */
static int evaluate(struct alert_router *r, struct rstate *s, int64_t now)
{
	/* an action vigil took is told even while its finding is held */
	if (s->held && !(s->acted && !s->alerted))
		return 0;
	int n = 0, k;
	if (s->alerted && s->sev > s->alerted_sev) {
		/* got worse (warning -> critical): a new alert, not a repeat */
		s->alerted = false;
		s->escalated = false;
		s->acked = false;
	}
	if (!s->alerted) {
		int64_t due =
			s->sev >= REC_SEV_CRITICAL || s->acted ? s->first_ms : s->first_ms + r->conf.warning_hold_ms;
		if (now < due)
			return 0;
		if (!group_for(r, s, ALERT_FIRING, now))
			return 0; /* a companion's message carries it */
		if ((k = send_kind(r, s, ALERT_FIRING, now)) < 0) {
			r->ngrp = 0;
			return -1;
		}
		group_sent(r, s, ALERT_FIRING, now);
		s->alerted = true;
		s->acted = false;
		s->alerted_ms = s->last_sent_ms = now;
		s->alerted_sev = s->sev;
		return k;
	}
	if (!s->acked && r->conf.repeat_interval_ms > 0 && now >= s->last_sent_ms + r->conf.repeat_interval_ms &&
	    group_for(r, s, ALERT_REPEAT, now)) {
		if ((k = send_kind(r, s, ALERT_REPEAT, now)) < 0) {
			r->ngrp = 0;
			return -1;
		}
		group_sent(r, s, ALERT_REPEAT, now);
		s->last_sent_ms = now;
		n += k;
	}
	if (s->sev >= REC_SEV_CRITICAL && !s->acked && !s->escalated && r->conf.escalate_after_ms > 0 &&
	    now >= s->alerted_ms + r->conf.escalate_after_ms) {
		if ((k = send_kind(r, s, ALERT_ESCALATED, now)) < 0)
			return -1;
		s->escalated = true;
		n += k;
	}
	return n;
}

static int resolve_at(struct alert_router *r, size_t i, int64_t now)
{
	struct rstate *s = r->st[i];
	int sent = 0;
	if (s->acted && !s->alerted) {
		/* vigil acted and the finding is already gone: say what was
		 * done, then that it is over */
		if ((sent = send_kind(r, s, ALERT_FIRING, now)) < 0)
			return -1;
		s->alerted = true;
		s->acted = false;
	}
	if (s->alerted) {
		int k = send_kind(r, s, ALERT_RESOLVED, now);
		if (k < 0)
			return -1;
		sent += k;
	}
	remove_at(r, i);
	return sent;
}

/* ---- inhibition ---- */
struct inhib {
	bool exch, db, stream;
};

static void inhib_add(struct inhib *in, const struct rec_finding *f)
{
	if (f->code == REC_STREAM_DOWN || f->code == REC_STREAM_STALE)
		in->stream = true;
	if (f->code == REC_SOURCE_UNREACHABLE) {
		size_t kl = strlen(f->key);
		if (kl >= 3 && !strcmp(f->key + kl - 3, ":db"))
			in->db = true;
		else
			in->exch = true; /* ":rest", ":orders" or unspecified */
	}
}

static bool is_inhibitor(enum rec_code c)
{
	return c == REC_STREAM_DOWN || c == REC_STREAM_STALE || c == REC_SOURCE_UNREACHABLE;
}

static bool inhibited(const struct inhib *in, const struct rec_finding *f)
{
	if (!*f->symbol || is_inhibitor(f->code))
		return false;
	if (in->exch)
		return true;
	if (in->db && (f->code == REC_ORPHAN_POSITION || f->code == REC_PHANTOM_POSITION ||
		       f->code == REC_SIZE_MISMATCH || f->code == REC_SIDE_MISMATCH))
		return true;
	if (in->stream && (f->code == REC_REST_GLITCH || (f->stream.present && !f->rest.present)))
		return true;
	return false;
}

size_t alert_router_due(const struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			int64_t now_ms, bool *due)
{
	struct inhib in = { 0 };
	for (size_t i = 0; i < n; i++)
		inhib_add(&in, &f[i]);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		due[i] = false;
		if (strcmp(f[i].account, account) != 0 || inhibited(&in, &f[i]))
			continue;
		const struct rstate *s = find(r, f[i].key, NULL);
		if (!s && f[i].code == REC_STREAM_DOWN && now_ms < r->stream_grace_until)
			continue;
		if (s && s->alerted && f[i].severity <= s->alerted_sev)
			continue;
		int64_t first = s && !(s->alerted) ? s->first_ms : now_ms;
		int64_t at = f[i].severity >= REC_SEV_CRITICAL ? first : first + r->conf.warning_hold_ms;
		if (now_ms >= at) {
			due[i] = true;
			k++;
		}
	}
	return k;
}

int alert_router_update(struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			const char *const *actions, int64_t now_ms)
{
	return alert_router_update_acted(r, account, f, n, actions, NULL, now_ms);
}

int alert_router_update_acted(struct alert_router *r, const char *account, const struct rec_finding *f, size_t n,
			      const char *const *actions, const bool *acted, int64_t now_ms)
{
	struct inhib in = { 0 };
	for (size_t i = 0; i < n; i++)
		inhib_add(&in, &f[i]);
	for (size_t i = 0; i < r->nst; i++)
		if (!r->st[i]->health && !strcmp(r->st[i]->account, account))
			r->st[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].account, account) != 0) {
			log_warn("alert", "finding key=%s not of account=%s: ignored", f[i].key, account);
			continue;
		}
		struct rstate *s = find(r, f[i].key, NULL);
		if (!s && f[i].code == REC_STREAM_DOWN && now_ms < r->stream_grace_until) {
			log_debug("alert", "key=%s inside the stream's connect grace: not alerted", f[i].key);
			continue;
		}
		if (!s) {
			s = add(r, f[i].key, now_ms);
			snprintf(s->account, sizeof s->account, "%s", account);
		}
		s->f = f[i];
		s->sev = f[i].severity;
		s->seen = true;
		s->held = inhibited(&in, &f[i]);
		if (acted && acted[i])
			s->acted = true;
		if (actions && actions[i]) {
			free(s->text);
			s->text = xstrdup(actions[i]);
		}
	}
	int total = 0, k;
	r->enq_failed = 0;
	r->cur = f;
	r->ncur = n;
	for (size_t i = 0; i < r->nst;) {
		struct rstate *s = r->st[i];
		if (s->health || strcmp(s->account, account) != 0 || s->seen) {
			i++;
			continue;
		}
		/* absent: resolved, unless the outage kept the audit from seeing
		 * it (an action vigil took is still told: evaluate below) */
		if (inhibited(&in, &s->f)) {
			s->held = true;
			i++;
			continue;
		}
		if (now_ms < s->settle_ms) {
			/* restored at start: the classifier's grace timers start
			 * afresh, so a finding still true can be missing for a while */
			i++;
			continue;
		}
		if ((k = resolve_at(r, i, now_ms)) < 0) {
			r->cur = NULL;
			r->ncur = 0;
			return -1;
		}
		total += k; /* remove_at moved the last state into slot i */
	}
	r->cur = NULL;
	r->ncur = 0;
	for (size_t i = 0; i < r->nst; i++) {
		struct rstate *s = r->st[i];
		if (s->health || strcmp(s->account, account) != 0)
			continue;
		if ((k = evaluate(r, s, now_ms)) < 0)
			return -1;
		total += k;
	}
	return total;
}

int alert_router_tick(struct alert_router *r, int64_t now_ms)
{
	int total = 0, k;
	for (size_t i = 0; i < r->nst; i++) {
		if ((k = evaluate(r, r->st[i], now_ms)) < 0)
			return -1;
		total += k;
	}
	return total;
}

int alert_router_ack(struct alert_router *r, const char *key, int64_t now_ms)
{
	struct rstate *s = find(r, key, NULL);
	if (!s)
		return -1;
	s->acked = true;
	log_info("alert", "acknowledged key=%s at=%lld", key, (long long)now_ms);
	return 0;
}

int alert_router_health_set(struct alert_router *r, const char *name, enum rec_severity sev, const char *text,
			    int64_t now_ms)
{
	char key[REC_KEY_MAX];
	snprintf(key, sizeof key, "vigil:%s", name);
	struct rstate *s = find(r, key, NULL);
	if (!s) {
		s = add(r, key, now_ms);
		s->health = true;
		snprintf(s->hname, sizeof s->hname, "%s", name);
	}
	s->sev = sev;
	free(s->text);
	s->text = xstrdup(text ? text : "");
	return evaluate(r, s, now_ms);
}

int alert_router_health_clear(struct alert_router *r, const char *name, int64_t now_ms)
{
	char key[REC_KEY_MAX];
	snprintf(key, sizeof key, "vigil:%s", name);
	size_t i;
	if (!find(r, key, &i))
		return 0;
	return resolve_at(r, i, now_ms);
}

int alert_router_notice(struct alert_router *r, const char *name, enum rec_severity sev, const char *text,
			int64_t now_ms)
{
	struct rstate s;
	memset(&s, 0, sizeof s);
	s.health = true;
	s.sev = sev;
	snprintf(s.key, sizeof s.key, "vigil:%s", name);
	snprintf(s.hname, sizeof s.hname, "%s", name);
	s.text = (char *)(text ? text : "");
	char subject[ALERT_SUBJECT_MAX];
	char *body;
	texts(r, &s, ALERT_FIRING, now_ms, subject, sizeof subject, &body);
	int sent = 0;
	for (size_t i = 0; i < r->nroutes; i++) {
		if (sev < r->routes[i].r.min_severity)
			continue;
		int64_t at = rate_slot(&r->routes[i], now_ms, false);
		if (enqueue(r, i, at, s.key, sev, subject, body, now_ms) != 0) {
			free(body);
			return -1;
		}
		sent++;
	}
	free(body);
	if (sent && r->wake)
		r->wake(r->wake_arg);
	return sent;
}

void alert_router_set_observer(struct alert_router *r, alert_router_observer_fn fn, void *ud)
{
	r->obs = fn;
	r->obs_ud = ud;
}

void alert_router_set_stream_grace(struct alert_router *r, int64_t until_ms)
{
	r->stream_grace_until = until_ms;
}

int alert_router_seed(struct alert_router *r, const struct alert_router_seed *sd, int64_t now_ms)
{
	if (!sd->f.key[0] || !sd->f.account[0] || (!sd->alerted && !sd->action && !sd->tell))
		return -1;
	struct rstate *s = find(r, sd->f.key, NULL);
	if (!s) {
		s = add(r, sd->f.key, now_ms);
		snprintf(s->account, sizeof s->account, "%s", sd->f.account);
		s->f = sd->f;
		s->sev = sd->f.severity;
		if (sd->f.first_seen_ms > 0 && sd->f.first_seen_ms < now_ms)
			s->first_ms = sd->f.first_seen_ms;
		s->settle_ms = sd->settle_until_ms;
	}
	if (sd->alerted && !s->alerted) {
		s->alerted = true;
		s->alerted_ms = sd->alerted_ms > 0 ? sd->alerted_ms : now_ms;
		s->last_sent_ms = sd->last_sent_ms > s->alerted_ms ? sd->last_sent_ms : s->alerted_ms;
		s->alerted_sev = sd->alerted_sev;
		s->escalated = sd->escalated;
		s->acked = sd->acked;
		for (size_t i = 0; i < r->nroutes; i++)
			if (s->alerted_sev >= r->routes[i].r.min_severity)
				s->sent_mask |= 1u << i;
	}
	if (sd->action) {
		free(s->text);
		s->text = xstrdup(sd->action);
	}
	if ((sd->action || sd->tell) && !s->alerted)
		s->acted = true;
	s->seen = false;
	return 0;
}

int alert_router_is_alerted(const struct alert_router *r, const char *key)
{
	struct rstate *s = find(r, key, NULL);
	return s ? (s->alerted ? 1 : 0) : -1;
}

size_t alert_router_open_count(const struct alert_router *r)
{
	return r->nst;
}

int alert_router_is_held(const struct alert_router *r, const char *key)
{
	struct rstate *s = find(r, key, NULL);
	return s ? (s->held ? 1 : 0) : -1;
}

int alert_router_is_acked(const struct alert_router *r, const char *key)
{
	struct rstate *s = find(r, key, NULL);
	return s ? (s->acked ? 1 : 0) : -1;
}
