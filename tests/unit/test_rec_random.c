/* Randomized invariants (fixed seed, thousands of generated accounts):
 * - no repairable finding rests on a REST glitch / disputed view;
 * - no pos_size / pos_side ever comes from a DB row;
 * - every open position lacking a covering stop past grace yields
 *   exactly one of UNPROTECTED_POSITION (no stop) / UNDERSIZED_STOP (some
 *   stop quantity, short of the size), and only those.
 * The oracle below re-derives the exchange view independently. */
#include <math.h>

#include "tests/unit/test_rec_kit.h"

#define NSCEN 3000
#define NSYM 10

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct truth {
	bool s_has, s_auth;
	double s_size;
	enum rec_side s_side;
	double s_sl;
	bool r_has;
	double r_size;
	enum rec_side r_side;
	double r_sl;
};

static const double sizes[] = { 1, 2.5, 10, 43, 62.9 };

static void gen(struct kit *k, struct truth tr[NSYM][3], bool *hedge_out, int64_t t, int *stream_mode)
{
	bool hedge = rnd(8) == 0;
	*hedge_out = hedge;
	int mode = (int)rnd(6); /* 0-2 fresh, 3 stale, 4 down, 5 none */
	*stream_mode = mode;
	if (mode == 5)
		k->s.stream = NULL;
	else if (mode == 4)
		k->sc->state = REC_SS_DOWN;
	else if (mode == 3) {
		k->stream_live = false;
		k->sc->last_msg_ms = t - 70000; /* stale throughout */
	}
	k->sc->connected_ms = rnd(2) ? 0 : t - 10000;
	k->s.rest_pos_ok = rnd(10) != 0;
	k->s.orders_ok = rnd(10) != 0;
	k->s.bot_ok = rnd(10) != 0;
	memset(tr, 0, sizeof(struct truth) * NSYM * 3);
	for (int i = 0; i < NSYM; i++) {
		if (rnd(3) == 0)
			continue;
		char sym[REC_SYM_MAX];
		snprintf(sym, sizeof sym, "S%dUSDT", i);
		int npidx = hedge ? 2 : 1;
		for (int h = 0; h < npidx; h++) {
			enum rec_pos_idx pidx = hedge ? (h ? REC_PIDX_SHORT : REC_PIDX_LONG) : REC_PIDX_BOTH;
			struct truth *x = &tr[i][pidx];
			enum rec_side side = hedge ? (pidx == REC_PIDX_LONG ? REC_SIDE_LONG : REC_SIDE_SHORT)
						   : (rnd(2) ? REC_SIDE_LONG : REC_SIDE_SHORT);
			double size = rnd(4) == 0 ? 0 : sizes[rnd(5)];
			int sview = (int)rnd(3); /* none / same / flat */
			if (sview && k->s.stream) {
				double ss = sview == 2 ? 0 : size;
				struct rec_position p = kit_pos(sym, side, ss, t - 20000 + rnd(20000));
				p.pidx = pidx;
				p.update_ms = 0; /* REST never "newer" here */
				p.stop_loss = (ss > 0 && rnd(6) == 0) ? 0.5 : 0;
				rec_stream_apply_position(k->sc, &p);
				x->s_has = true;
				x->s_size = ss;
				x->s_side = ss > 0 ? side : REC_SIDE_UNKNOWN;
				x->s_sl = p.stop_loss;
				x->s_auth = mode <= 2 && p.seen_ms >= k->sc->connected_ms;
			}
			int rview = (int)rnd(4); /* agree / omit / other size / agree */
			double rs = rview == 1 ? 0 : rview == 2 ? sizes[rnd(5)] : size;
			if (rs > 0) {
				struct rec_position p = kit_pos(sym, side, rs, 0);
				p.pidx = pidx;
				p.update_ms = 0;
				p.stop_loss = rnd(6) == 0 ? 0.5 : 0;
				k->rest[k->nrest++] = p;
				x->r_has = true;
				x->r_size = rs;
				x->r_side = side;
				x->r_sl = p.stop_loss;
			}
		}
		int nord = (int)rnd(4);
		for (int j = 0; j < nord; j++) {
			static const enum rec_oside os[] = { REC_BUY, REC_SELL, REC_SELL, REC_BUY, REC_OSIDE_UNKNOWN };
			struct rec_order *o = kit_stop(k, sym, os[rnd(5)], rnd(3) ? sizes[rnd(5)] : 0);
			o->reduce_only = rnd(5) != 0;
			o->kind = rnd(6) == 0 ? REC_OK_TAKE_PROFIT : REC_OK_STOP_LOSS;
			o->status = rnd(8) == 0 ? REC_OST_TRIGGERING : REC_OST_NEW;
			o->position_attached = rnd(10) == 0;
			o->conditional = rnd(10) != 0;
			if (hedge)
				o->pidx = rnd(2) ? REC_PIDX_LONG : REC_PIDX_SHORT;
		}
		if (rnd(2)) {
			char bs[REC_SYM_MAX];
			snprintf(bs, sizeof bs, rnd(2) ? "S%d/USDT:USDT" : "S%dUSDT", i);
			static const char *st[] = { "active", "pending", "closed" };
			/* DB sizes never match an exchange size: a leak would show */
			kit_bot(k, bs, rnd(2) ? REC_SIDE_LONG : REC_SIDE_SHORT, 7000 + rnd(1000), st[rnd(3)]);
		}
	}
}

