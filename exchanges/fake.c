/* The fake exchange (fake.h). One-way mode only: positions are keyed by
 * symbol. Every entry point logs itself before answering, so tests can
 * assert what was sent and, above all, what was never sent. */
#include "exchanges/fake.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct fake_pos {
	struct rec_position p;
	bool used;
};

struct fake_ord {
	struct rec_order o;
	int64_t visible_at;
};

struct fake_err {
	char op[16];
	enum xch_rc rc;
	long code;
};

struct fake {
	const struct rec_clock *clk;
	struct fake_pos pos[FAKE_MAX_POS];      /* exchange truth */
	struct rec_position spos[FAKE_MAX_POS]; /* stream view */
	size_t nspos;
	enum rec_stream_state sstate;
	bool mirror;
	int rest_hide;
	struct fake_ord ord[FAKE_MAX_ORD];
	size_t nord;
	struct fake_err errq[FAKE_MAX_ERRQ];
	size_t nerr;
	struct fake_call calls[FAKE_MAX_CALLS];
	size_t ncalls;
	int64_t vis_delay;
	bool close_noop, close_expires, stop_lost;
	struct xch_instrument ins[FAKE_MAX_POS];
	size_t nins;
	unsigned next_id;
	enum rec_pos_mode mode; /* what position_mode answers */
	char lose_op[16];       /* the next `lose` calls of this op act, then time out */
	int lose;
};

static struct fake *F(struct xch *x)
{
	return x->priv;
}
static int64_t now(struct fake *f)
{
	return rec_now(f->clk);
}

static struct fake_call *logc(struct fake *f, const char *op, const char *symbol)
{
	static struct fake_call sink;
	struct fake_call *c = f->ncalls < FAKE_MAX_CALLS ? &f->calls[f->ncalls++] : &sink;
	memset(c, 0, sizeof *c);
	snprintf(c->op, sizeof c->op, "%s", op);
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol ? symbol : "");
	return c;
}

/* Pops the first queued error for op; XCH_OK if none. */
static int popq(struct fake *f, const char *op, struct xch_err *err)
{
	for (size_t i = 0; i < f->nerr; i++) {
		if (strcmp(f->errq[i].op, op) != 0)
			continue;
		struct fake_err e = f->errq[i];
		memmove(&f->errq[i], &f->errq[i + 1], (f->nerr - i - 1) * sizeof e);
		f->nerr--;
		if (err) {
			memset(err, 0, sizeof *err);
			err->rc = e.rc;
			err->code = e.code;
			snprintf(err->msg, sizeof err->msg, "fake %s: injected %ld", op, e.code);
		}
		return e.rc;
	}
	return XCH_OK;
}

static int fail(struct xch_err *err, enum xch_rc rc, long code, const char *msg)
{
	if (err) {
		memset(err, 0, sizeof *err);
		err->rc = rc;
		err->code = code;
		snprintf(err->msg, sizeof err->msg, "%s", msg);
	}
	return rc;
}

/* The exchange acted, but the answer is lost (timeout after the fact). */
static int answered(struct fake *f, const char *op, struct fake_call *c, struct xch_err *err)
{
	if (f->lose > 0 && strcmp(f->lose_op, op) == 0) {
		f->lose--;
		return c->rc = fail(err, XCH_TIMEOUT, 0, "answer lost after the exchange acted");
	}
	return XCH_OK;
}

void fake_lose_answers(struct xch *x, const char *op, int n)
{
	struct fake *f = x->priv;
	snprintf(f->lose_op, sizeof f->lose_op, "%s", op);
	f->lose = n;
}

static struct fake_pos *find_pos(struct fake *f, const char *symbol)
{
	for (int i = 0; i < FAKE_MAX_POS; i++)
		if (f->pos[i].used && strcmp(f->pos[i].p.symbol, symbol) == 0)
			return &f->pos[i];
	return NULL;
}

