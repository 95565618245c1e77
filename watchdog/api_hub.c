/* The accounts the query API serves and what each audit left for it
 * (api_int.h). The engine thread publishes; request threads take a
 * reference to the current snapshot and a fresh stream copy, and judge
 * them with no lock held. Snapshots are immutable: a targeted check's
 * listing is merged into a new one (its symbols replaced, each dated by
 * its own fetch), never into the one a request may be reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock_now.h"
#include "base/xalloc.h"
#include "watchdog/api_int.h"
#include "watchdog/engine.h"

void api_hub_init(struct api_hub *h)
{
	memset(h, 0, sizeof *h);
	pthread_rwlock_init(&h->rw, NULL);
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void snap_free(struct api_snap *s)
{
	if (!s)
		return;
	free(s->pos);
	free(s->ord);
	free(s->cov);
	free(s->bot);
	free(s->findings);
	free(s);
}

/* under mu */
static void snap_unref(struct api_snap *s)
{
	if (s && --s->refs == 0)
		snap_free(s);
}

void api_hub_destroy(struct api_hub *h)
{
	for (size_t i = 0; i < h->n; i++) {
		snap_unref(h->acct[i]->snap);
		free(h->acct[i]);
	}
	free(h->acct);
	pthread_rwlock_destroy(&h->rw);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
}

struct api_acct *api_hub_find(struct api_hub *h, const char *name)
{
	struct api_acct *r = NULL;
	pthread_rwlock_rdlock(&h->rw);
	for (size_t i = 0; i < h->n && !r; i++)
		if (!h->acct[i]->gone && strcmp(h->acct[i]->name, name) == 0)
			r = h->acct[i];
	pthread_rwlock_unlock(&h->rw);
	return r;
}

void api_hub_attach(struct api_hub *h, struct wd_engine *e)
{
	pthread_rwlock_wrlock(&h->rw);
	for (size_t i = 0; i < h->n; i++) {
		h->acct[i]->gone = true;
		h->acct[i]->x = NULL;
	}
	memset(h->by_idx, 0, sizeof h->by_idx);
	h->nidx = 0;
	for (size_t k = 0; k < e->n && k < WD_MAX_ACCOUNTS; k++) {
		const struct wd_acct_rt *r = &e->acct[k];
		struct api_acct *a = NULL;
		for (size_t i = 0; i < h->n && !a; i++)
			if (strcmp(h->acct[i]->name, r->cfg.name) == 0)
				a = h->acct[i];
		if (!a) {
			a = xcalloc(1, sizeof *a);
			snprintf(a->name, sizeof a->name, "%s", r->cfg.name);
			h->acct = xrealloc(h->acct, (h->n + 1) * sizeof *h->acct);
			h->acct[h->n++] = a;
		}
		a->gone = false;
		a->exchange = r->cfg.exchange;
		a->mode = r->cfg.mode;
		a->hedge = r->cfg.hedge_mode;
		a->params = r->params;
		a->x = r->x;
		h->by_idx[k] = a;
		h->nidx = k + 1;
	}
	pthread_rwlock_unlock(&h->rw);
}

static bool in_scope(const struct wd_scope *sc, const char *sym)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->sym[i], sym) == 0)
			return true;
	return false;
}

/* The new snapshot: a full listing replaces the REST part, a targeted
 * one replaces its symbols' entries and dates them (api_cover). */