/* The oracle's exchange view of (sym, pidx): 1 open, 0 flat, -1 unknown. */
static int oracle_view(const struct kit *k, const struct truth *x, double *size, enum rec_side *side, double *sl,
		       bool *disputed)
{
	*disputed = false;
	if (x->s_has && x->s_auth) {
		*size = x->s_size;
		*side = x->s_side;
		*sl = x->s_sl;
		if (k->s.rest_pos_ok)
			*disputed = x->s_size > 0 ? (!x->r_has || fabs(x->r_size - x->s_size) > 1e-9 ||
						     x->r_side != x->s_side)
						  : x->r_has;
		return x->s_size > 0;
	}
	if (!k->s.rest_pos_ok)
		return -1;
	*size = x->r_has ? x->r_size : 0;
	*side = x->r_side;
	*sl = x->r_sl;
	return x->r_has;
}

static bool oracle_covered(const struct kit *k, const char *sym, enum rec_pos_idx pidx, enum rec_side side, double size,
			   double sl)
{
	enum rec_oside closing = side == REC_SIDE_LONG ? REC_SELL : REC_BUY;
	double sum = 0;
	bool full = false, attached = false;
	for (size_t i = 0; i < k->nord; i++) {
		const struct rec_order *o = &k->ord[i];
		if (strcmp(o->symbol, sym) || o->pidx != pidx)
			continue;
		if (o->position_attached)
			attached = true;
		/* a stop-loss: a conditional or attached stop that fires the
		 * losing way, beyond the mark (kit marks are 1.01) */
		bool stop = (o->position_attached || o->conditional) && o->kind == REC_OK_STOP_LOSS;
		enum rec_oside s = (o->position_attached && o->side == REC_OSIDE_UNKNOWN) ? closing : o->side;
		if (!stop || s != closing || o->status == REC_OST_TRIGGERING)
			continue; /* TRIGGERING lingers for the whole run */
		bool loss_way = side == REC_SIDE_LONG ? o->trigger_dir == REC_TRIG_FALL && o->trigger_price < 1.01
						      : o->trigger_dir == REC_TRIG_RISE && o->trigger_price > 1.01;
		if (!loss_way)
			continue;
		/* it can only reduce: the flags, or a hedge leg's closing side */
		bool hedge_close = (o->pidx == REC_PIDX_LONG && o->side == REC_SELL) ||
				   (o->pidx == REC_PIDX_SHORT && o->side == REC_BUY);
		if (!(o->reduce_only || o->close_position || o->position_attached || hedge_close))
			continue;
		if (o->position_attached || o->close_position)
			full = true;
		else
			sum += o->qty;
	}
	/* the position's own stopLoss, on the loss side of the mark */
	if (sl > 0 && !attached && (side == REC_SIDE_LONG ? sl < 1.01 : sl > 1.01))
		full = true;
	return full || sum >= size * (1 - 1e-9);
}