static struct rec_position *find_spos(struct fake *f, const char *symbol, bool add)
{
	for (size_t i = 0; i < f->nspos; i++)
		if (strcmp(f->spos[i].symbol, symbol) == 0)
			return &f->spos[i];
	if (!add || f->nspos == FAKE_MAX_POS)
		return NULL;
	struct rec_position *p = &f->spos[f->nspos++];
	memset(p, 0, sizeof *p);
	snprintf(p->symbol, sizeof p->symbol, "%s", symbol);
	return p;
}

static void stream_put(struct fake *f, const char *symbol, enum rec_side side, double size)
{
	struct rec_position *p = find_spos(f, symbol, true);
	if (!p)
		return;
	p->side = size > 0 ? side : REC_SIDE_UNKNOWN;
	p->size = size;
	p->seen_ms = now(f);
	p->update_ms = now(f);
	p->sources = REC_SRC_STREAM;
}

static void set_pos(struct fake *f, const char *symbol, enum rec_side side, double size, bool keep_prices)
{
	struct fake_pos *fp = find_pos(f, symbol);
	if (size <= 0) {
		if (fp)
			fp->used = false;
	} else {
		if (!fp) {
			for (int i = 0; i < FAKE_MAX_POS && !fp; i++)
				if (!f->pos[i].used)
					fp = &f->pos[i];
			if (!fp)
				return;
			memset(fp, 0, sizeof *fp);
			fp->used = true;
			snprintf(fp->p.symbol, sizeof fp->p.symbol, "%s", symbol);
		}
		(void)keep_prices;
		fp->p.side = side;
		fp->p.size = size;
		fp->p.update_ms = now(f);
		fp->p.sources = REC_SRC_REST;
	}
	if (f->mirror)
		stream_put(f, symbol, side, size);
}

static bool visible(struct fake *f, const struct fake_ord *o)
{
	return now(f) >= o->visible_at;
}

static struct fake_ord *find_ord(struct fake *f, const char *id, const char *cid)
{
	for (size_t i = 0; i < f->nord; i++) {
		if (id && id[0] && strcmp(f->ord[i].o.id, id) == 0)
			return &f->ord[i];
		if ((!id || !id[0]) && cid && cid[0] && strcmp(f->ord[i].o.client_id, cid) == 0)
			return &f->ord[i];
	}
	return NULL;
}

static struct fake_ord *new_ord(struct fake *f)
{
	if (f->nord == FAKE_MAX_ORD)
		return NULL;
	struct fake_ord *o = &f->ord[f->nord++];
	memset(o, 0, sizeof *o);
	snprintf(o->o.id, sizeof o->o.id, "F%u", ++f->next_id);
	o->o.created_ms = now(f);
	o->o.update_ms = now(f);
	o->o.sources = REC_SRC_REST;
	return o;
}

/* ---- public scripting ---- */

void fake_set_position(struct xch *x, const char *symbol, enum rec_side side, double size, double entry, double mark)
{
	struct fake *f = F(x);
	set_pos(f, symbol, side, size, false);
	struct fake_pos *fp = find_pos(f, symbol);
	if (fp) {
		fp->p.entry_price = entry;
		fp->p.mark_price = mark;
	}
	struct rec_position *sp = find_spos(f, symbol, false);
	if (sp && f->mirror) {
		sp->entry_price = entry;
		sp->mark_price = mark;
	}
}

void fake_set_mark(struct xch *x, const char *symbol, double mark)
{
	struct fake *f = F(x);
	struct fake_pos *fp = find_pos(f, symbol);
	if (fp)
		fp->p.mark_price = mark;
	struct rec_position *sp = find_spos(f, symbol, false);
	if (sp)
		sp->mark_price = mark;
}

void fake_stream_set(struct xch *x, const char *symbol, enum rec_side side, double size)
{
	stream_put(F(x), symbol, side, size);
}

void fake_stream_forget(struct xch *x, const char *symbol)
{
	struct fake *f = F(x);
	struct rec_position *p = find_spos(f, symbol, false);
	if (!p)
		return;
	size_t i = (size_t)(p - f->spos);
	memmove(&f->spos[i], &f->spos[i + 1], (f->nspos - i - 1) * sizeof *p);
	f->nspos--;
}

