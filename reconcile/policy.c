/* Findings -> plan (policy.h). Pure: the engine (repair.c) executes it. */
#include "reconcile/policy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void rec_policy_default(struct rec_policy *p)
{
	memset(p, 0, sizeof *p);
	p->mode = REC_MODE_OBSERVE;
	p->orphan_action = REC_ORPHAN_CLOSE;
	p->stop_ref = REC_STOPREF_ENTRY;
	p->stop_loss_percent = 2.0;
}

enum rec_mode rec_policy_mode(const struct rec_policy *p, enum rec_code code)
{
	for (size_t i = 0; i < p->noverrides; i++)
		if (p->overrides[i].code == code)
			return p->overrides[i].mode;
	return p->mode;
}

double rec_policy_ref_price(const struct rec_policy *p, double entry, double mark, const char **name)
{
	bool use_mark = p->stop_ref == REC_STOPREF_MARK || entry <= 0;
	if (name)
		*name = use_mark ? "mark" : "entry";
	return use_mark ? mark : entry;
}

const char *rec_mode_name(enum rec_mode m)
{
	static const char *const names[] = { "observe", "protect", "full" };
	return (unsigned)m < 3 ? names[m] : "?";
}

double rec_stop_price(enum rec_side side, double ref, double pct, double tick)
{
	if (ref <= 0 || side == REC_SIDE_UNKNOWN)
		return 0;
	double p = side == REC_SIDE_LONG ? ref * (1 - pct / 100) : ref * (1 + pct / 100);
	if (tick > 0) {
		/* the epsilon keeps 0.3/0.1 = 2.9999999 from losing a tick */
		double n = p / tick;
		n = side == REC_SIDE_LONG ? floor(n + 1e-9) : ceil(n - 1e-9);
		p = n * tick;
		/* print-stable: trim binary noise to the tick's decimals */
		int dec = 0;
		for (double t = tick; dec < 12 && fabs(t - round(t)) > 1e-9; t *= 10)
			dec++;
		double m = pow(10, dec);
		p = round(p * m) / m;
	}
	return p;
}

double rec_round_qty(double qty, double step)
{
	if (step <= 0)
		return qty;
	double n = round(qty / step);
	double q = n * step;
	int dec = 0;
	for (double t = step; dec < 12 && fabs(t - round(t)) > 1e-9; t *= 10)
		dec++;
	double m = pow(10, dec);
	return round(q * m) / m;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= '|';
	h *= 1099511628211ULL;
	return h;
}

void rec_client_id(char *out, size_t n, enum rec_action_kind k, const char *account, enum rec_exchange ex,
		   const char *symbol, enum rec_side side, int64_t epoch, int attempt)
{
	char ep[32];
	snprintf(ep, sizeof ep, "%lld", (long long)epoch);
	uint64_t h = 1469598103934665603ULL;
	h = fnv(h, account);
	h = fnv(h, rec_exchange_name(ex));
	h = fnv(h, symbol);
	h = fnv(h, rec_side_name(side));
	h = fnv(h, ep);
	char kc = k == REC_ACT_PLACE_STOP ? 's' : k == REC_ACT_CLOSE_POSITION ? 'c' : 'x';
	snprintf(out, n, "vgl-%c-%012llx-%d", kc, (unsigned long long)(h & 0xffffffffffffULL), attempt);
}

const struct xch_instrument *rec_find_instrument(const struct xch_instrument *ins, size_t n, const char *symbol)
{
	for (size_t i = 0; ins && i < n; i++)
		if (strcmp(ins[i].symbol, symbol) == 0)
			return &ins[i];
	return NULL;
}

void rec_raise(struct rec_finding *out, const struct rec_finding *about, enum rec_code code, int64_t now_ms,
	       const char *fmt, ...)
{
	memset(out, 0, sizeof *out);
	snprintf(out->account, sizeof out->account, "%s", about->account);
	out->exchange = about->exchange;
	snprintf(out->symbol, sizeof out->symbol, "%s", about->symbol);
	out->code = code;
	out->severity = rec_code_default_severity(code);
	out->stream = about->stream;
	out->rest = about->rest;
	out->db = about->db;
	out->pos_side = about->pos_side;
	out->pidx = about->pidx;
	out->pos_size = about->pos_size;
	out->entry_price = about->entry_price;
	out->mark_price = about->mark_price;
	snprintf(out->order_id, sizeof out->order_id, "%s", about->order_id);
	out->order_is_algo = about->order_is_algo;
	out->repairable = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
	out->first_seen_ms = now_ms;
	out->last_seen_ms = now_ms;
	rec_finding_make_key(out);
}

