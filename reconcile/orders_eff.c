/* The effective open orders of a snapshot: the REST listing, where a newer
 * stream state of the same order wins (cancelled, filled, moved), plus
 * stream-only open orders younger than the lag window (REST may not list
 * them yet). One home, so classification (classify.c) and the position
 * view served to the bot (view.c) judge protection from the same orders. */
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "base/xalloc.h"

static int ord_cmp(const void *a, const void *b)
{
	const struct rec_order *x = *(const struct rec_order *const *)a, *y = *(const struct rec_order *const *)b;
	if (x->is_algo != y->is_algo)
		return x->is_algo ? 1 : -1;
	return strcmp(x->id, y->id);
}

void rec_effective_orders(const struct rec_snapshot *s, const struct rec_params *p, bool stream_fresh,
			  struct rec_eff_orders *out)
{
	memset(out, 0, sizeof *out);
	const struct rec_stream_cache *sc = s->stream;
	size_t ns = (stream_fresh && sc) ? (sc->nord < REC_STREAM_MAX_ORD ? sc->nord : REC_STREAM_MAX_ORD) : 0;
	if (!s->orders_ok)
		return; /* open orders unknown: stream alone is incomplete */
	const struct rec_order **ord = xmalloc((s->norders + ns + 1) * sizeof *ord);
	for (size_t i = 0; i < s->norders; i++)
		ord[i] = &s->orders[i];
	size_t nrest = s->norders;
	qsort(ord, nrest, sizeof *ord, ord_cmp);
	size_t n = nrest, nmerged = 0;
	struct rec_order *merged = xmalloc((ns + 1) * sizeof *merged);
	/* exchange time of the REST listing minus the lag window */
	int64_t horizon = s->rest_fetched_ms + (s->clock_known ? s->clock_offset_ms : 0) - p->rest_lag_tolerance_ms;
	for (size_t i = 0; i < ns; i++) {
		const struct rec_order *so = &sc->ord[i];
		const struct rec_order *key = so;
		const struct rec_order **hit = bsearch(&key, ord, nrest, sizeof *ord, ord_cmp);
		if (hit) {
			if (so->update_ms && (*hit)->update_ms && so->update_ms > (*hit)->update_ms) {
				/* newer state (cancelled, filled, moved); a sparse stream
				 * update (Binance ALGO_UPDATE has no activation price)
				 * keeps the facts only REST stated */
				struct rec_order *m = &merged[nmerged++];
				*m = *so;
				if (m->activate_price <= 0)
					m->activate_price = (*hit)->activate_price;
				if (m->activated == REC_TRI_UNKNOWN)
					m->activated = (*hit)->activated;
				if (m->trigger_dir == REC_TRIG_UNKNOWN)
					m->trigger_dir = (*hit)->trigger_dir;
				if (!m->settle[0])
					memcpy(m->settle, (*hit)->settle, sizeof m->settle);
				*hit = m;
			}
		} else if (rec_order_is_active(so) && so->update_ms >= horizon && so->side != REC_OSIDE_UNKNOWN) {
			/* placed so recently that REST may not list it yet */
			ord[n++] = so;
		}
	}
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (rec_order_is_active(ord[i]))
			ord[w++] = ord[i];
	out->ord = ord;
	out->n = w;
	out->merged = merged;
}

void rec_eff_orders_free(struct rec_eff_orders *e)
{
	free(e->ord);
	free(e->merged);
	memset(e, 0, sizeof *e);
}