void fake_stream_state(struct xch *x, enum rec_stream_state st)
{
	F(x)->sstate = st;
}
void fake_stream_mirror(struct xch *x, bool on)
{
	F(x)->mirror = on;
}
void fake_rest_hide_positions(struct xch *x, int n)
{
	F(x)->rest_hide = n;
}
void fake_set_visibility_delay(struct xch *x, int64_t ms)
{
	F(x)->vis_delay = ms;
}
void fake_set_close_noop(struct xch *x, bool on)
{
	F(x)->close_noop = on;
}
void fake_set_stop_lost(struct xch *x, bool on)
{
	F(x)->stop_lost = on;
}
void fake_set_close_expires(struct xch *x, bool on)
{
	F(x)->close_expires = on;
}

int fake_add_order(struct xch *x, const struct rec_order *o)
{
	struct fake *f = F(x);
	struct fake_ord *n = new_ord(f);
	if (!n)
		return -1;
	char id[REC_ID_MAX];
	memcpy(id, n->o.id, sizeof id);
	n->o = *o;
	if (!o->id[0])
		memcpy(n->o.id, id, sizeof id);
	if (n->o.status == REC_OST_UNKNOWN)
		n->o.status = REC_OST_NEW;
	return (int)(n - f->ord);
}

const struct rec_order *fake_find_order(struct xch *x, const char *id, const char *client_id)
{
	struct fake_ord *o = find_ord(F(x), id, client_id);
	return o ? &o->o : NULL;
}

size_t fake_count_open(struct xch *x, const char *symbol)
{
	struct fake *f = F(x);
	size_t n = 0;
	for (size_t i = 0; i < f->nord; i++)
		if (f->ord[i].o.status == REC_OST_NEW && (!symbol || strcmp(f->ord[i].o.symbol, symbol) == 0))
			n++;
	return n;
}

void fake_inject(struct xch *x, const char *op, enum xch_rc rc, long code)
{
	struct fake *f = F(x);
	if (f->nerr == FAKE_MAX_ERRQ)
		return;
	snprintf(f->errq[f->nerr].op, sizeof f->errq[f->nerr].op, "%s", op);
	f->errq[f->nerr].rc = rc;
	f->errq[f->nerr].code = code;
	f->nerr++;
}

void fake_set_instrument(struct xch *x, const char *symbol, double tick, double step)
{
	struct fake *f = F(x);
	if (f->nins == FAKE_MAX_POS)
		return;
	struct xch_instrument *i = &f->ins[f->nins++];
	memset(i, 0, sizeof *i);
	snprintf(i->symbol, sizeof i->symbol, "%s", symbol);
	i->tick = tick;
	i->step = step;
	i->min_qty = step;
}

const struct fake_call *fake_calls(struct xch *x, size_t *n)
{
	*n = F(x)->ncalls;
	return F(x)->calls;
}

size_t fake_count_calls(struct xch *x, const char *op, const char *symbol)
{
	struct fake *f = F(x);
	size_t n = 0;
	for (size_t i = 0; i < f->ncalls; i++)
		if (strcmp(f->calls[i].op, op) == 0 && (!symbol || strcmp(f->calls[i].symbol, symbol) == 0))
			n++;
	return n;
}

double fake_position_size(struct xch *x, const char *symbol, enum rec_side *side)
{
	struct fake_pos *fp = find_pos(F(x), symbol);
	if (side)
		*side = fp ? fp->p.side : REC_SIDE_UNKNOWN;
	return fp ? fp->p.size : 0;
}

/* ---- xch_ops ---- */

static int f_server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "server_time", NULL);
	c->rc = popq(f, "server_time", err);
	if (c->rc == XCH_OK)
		*ms = now(f);
	return c->rc;
}