static void test_random_invariants(void)
{
	size_t checked_unprot = 0, repairable_seen = 0, glitches = 0;
	for (int n = 0; n < NSCEN; n++) {
		struct kit *k = kit_new(rnd(2) ? REC_EX_BINANCE : REC_EX_BYBIT);
		struct truth tr[NSYM][3];
		bool hedge;
		int mode;
		int64_t t = 1000000000LL + n;
		gen(k, tr, &hedge, t, &mode);
		kit_run(k, t);
		kit_run(k, t + 40000);
		kit_run(k, t + 80000);
		for (size_t i = 0; i < k->nf; i++) {
			const struct rec_finding *f = &k->f[i];
			int si = -1;
			if (sscanf(f->symbol, "S%dUSDT", &si) != 1 || si < 0 || si >= NSYM)
				continue;
			const struct truth *x = &tr[si][f->pidx];
			double size = 0, sl = 0;
			enum rec_side side = REC_SIDE_UNKNOWN;
			bool disputed;
			int v = oracle_view(k, x, &size, &side, &sl, &disputed);
			/* invariant 2: position facts only from stream / REST */
			if (f->pos_size > 0) {
				bool from_stream =
					x->s_has && fabs(x->s_size - f->pos_size) < 1e-9 && x->s_side == f->pos_side;
				bool from_rest =
					x->r_has && fabs(x->r_size - f->pos_size) < 1e-9 && x->r_side == f->pos_side;
				CU_ASSERT_TRUE(from_stream || from_rest);
				CU_ASSERT_TRUE(f->pos_size < 7000);
			}
			/* invariant 1: nothing repairable on a REST glitch */
			if (f->code == REC_REST_GLITCH) {
				glitches++;
				CU_ASSERT_FALSE(f->repairable);
			}
			if (f->repairable) {
				repairable_seen++;
				CU_ASSERT_FALSE(disputed);
				const struct rec_finding *g = kit_find(k, REC_REST_GLITCH, f->symbol);
				if (g) {
					fprintf(stderr, "\n  scenario %d: repairable %s beside a glitch\n", n, f->key);
					kit_dump(k);
				}
				CU_ASSERT_PTR_NULL(g);
				CU_ASSERT_NOT_EQUAL(v, -1);
			}
			if (f->code == REC_UNPROTECTED_POSITION || f->code == REC_UNDERSIZED_STOP) {
				CU_ASSERT_EQUAL(v, 1);
				bool oc = oracle_covered(k, f->symbol, f->pidx, side, size, sl);
				if (oc)
					kit_dump(k);
				CU_ASSERT_FALSE(oc);
			}
		}
		/* invariant 3: every uncovered open position is reported */
		if (k->s.orders_ok) {
			for (int si = 0; si < NSYM; si++)
				for (int pi = 0; pi < 3; pi++) {
					const struct truth *x = &tr[si][pi];
					double size = 0, sl = 0;
					enum rec_side side = REC_SIDE_UNKNOWN;
					bool disputed;
					if (oracle_view(k, x, &size, &side, &sl, &disputed) != 1)
						continue;
					char sym[REC_SYM_MAX];
					snprintf(sym, sizeof sym, "S%dUSDT", si);
					if (oracle_covered(k, sym, (enum rec_pos_idx)pi, side, size, sl))
						continue;
					checked_unprot++;
					size_t nfound = 0;
					for (size_t i = 0; i < k->nf; i++)
						nfound += (k->f[i].code == REC_UNPROTECTED_POSITION ||
							   k->f[i].code == REC_UNDERSIZED_STOP) &&
							  strcmp(k->f[i].symbol, sym) == 0 && (int)k->f[i].pidx == pi;
					bool found = nfound == 1;
					if (!found) {
						fprintf(stderr,
							"\n  scenario %d: %s pidx %d uncovered, not one "
							"UNPROTECTED/UNDERSIZED\n",
							n, sym, pi);
						kit_dump(k);
					}
					CU_ASSERT_TRUE(found);
				}
		}
		kit_free(k);
	}
	/* the generator must actually exercise each invariant */
	CU_ASSERT_TRUE(checked_unprot > 500);
	CU_ASSERT_TRUE(repairable_seen > 500);
	CU_ASSERT_TRUE(glitches > 100);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fprintf(stderr, "\n  unprotected checked %zu, repairable %zu, glitches %zu\n", checked_unprot,
			repairable_seen, glitches);
}

void test_rec_random_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_random_invariants", test_random_invariants },
		{ NULL, NULL },
	};
	tu_add_suite("rec_random", tests);
}