static struct api_snap *snap_build(const struct api_snap *prev, const struct wd_audit *au, enum rec_pos_mode mode)
{
	struct api_snap *s = xcalloc(1, sizeof *s);
	const struct xch_listing *l = &au->listing;
	bool pos_ok = l->pos_rc == XCH_OK, ord_ok = l->ord_rc == XCH_OK;
	int64_t fetched = l->fetched_ms ? l->fetched_ms : au->started_ms;
	s->refs = 1;
	s->audit_ms = au->started_ms;
	s->audited = au->audited;
	snprintf(s->error, sizeof s->error, "%s", au->error);
	if (au->scope.n == 0 || !prev) {
		s->pos_ok = au->scope.n == 0 && pos_ok;
		s->ord_ok = au->scope.n == 0 && ord_ok;
		s->fetched_ms = fetched;
		if (au->scope.n && !prev) {
			snprintf(s->pos_error, sizeof s->pos_error, "no full listing yet");
			snprintf(s->ord_error, sizeof s->ord_error, "no full listing yet");
		}
		if (!pos_ok && !au->scope.n)
			snprintf(s->pos_error, sizeof s->pos_error, "%s: %.200s", xch_rc_name((enum xch_rc)l->pos_rc),
				 l->pos_err.msg);
		if (!ord_ok && !au->scope.n)
			snprintf(s->ord_error, sizeof s->ord_error, "%s: %.200s", xch_rc_name((enum xch_rc)l->ord_rc),
				 l->ord_err.msg);
	} else {
		s->pos_ok = prev->pos_ok;
		s->ord_ok = prev->ord_ok;
		s->fetched_ms = prev->fetched_ms;
		memcpy(s->pos_error, prev->pos_error, sizeof s->pos_error);
		memcpy(s->ord_error, prev->ord_error, sizeof s->ord_error);
	}
	size_t keep_pos = 0, keep_ord = 0, keep_cov = 0;
	bool targeted = au->scope.n && prev;
	s->pos = xmalloc(((targeted ? prev->npos : 0) + l->npos + 1) * sizeof *s->pos);
	s->ord = xmalloc(((targeted ? prev->nord : 0) + l->nord + 1) * sizeof *s->ord);
	s->cov = xmalloc(((targeted ? prev->ncov : 0) + au->scope.n + 1) * sizeof *s->cov);
	if (targeted) {
		for (size_t i = 0; i < prev->npos; i++)
			if (!in_scope(&au->scope, prev->pos[i].symbol))
				s->pos[keep_pos++] = prev->pos[i];
		for (size_t i = 0; i < prev->nord; i++)
			if (!in_scope(&au->scope, prev->ord[i].symbol))
				s->ord[keep_ord++] = prev->ord[i];
		for (size_t i = 0; i < prev->ncov; i++)
			if (!in_scope(&au->scope, prev->cov[i].sym))
				s->cov[keep_cov++] = prev->cov[i];
	}
	if (pos_ok)
		for (size_t i = 0; i < l->npos; i++)
			s->pos[keep_pos++] = l->pos[i];
	if (ord_ok)
		for (size_t i = 0; i < l->nord; i++)
			s->ord[keep_ord++] = l->ord[i];
	for (size_t i = 0; i < au->scope.n; i++) {
		struct api_cover *c = &s->cov[keep_cov++];
		snprintf(c->sym, sizeof c->sym, "%s", au->scope.sym[i]);
		c->fetched_ms = fetched;
		c->pos_ok = pos_ok;
		c->ord_ok = ord_ok;
	}
	s->npos = keep_pos;
	s->nord = keep_ord;
	s->ncov = keep_cov;
	s->bot_ok = au->bot_ok;
	snprintf(s->bot_error, sizeof s->bot_error, "%s", au->bot_error);
	/* read during the audit, after its start: dated at the start, so an
	 * age is never shown younger than it is */
	s->bot_read_ms = au->started_ms;
	s->nbot = au->nbot;
	s->bot = xmalloc((au->nbot + 1) * sizeof *s->bot);
	if (au->nbot)
		memcpy(s->bot, au->bot, au->nbot * sizeof *s->bot);
	s->nfindings = au->nfindings;
	s->findings = xmalloc((au->nfindings + 1) * sizeof *s->findings);
	if (au->nfindings)
		memcpy(s->findings, au->findings, au->nfindings * sizeof *s->findings);
	s->clock_known = au->clock_known;
	s->clock_offset_ms = au->clock_offset_ms;
	s->pos_mode = mode;
	return s;
}