static int f_instruments(struct xch *x, struct xch_instrument **out, size_t *n, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "instruments", NULL);
	*out = NULL;
	*n = 0;
	c->rc = popq(f, "instruments", err);
	if (c->rc != XCH_OK)
		return c->rc;
	*out = xcalloc(f->nins + 1, sizeof **out);
	memcpy(*out, f->ins, f->nins * sizeof **out);
	*n = f->nins;
	return XCH_OK;
}

static int f_positions(struct xch *x, struct rec_position **out, size_t *n, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "positions", NULL);
	*out = NULL;
	*n = 0;
	c->rc = popq(f, "positions", err);
	if (c->rc != XCH_OK)
		return c->rc;
	if (f->rest_hide > 0) {
		f->rest_hide--;
		return XCH_OK;
	}
	*out = xcalloc(FAKE_MAX_POS, sizeof **out);
	for (int i = 0; i < FAKE_MAX_POS; i++)
		if (f->pos[i].used)
			(*out)[(*n)++] = f->pos[i].p;
	return XCH_OK;
}

static int f_open_orders(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "open_orders", NULL);
	*out = NULL;
	*n = 0;
	c->rc = popq(f, "open_orders", err);
	if (c->rc != XCH_OK)
		return c->rc;
	*out = xcalloc(f->nord + 1, sizeof **out);
	for (size_t i = 0; i < f->nord; i++)
		if (f->ord[i].o.status == REC_OST_NEW && visible(f, &f->ord[i]))
			(*out)[(*n)++] = f->ord[i].o;
	return XCH_OK;
}

static int f_fetch_listing(struct xch *x, struct xch_listing *out)
{
	memset(out, 0, sizeof *out);
	out->pos_rc = f_positions(x, &out->pos, &out->npos, &out->pos_err);
	out->ord_rc = f_open_orders(x, &out->ord, &out->nord, &out->ord_err);
	out->fetched_ms = now(F(x));
	return out->pos_rc != XCH_OK ? out->pos_rc : out->ord_rc;
}

static int f_get_order(struct xch *x, const char *symbol, const char *id, const char *client_id, bool is_algo,
		       struct rec_order *out, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "get_order", symbol);
	snprintf(c->id, sizeof c->id, "%s", id ? id : "");
	snprintf(c->client_id, sizeof c->client_id, "%s", client_id ? client_id : "");
	c->rc = popq(f, "get_order", err);
	if (c->rc != XCH_OK)
		return c->rc;
	struct fake_ord *o = find_ord(f, id, client_id);
	if (!o || !visible(f, o))
		return c->rc = fail(err, XCH_UNKNOWN_ORDER, -2013, "Order does not exist.");
	*out = o->o;
	return XCH_OK;
}

static void closing_sides(enum rec_side ps, enum rec_oside *os)
{
	*os = rec_closing_side(ps);
}

