/* Time to classify one account with 1,000 symbols and 5,000 orders (target
 * well under 5 ms). Prints "name value unit" lines. The stream is fresh,
 * REST agrees, every position has a bot row and 5 orders (a covering stop,
 * a take-profit and three resting limits), a tenth of them unprotected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconcile/reconcile.h"
#include "base/xalloc.h"

#define NSYM 1000
#define NORD 5000
#define ITER 200

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	const int64_t t0 = 1700000000000LL;
	struct rec_stream_cache *sc = xcalloc(1, sizeof *sc);
	struct rec_position *rest = xcalloc(NSYM, sizeof *rest);
	struct rec_order *ord = xcalloc(NORD, sizeof *ord);
	struct rec_bot_row *bot = xcalloc(NSYM, sizeof *bot);
	sc->state = REC_SS_UP;
	for (int i = 0; i < NSYM; i++) {
		struct rec_position p;
		memset(&p, 0, sizeof p);
		snprintf(p.symbol, sizeof p.symbol, "C%04dUSDT", i);
		p.side = i % 2 ? REC_SIDE_LONG : REC_SIDE_SHORT;
		p.size = 10 + i;
		p.entry_price = 1;
		p.mark_price = 1;
		p.seen_ms = t0;
		rec_stream_apply_position(sc, &p);
		rest[i] = p;
		rest[i].update_ms = 0;
		snprintf(bot[i].symbol, sizeof bot[i].symbol, "C%04d/USDT:USDT", i);
		snprintf(bot[i].exchange, sizeof bot[i].exchange, "binance");
		snprintf(bot[i].status, sizeof bot[i].status, "active");
		bot[i].side = p.side;
		bot[i].qty = p.size;
		for (int j = 0; j < 5; j++) {
			struct rec_order *o = &ord[i * 5 + j];
			snprintf(o->id, sizeof o->id, "%d", i * 5 + j);
			memcpy(o->symbol, p.symbol, sizeof o->symbol);
			o->status = REC_OST_NEW;
			o->side = rec_closing_side(p.side);
			o->qty = p.size;
			if (j == 0 && i % 10) {
				o->conditional = o->reduce_only = true;
				o->kind = REC_OK_STOP_LOSS;
			} else if (j == 1) {
				o->conditional = o->reduce_only = true;
				o->kind = REC_OK_TAKE_PROFIT;
			} else {
				o->side = p.side == REC_SIDE_LONG ? REC_BUY : REC_SELL; /* entries */
				o->price = 0.9;
			}
		}
	}
	struct rec_params prm;
	rec_params_default(&prm);
	snprintf(prm.bot_exchange, sizeof prm.bot_exchange, "binance");
	struct rec_snapshot s;
	memset(&s, 0, sizeof s);
	snprintf(s.account, sizeof s.account, "bench");
	s.stream = sc;
	s.rest_pos_ok = s.orders_ok = s.bot_ok = true;
	s.rest_pos = rest;
	s.nrest_pos = NSYM;
	s.orders = ord;
	s.norders = NORD;
	s.bot = bot;
	s.nbot = NSYM;
	struct rec_memory *m = rec_memory_new();
	double times[ITER];
	size_t nf = 0;
	for (int it = 0; it < ITER; it++) {
		s.now_ms = t0 + 60000 + it * 1000; /* past grace: findings are raised */
		sc->last_msg_ms = s.now_ms;
		s.rest_fetched_ms = s.now_ms;
		struct rec_finding *f;
		double a = now_ms();
		if (rec_classify(&s, &prm, m, &f, &nf) != 0)
			return 1;
		times[it] = now_ms() - a;
		free(f);
	}
	double first = times[0], sum = 0;
	for (int i = 0; i < ITER; i++)
		sum += times[i];
	qsort(times, ITER, sizeof times[0], cmpd);
	printf("classify_1000sym_5000ord_first %.3f ms\n", first);
	printf("classify_1000sym_5000ord_mean %.3f ms\n", sum / ITER);
	printf("classify_1000sym_5000ord_p50 %.3f ms\n", times[ITER / 2]);
	printf("classify_1000sym_5000ord_p99 %.3f ms\n", times[ITER * 99 / 100]);
	printf("classify_1000sym_5000ord_findings %zu count\n", nf);
	rec_memory_free(m);
	free(sc);
	free(rest);
	free(ord);
	free(bot);
	return 0;
}