void api_hub_publish(struct api_hub *h, const struct wd_engine *e, const struct wd_audit *au)
{
	int idx = wd_engine_find(e, au->account);
	if (idx < 0)
		return;
	pthread_rwlock_rdlock(&h->rw);
	struct api_acct *a = (size_t)idx < h->nidx ? h->by_idx[idx] : NULL;
	pthread_rwlock_unlock(&h->rw);
	if (!a)
		return;
	/* only the engine thread replaces a->snap: reading it unlocked here
	 * is safe, the swap below is under mu for the readers */
	struct api_snap *s = snap_build(a->snap, au, e->acct[idx].pos_mode);
	pthread_mutex_lock(&h->mu);
	struct api_snap *old = a->snap;
	a->snap = s;
	a->seq++;
	snap_unref(old);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void api_hub_event(struct api_hub *h, size_t idx)
{
	pthread_rwlock_rdlock(&h->rw);
	struct api_acct *a = idx < h->nidx ? h->by_idx[idx] : NULL;
	pthread_rwlock_unlock(&h->rw);
	if (!a)
		return;
	pthread_mutex_lock(&h->mu);
	a->seq++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void api_hub_stop(struct api_hub *h)
{
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

bool api_eval_take(struct api_hub *h, struct api_acct *a, const char *sym, struct api_eval *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->acct = a;
	pthread_mutex_lock(&h->mu);
	bool stopping = h->stopping;
	ev->seq = a->seq;
	ev->snap = a->snap;
	if (ev->snap)
		ev->snap->refs++;
	pthread_mutex_unlock(&h->mu);
	if (stopping) {
		api_eval_release(h, ev);
		return false;
	}
	/* the stream after the snapshot: its facts are never older than the
	 * REST answers they are compared with (as the engine's audit) */
	struct rec_stream_cache *sc = xmalloc(sizeof *sc);
	pthread_rwlock_rdlock(&h->rw);
	char one[1][REC_SYM_MAX] = { "" };
	if (sym && sym[0]) /* any form the API takes: the stream's is the exchange's */
		rec_symbol_normalize(sym, one[0], sizeof one[0]);
	int rc = !a->x || a->gone ? -1
		 : sym            ? xch_stream_copy_of(a->x, (const char(*)[REC_SYM_MAX])one, 1, sc)
				  : xch_stream_copy(a->x, sc);
	pthread_rwlock_unlock(&h->rw);
	if (rc != 0) {
		free(sc);
		sc = NULL;
	} else if (sc->state == REC_SS_UP && sc->last_msg_ms < sc->connected_ms) {
		/* a quiet account sends nothing after the handshake: silent
		 * since it connected, not since 1970 (engine.c does the same) */
		sc->last_msg_ms = sc->connected_ms;
	}
	ev->stream = sc;
	ev->now_ms = wd_wall_ms();
	return true;
}

void api_eval_release(struct api_hub *h, struct api_eval *ev)
{
	free(ev->stream);
	ev->stream = NULL;
	if (ev->snap) {
		pthread_mutex_lock(&h->mu);
		snap_unref(ev->snap);
		pthread_mutex_unlock(&h->mu);
		ev->snap = NULL;
	}
}

bool api_hub_wait(struct api_hub *h, struct api_acct *a, uint64_t seen, int64_t deadline_mono_ms)
{
	pthread_mutex_lock(&h->mu);
	while (!h->stopping && a->seq == seen && wd_mono_ms() < deadline_mono_ms) {
		struct timespec ts = { .tv_sec = (time_t)(deadline_mono_ms / 1000),
				       .tv_nsec = (long)(deadline_mono_ms % 1000) * 1000000L };
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	bool ok = !h->stopping;
	pthread_mutex_unlock(&h->mu);
	return ok;
}

void api_snapshot_of(const struct api_eval *ev, const char *sym, struct rec_snapshot *s)
{
	const struct api_snap *sn = ev->snap;
	memset(s, 0, sizeof *s);
	snprintf(s->account, sizeof s->account, "%s", ev->acct->name);
	s->exchange = ev->acct->exchange;
	s->now_ms = ev->now_ms;
	s->stream = ev->stream;
	if (!sn) {
		snprintf(s->rest_error, sizeof s->rest_error, "no audit yet");
		snprintf(s->orders_error, sizeof s->orders_error, "no audit yet");
		snprintf(s->bot_error, sizeof s->bot_error, "no audit yet");
		s->rest_fetched_ms = ev->now_ms;
		return;
	}
	s->rest_pos_ok = sn->pos_ok;
	s->orders_ok = sn->ord_ok;
	s->rest_fetched_ms = sn->fetched_ms;
	snprintf(s->rest_error, sizeof s->rest_error, "%s", sn->pos_error);
	snprintf(s->orders_error, sizeof s->orders_error, "%s", sn->ord_error);
	for (size_t i = 0; sym && i < sn->ncov; i++)
		if (strcmp(sn->cov[i].sym, sym) == 0 && sn->cov[i].fetched_ms >= sn->fetched_ms) {
			s->rest_pos_ok = sn->cov[i].pos_ok;
			s->orders_ok = sn->cov[i].ord_ok;
			s->rest_fetched_ms = sn->cov[i].fetched_ms;
			if (!s->rest_pos_ok)
				snprintf(s->rest_error, sizeof s->rest_error, "the targeted check failed");
			if (!s->orders_ok)
				snprintf(s->orders_error, sizeof s->orders_error, "the targeted check failed");
		}
	s->rest_pos = sn->pos;
	s->nrest_pos = sn->npos;
	s->orders = sn->ord;
	s->norders = sn->nord;
	s->bot_ok = sn->bot_ok;
	s->bot = sn->bot;
	s->nbot = sn->nbot;
	snprintf(s->bot_error, sizeof s->bot_error, "%s", sn->bot_error);
	s->clock_known = sn->clock_known;
	s->clock_offset_ms = sn->clock_offset_ms;
	s->pos_mode = sn->pos_mode;
}