/* ---- building ---- */

struct pb {
	struct rec_plan *p;
	size_t cap;
	const struct rec_policy *pol;
	const struct xch_instrument *ins;
	size_t nins;
	int64_t now;
	bool drift; /* CONFIG_DRIFT among the findings: nothing is sent */
};

static struct rec_step *add(struct pb *b, enum rec_action_kind k, const struct rec_finding *f, enum rec_mode mode)
{
	struct rec_plan *p = b->p;
	if (p->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		p->steps = xrealloc(p->steps, b->cap * sizeof *p->steps);
	}
	struct rec_step *s = &p->steps[p->n++];
	memset(s, 0, sizeof *s);
	s->f = *f;
	s->mode = mode;
	s->pos_size = f->pos_size;
	struct rec_action *a = &s->a;
	a->kind = k;
	snprintf(a->account, sizeof a->account, "%s", b->pol->account);
	a->exchange = f->exchange;
	snprintf(a->symbol, sizeof a->symbol, "%s", f->symbol);
	a->position_side = f->pos_side;
	a->pidx = f->pidx;
	a->order_side = rec_closing_side(f->pos_side);
	snprintf(a->finding_key, sizeof a->finding_key, "%s", f->key);
	a->outcome = REC_OUT_PENDING;
	return s;
}

static void raise_f(struct pb *b, const struct rec_finding *about, enum rec_code code, const char *why)
{
	struct rec_plan *p = b->p;
	p->raised = xrealloc(p->raised, (p->nraised + 1) * sizeof *p->raised);
	rec_raise(&p->raised[p->nraised++], about, code, b->now, "%s", why);
}

static void alert_only(struct pb *b, const struct rec_finding *f, enum rec_mode mode, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void alert_only(struct pb *b, const struct rec_finding *f, enum rec_mode mode, const char *fmt, ...)
{
	struct rec_step *s = add(b, REC_ACT_ALERT_ONLY, f, mode);
	s->a.order_side = REC_OSIDE_UNKNOWN;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->a.reason, sizeof s->a.reason, fmt, ap);
	va_end(ap);
}

static void plan_stop(struct pb *b, const struct rec_finding *f, enum rec_mode mode, const char *why)
{
	const struct xch_instrument *in = rec_find_instrument(b->ins, b->nins, f->symbol);
	const char *refname;
	double ref = rec_policy_ref_price(b->pol, f->entry_price, f->mark_price, &refname);
	struct rec_step *s = add(b, REC_ACT_PLACE_STOP, f, mode);
	s->ref_price = ref;
	s->a.trigger_price = rec_stop_price(f->pos_side, ref, b->pol->stop_loss_percent, in ? in->tick : 0);
	if (f->pos_size > 0) {
		/* partly covered: only the uncovered rest (the engine re-checks it) */
		double need = f->pos_size;
		if (f->code == REC_UNDERSIZED_STOP && f->stop_qty > 0 && f->stop_qty < f->pos_size)
			need = f->pos_size - f->stop_qty;
		s->a.qty = rec_round_qty(need, in ? in->step : 0);
	} else {
		s->a.qty = 0;
		s->a.close_position = true;
	}
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_PLACE_STOP, b->pol->account, f->exchange,
		      f->symbol, f->pos_side, f->first_seen_ms, 1);
	snprintf(s->a.reason, sizeof s->a.reason, "%s: mode %s; stop %g%% off %s %g", why, rec_mode_name(mode),
		 b->pol->stop_loss_percent, refname, ref);
}

static void plan_close(struct pb *b, const struct rec_finding *f, enum rec_mode mode, const char *why)
{
	const struct xch_instrument *in = rec_find_instrument(b->ins, b->nins, f->symbol);
	struct rec_step *s = add(b, REC_ACT_CLOSE_POSITION, f, mode);
	s->a.qty = rec_round_qty(f->pos_size, in ? in->step : 0);
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_CLOSE_POSITION, b->pol->account, f->exchange,
		      f->symbol, f->pos_side, f->first_seen_ms, 1);
	snprintf(s->a.reason, sizeof s->a.reason,
		 "%s: mode full, orphan_action close; reduce-only market %s of the exchange-confirmed size", why,
		 rec_oside_name(rec_closing_side(f->pos_side)));
}