static int f_close(struct xch *x, const struct xch_close_req *req, struct xch_ack *ack, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "close", req->symbol);
	enum rec_oside os;
	closing_sides(req->position_side, &os);
	c->side = os;
	c->position_side = req->position_side;
	c->qty = req->qty;
	snprintf(c->client_id, sizeof c->client_id, "%s", req->client_id);
	memset(ack, 0, sizeof *ack);
	if (os == REC_OSIDE_UNKNOWN)
		return c->rc = fail(err, XCH_REJECTED, -1102, "side unknown");
	c->rc = popq(f, "close", err);
	if (c->rc != XCH_OK)
		return c->rc;
	struct fake_pos *fp = find_pos(f, req->symbol);
	if (!fp)
		return c->rc = fail(err, XCH_REDUCE_ONLY, -2022, "ReduceOnly Order is rejected.");
	/* a reduce-only order on the side that would grow the position */
	if (fp->p.side != req->position_side)
		return c->rc = fail(err, XCH_REDUCE_ONLY, -2022, "ReduceOnly Order is rejected.");
	/* Binance -4118: resting reduce-only orders already claim the size */
	for (size_t i = 0; i < f->nord; i++) {
		struct rec_order *o = &f->ord[i].o;
		if (o->status == REC_OST_NEW && !o->conditional && o->reduce_only &&
		    strcmp(o->symbol, req->symbol) == 0)
			return c->rc = fail(
				       err, XCH_REDUCE_ONLY, -4118,
				       "ReduceOnly Order Failed. Please check your existing position and open orders.");
	}
	struct fake_ord *o = new_ord(f);
	if (!o)
		return c->rc = fail(err, XCH_SERVER, -1000, "fake full");
	snprintf(o->o.symbol, sizeof o->o.symbol, "%s", req->symbol);
	snprintf(o->o.client_id, sizeof o->o.client_id, "%s", req->client_id);
	snprintf(o->o.type, sizeof o->o.type, "MARKET");
	o->o.side = os;
	o->o.reduce_only = true;
	o->o.qty = req->qty;
	o->o.filled = req->qty < fp->p.size ? req->qty : fp->p.size;
	o->o.status = REC_OST_FILLED;
	o->visible_at = now(f) + f->vis_delay;
	if (f->close_expires) {
		o->o.status = REC_OST_EXPIRED;
		o->o.filled = 0;
	} else if (!f->close_noop)
		set_pos(f, req->symbol, fp->p.side, fp->p.size - o->o.filled, true);
	/* minimal answer, like Bybit: only the ids */
	snprintf(ack->id, sizeof ack->id, "%s", o->o.id);
	snprintf(ack->client_id, sizeof ack->client_id, "%s", req->client_id);
	snprintf(c->id, sizeof c->id, "%s", o->o.id);
	return answered(f, "close", c, err);
}

static int f_stop(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "stop", req->symbol);
	enum rec_oside os;
	closing_sides(req->position_side, &os);
	c->side = os;
	c->position_side = req->position_side;
	c->qty = req->qty;
	c->trigger = req->trigger_price;
	snprintf(c->client_id, sizeof c->client_id, "%s", req->client_id);
	memset(ack, 0, sizeof *ack);
	if (os == REC_OSIDE_UNKNOWN)
		return c->rc = fail(err, XCH_REJECTED, -1102, "side unknown");
	c->rc = popq(f, "stop", err);
	if (c->rc != XCH_OK)
		return c->rc;
	struct fake_pos *fp = find_pos(f, req->symbol);
	double mark = fp ? fp->p.mark_price : 0;
	if (mark > 0 &&
	    ((os == REC_SELL && req->trigger_price >= mark) || (os == REC_BUY && req->trigger_price <= mark)))
		return c->rc = fail(err, XCH_WOULD_TRIGGER, -2021, "Order would immediately trigger.");
	for (size_t i = 0; i < f->nord; i++)
		if (f->ord[i].o.status == REC_OST_NEW && req->client_id[0] &&
		    strcmp(f->ord[i].o.client_id, req->client_id) == 0)
			return c->rc = fail(err, XCH_DUPLICATE, -4116, "ClientOrderId is duplicated.");
	struct fake_ord *o = new_ord(f);
	if (!o)
		return c->rc = fail(err, XCH_SERVER, -1000, "fake full");
	snprintf(o->o.symbol, sizeof o->o.symbol, "%s", req->symbol);
	snprintf(o->o.client_id, sizeof o->o.client_id, "%s", req->client_id);
	/* as each exchange lists vigil's own stop: a Binance STOP_MARKET algo
	 * order, a Bybit conditional "Stop" with closeOnTrigger */
	bool bybit = x->cfg.exchange == REC_EX_BYBIT;
	snprintf(o->o.type, sizeof o->o.type, "%s", bybit ? "Stop" : "STOP_MARKET");
	o->o.side = os;
	o->o.kind = bybit ? REC_OK_CONDITIONAL : REC_OK_STOP_LOSS;
	o->o.close_on_trigger = bybit;
	o->o.conditional = true;
	o->o.is_algo = x->cfg.exchange == REC_EX_BINANCE;
	/* Binance semantics: a STOP_MARKET SELL fires on a fall, BUY on a
	 * rise; a hedge leg's stop carries positionSide and no reduceOnly */
	o->o.trigger_dir = os == REC_SELL ? REC_TRIG_FALL : REC_TRIG_RISE;
	o->o.pidx = req->pidx;
	o->o.reduce_only = req->pidx == REC_PIDX_BOTH;
	o->o.close_position = req->qty <= 0;
	o->o.qty = req->qty;
	o->o.trigger_price = req->trigger_price;
	o->o.status = f->stop_lost ? REC_OST_EXPIRED : REC_OST_NEW;
	o->visible_at = now(f) + f->vis_delay;
	snprintf(ack->id, sizeof ack->id, "%s", o->o.id);
	snprintf(ack->client_id, sizeof ack->client_id, "%s", req->client_id);
	ack->is_algo = o->o.is_algo;
	snprintf(c->id, sizeof c->id, "%s", o->o.id);
	return answered(f, "stop", c, err);
}