static void plan_cancel(struct pb *b, const struct rec_finding *f, enum rec_mode mode, const char *why)
{
	struct rec_step *s = add(b, REC_ACT_CANCEL_ORDER, f, mode);
	snprintf(s->a.order_id, sizeof s->a.order_id, "%s", f->order_id);
	s->a.order_is_algo = f->order_is_algo;
	s->a.order_side = REC_OSIDE_UNKNOWN; /* a cancel sends no side */
	char tag[REC_SYM_MAX + REC_ID_MAX + 2];
	snprintf(tag, sizeof tag, "%s/%s", f->symbol, f->order_id);
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_CANCEL_ORDER, b->pol->account, f->exchange, tag,
		      f->pos_side, f->first_seen_ms, 1);
	snprintf(s->a.reason, sizeof s->a.reason, "%s: mode full; cancel order %s", why, f->order_id);
}

static bool needs_position(enum rec_code c)
{
	return c == REC_ORPHAN_POSITION || c == REC_UNPROTECTED_POSITION || c == REC_UNDERSIZED_STOP;
}

static void plan_one(struct pb *b, const struct rec_finding *f)
{
	enum rec_mode mode = rec_policy_mode(b->pol, f->code);
	const char *code = rec_code_name(f->code);
	char why[128];
	snprintf(why, sizeof why, "%s %s", code, f->symbol);

	if (needs_position(f->code) && f->pos_side == REC_SIDE_UNKNOWN) {
		/* AVLUSDT: a side-less close doubled the position */
		raise_f(b, f, REC_UNKNOWN_SIDE,
			"position side unknown: nothing may be sent; check the position by hand");
		alert_only(b, f, mode, "%s: position side UNKNOWN, nothing sent", why);
		return;
	}
	if (b->drift) {
		alert_only(b, f, mode,
			   "%s: the exchange's position mode differs from the config (CONFIG_DRIFT); alert only", why);
		return;
	}
	if (!f->repairable) {
		alert_only(b, f, mode, "%s: not repairable (%s); alert only", why,
			   f->detail[0] ? f->detail : "facts not confirmed by the exchange");
		return;
	}
	if (mode == REC_MODE_OBSERVE) {
		alert_only(b, f, mode, "%s: mode observe; alert only", why);
		return;
	}
	switch (f->code) {
	case REC_ORPHAN_POSITION:
		if (mode == REC_MODE_FULL && b->pol->orphan_action == REC_ORPHAN_CLOSE)
			plan_close(b, f, mode, why);
		else if (f->stop_qty > 0 && f->stop_qty + 1e-12 >= f->pos_size)
			alert_only(b, f, mode, "%s: mode %s; already covered by a stop; alert only", why,
				   rec_mode_name(mode));
		else
			plan_stop(b, f, mode, why);
		return;
	/* partly covered: a top-up stop for the uncovered rest */
	case REC_UNPROTECTED_POSITION:
	case REC_UNDERSIZED_STOP: plan_stop(b, f, mode, why); return;
	case REC_ORPHAN_ORDER:
	case REC_DUPLICATE_STOP:
	case REC_WRONG_SIDE_STOP:
		if (mode == REC_MODE_FULL && f->order_id[0])
			plan_cancel(b, f, mode, why);
		else
			alert_only(b, f, mode, "%s: mode %s does not cancel orders; alert only", why,
				   rec_mode_name(mode));
		return;
	default: alert_only(b, f, mode, "%s: no automatic repair for %s; alert only", why, code); return;
	}
}

static int kind_rank(enum rec_action_kind k)
{
	switch (k) {
	case REC_ACT_CLOSE_POSITION: return 0;
	case REC_ACT_PLACE_STOP: return 1;
	case REC_ACT_CANCEL_ORDER: return 2;
	default: return 3;
	}
}

static int step_cmp(const void *x, const void *y)
{
	const struct rec_step *a = x, *b = y;
	int d = kind_rank(a->a.kind) - kind_rank(b->a.kind);
	if (d)
		return d;
	d = strcmp(a->a.symbol, b->a.symbol);
	if (d)
		return d;
	return a->f.code - b->f.code;
}

static bool same_pos(const struct rec_step *a, const struct rec_step *b)
{
	return strcmp(a->a.symbol, b->a.symbol) == 0 && a->a.pidx == b->a.pidx && a->a.exchange == b->a.exchange;
}

/* One stop per position; a close supersedes a stop; one cancel per order. */
static void dedupe(struct rec_plan *p)
{
	size_t w = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct rec_step *s = &p->steps[i];
		bool drop = false;
		for (size_t j = 0; j < w && !drop; j++) {
			struct rec_step *t = &p->steps[j];
			if (s->a.kind == REC_ACT_PLACE_STOP && same_pos(s, t) &&
			    (t->a.kind == REC_ACT_PLACE_STOP || t->a.kind == REC_ACT_CLOSE_POSITION))
				drop = true;
			if (s->a.kind == REC_ACT_CLOSE_POSITION && t->a.kind == REC_ACT_CLOSE_POSITION &&
			    same_pos(s, t))
				drop = true;
			if (s->a.kind == REC_ACT_CANCEL_ORDER && t->a.kind == REC_ACT_CANCEL_ORDER &&
			    strcmp(s->a.order_id, t->a.order_id) == 0)
				drop = true;
		}
		if (!drop)
			p->steps[w++] = *s;
	}
	p->n = w;
}

int rec_plan_build(const struct rec_policy *pol, const struct rec_finding *f, size_t nf,
		   const struct xch_instrument *ins, size_t nins, int64_t now_ms, struct rec_plan *out)
{
	memset(out, 0, sizeof *out);
	struct pb b = { .p = out, .pol = pol, .ins = ins, .nins = nins, .now = now_ms };
	for (size_t i = 0; i < nf; i++)
		b.drift |= f[i].code == REC_CONFIG_DRIFT;
	for (size_t i = 0; i < nf; i++)
		plan_one(&b, &f[i]);
	if (out->n > 1)
		qsort(out->steps, out->n, sizeof *out->steps, step_cmp);
	dedupe(out);
	return 0;
}

void rec_plan_free(struct rec_plan *p)
{
	free(p->steps);
	free(p->raised);
	memset(p, 0, sizeof *p);
}

char *rec_plan_format(const struct rec_plan *p)
{
	size_t cap = 256 + (p->n + p->nraised) * 1024, len = 0;
	char *s = xmalloc(cap);
	s[0] = '\0';
#define OUT(...)                                                            \
	do {                                                                \
		if (len < cap) {                                            \
			int k_ = snprintf(s + len, cap - len, __VA_ARGS__); \
			if (k_ > 0)                                         \
				len += (size_t)k_;                          \
		}                                                           \
	} while (0)
	if (!p->n)
		OUT("plan: nothing to do\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct rec_action *a = &p->steps[i].a;
		OUT("%zu. %s %s %s %s", i + 1, rec_action_kind_name(a->kind), a->account,
		    rec_exchange_name(a->exchange), a->symbol[0] ? a->symbol : "-");
		switch (a->kind) {
		case REC_ACT_PLACE_STOP:
			OUT(" %s stop trigger %.10g qty %s%.10g (position %s %.10g) client %s",
			    rec_oside_name(a->order_side), a->trigger_price, a->close_position ? "close-position " : "",
			    a->qty, rec_side_name(a->position_side), p->steps[i].pos_size, a->client_id);
			break;
		case REC_ACT_CLOSE_POSITION:
			OUT(" %s %.10g reduce-only market (position %s) client %s", rec_oside_name(a->order_side),
			    a->qty, rec_side_name(a->position_side), a->client_id);
			break;
		case REC_ACT_CANCEL_ORDER: OUT(" order %s%s", a->order_id, a->order_is_algo ? " (algo)" : ""); break;
		default: break;
		}
		OUT("\n   why: %s\n", a->reason);
	}
	for (size_t i = 0; i < p->nraised; i++)
		OUT("! %s %s %s: %s\n", rec_severity_name(p->raised[i].severity), rec_code_name(p->raised[i].code),
		    p->raised[i].symbol, p->raised[i].detail);
#undef OUT
	return s;
}