static int f_cancel(struct xch *x, const char *symbol, const char *id, bool is_algo, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "cancel", symbol);
	snprintf(c->id, sizeof c->id, "%s", id);
	c->rc = popq(f, "cancel", err);
	if (c->rc != XCH_OK)
		return c->rc;
	struct fake_ord *o = find_ord(f, id, NULL);
	if (!o || o->o.status != REC_OST_NEW)
		return c->rc = fail(err, XCH_UNKNOWN_ORDER, -2011, "Unknown order sent.");
	o->o.status = REC_OST_CANCELED;
	o->o.update_ms = now(f);
	return answered(f, "cancel", c, err);
}

static int f_stream_start(struct xch *x, struct xch_err *err)
{
	F(x)->sstate = REC_SS_UP;
	return XCH_OK;
}

static void f_stream_stop(struct xch *x)
{
	F(x)->sstate = REC_SS_DOWN;
}

static int f_stream_copy(struct xch *x, struct rec_stream_cache *out)
{
	struct fake *f = F(x);
	logc(f, "stream", NULL);
	out->state = f->sstate;
	out->connected_ms = 0;
	out->last_msg_ms = now(f); /* always fresh while UP */
	out->last_event_ms = now(f);
	out->reconnects = 0;
	out->npos = f->nspos;
	memcpy(out->pos, f->spos, f->nspos * sizeof f->spos[0]);
	out->nord = 0;
	return 0;
}

static void f_destroy(struct xch *x)
{
	free(x->priv);
	free(x);
}

static int f_position_mode(struct xch *x, enum rec_pos_mode *out, struct xch_err *err)
{
	struct fake *f = F(x);
	struct fake_call *c = logc(f, "position_mode", "");
	c->rc = popq(f, "position_mode", err);
	if (c->rc != XCH_OK)
		return c->rc;
	*out = f->mode;
	return XCH_OK;
}

void fake_set_position_mode(struct xch *x, enum rec_pos_mode m)
{
	F(x)->mode = m;
}

static const struct xch_ops fake_ops = {
	.name = "fake",
	.server_time = f_server_time,
	.instruments = f_instruments,
	.positions = f_positions,
	.open_orders = f_open_orders,
	.fetch_listing = f_fetch_listing,
	.get_order = f_get_order,
	.close_position = f_close,
	.place_stop = f_stop,
	.cancel_order = f_cancel,
	.stream_start = f_stream_start,
	.stream_stop = f_stream_stop,
	.destroy = f_destroy,
	.stream_copy = f_stream_copy,
	.position_mode = f_position_mode,
};

struct xch *fake_new(enum rec_exchange ex, const char *account, const struct rec_clock *clk)
{
	struct xch *x = xcalloc(1, sizeof *x);
	struct fake *f = xcalloc(1, sizeof *f);
	x->ops = &fake_ops;
	x->cfg.exchange = ex;
	snprintf(x->cfg.account, sizeof x->cfg.account, "%s", account);
	x->limits.used_weight_1m = -1;
	x->limits.limit_status = -1;
	x->limits.limit = -1;
	x->priv = f;
	f->clk = clk;
	f->mirror = true;
	f->sstate = REC_SS_UP;
	return x;
}
