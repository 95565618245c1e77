/* The reconcile stream cache (reconcile/model_stream.c) under random
 * sequences of position and order updates, checked against a shadow model
 * of the documented rules:
 * - after an applied update, find() returns it (flat = size 0, side UNKNOWN);
 * - an update is ignored (1) only when the cached entry is newer
 *   (seq first, then update_ms) or, for orders, a finished order would be
 *   resurrected by a NEW with the same time;
 * - an open position / an unfinished order is never evicted, and "full" (-1)
 *   is answered only when nothing can be evicted;
 * - no two entries for the same (symbol, pidx) / (id, is_algo).
 * Input bytes: a stream of ops; a "burst" op adds many distinct symbols so
 * the 1024 / 2048 caps are reached quickly. */
#include "reconcile/model.h"
#include "tests/fuzz/fuzz_util.h"

#define NSYM 8
#define NID 8

static struct rec_stream_cache cache;

/* shadow: last accepted state per small key */
static struct rec_position spos[NSYM][3];
static bool spos_set[NSYM][3];
static struct rec_order sord[NID][2];
static bool sord_set[NID][2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static bool done(enum rec_order_status s)
{
	return s == REC_OST_FILLED || s == REC_OST_CANCELED || s == REC_OST_REJECTED || s == REC_OST_EXPIRED ||
	       s == REC_OST_TRIGGERED;
}

static int newer(int64_t aseq, int64_t ams, int64_t bseq, int64_t bms)
{
	if (aseq && bseq && aseq != bseq)
		return aseq > bseq ? 1 : -1;
	if (ams && bms && ams != bms)
		return ams > bms ? 1 : -1;
	return 0;
}

static size_t open_positions(void)
{
	size_t n = 0;
	for (size_t i = 0; i < cache.npos; i++)
		n += cache.pos[i].size > 0;
	return n;
}

static size_t open_orders(void)
{
	size_t n = 0;
	for (size_t i = 0; i < cache.nord; i++)
		n += !done(cache.ord[i].status);
	return n;
}

static void make_pos(struct fuzz_in *in, struct rec_position *p, const char *sym)
{
	memset(p, 0, sizeof *p);
	snprintf(p->symbol, sizeof p->symbol, "%s", sym);
	uint8_t b = fuzz_u8(in);
	p->pidx = (enum rec_pos_idx)(b % 3);
	p->side = (enum rec_side)((b >> 2) % 3);
	uint8_t sz = fuzz_u8(in);
	p->size = sz < 64 ? 0 : sz / 16.0;
	p->seq = fuzz_u8(in) % 6; /* small: ties and zeros happen */
	p->update_ms = fuzz_u8(in) % 6;
	p->seen_ms = fuzz_u32(in);
	p->entry_price = 100;
}

static void make_ord(struct fuzz_in *in, struct rec_order *o, const char *id)
{
	memset(o, 0, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s", id);
	uint8_t b = fuzz_u8(in);
	o->is_algo = b & 1;
	o->side = (enum rec_oside)((b >> 1) % 3);
	o->status = (enum rec_order_status)((b >> 3) % (REC_OST_TRIGGERED + 1));
	if (!(fuzz_u8(in) & 3))
		o->symbol[0] = '\0';
	else
		snprintf(o->symbol, sizeof o->symbol, "S%u", fuzz_u8(in) % NSYM);
	o->update_ms = fuzz_u8(in) % 6;
	o->qty = 1;
}

static void check_position_key(int s, int k)
{
	char sym[8];
	snprintf(sym, sizeof sym, "S%d", s);
	const struct rec_position *c = rec_stream_find_position(&cache, sym, (enum rec_pos_idx)k);
	if (!spos_set[s][k])
		return;
	if (spos[s][k].size > 0) {
		FUZZ_CHECK(c != NULL); /* an open position is never evicted */
	}
	if (c) {
		FUZZ_CHECK(c->size == spos[s][k].size);
		FUZZ_CHECK(c->seq == spos[s][k].seq && c->update_ms == spos[s][k].update_ms);
		FUZZ_CHECK(c->sources & REC_SRC_STREAM);
		if (c->size == 0)
			FUZZ_CHECK(c->side == REC_SIDE_UNKNOWN);
	}
}

static void op_position(struct fuzz_in *in)
{
	int s = fuzz_u8(in) % NSYM;
	char sym[8];
	struct rec_position p;
	snprintf(sym, sizeof sym, "S%d", s);
	make_pos(in, &p, sym);
	int k = (int)p.pidx;
	size_t open_before = open_positions(), n_before = cache.npos;
	const struct rec_position *cur = rec_stream_find_position(&cache, sym, p.pidx);
	struct rec_position old;
	bool had = cur != NULL;
	if (had)
		old = *cur;

	int rc = rec_stream_apply_position(&cache, &p);
	if (had) {
		int nw = newer(p.seq, p.update_ms, old.seq, old.update_ms);
		FUZZ_CHECK(rc == (nw < 0 ? 1 : 0));
	} else if (rc == -1) {
		FUZZ_CHECK(n_before == REC_STREAM_MAX_POS && open_before == REC_STREAM_MAX_POS);
	} else {
		FUZZ_CHECK(rc == 0);
	}
	if (rc == 0) {
		spos[s][k] = p;
		if (spos[s][k].size <= 0)
			spos[s][k].size = 0;
		spos_set[s][k] = true;
		const struct rec_position *c = rec_stream_find_position(&cache, sym, p.pidx);
		FUZZ_CHECK(c != NULL);
		if (p.size > 0)
			FUZZ_CHECK(c->side == p.side);
	} else if (!had) {
		spos_set[s][k] = false; /* never stored */
	}
	FUZZ_CHECK(cache.npos <= REC_STREAM_MAX_POS);
}

static void op_order(struct fuzz_in *in)
{
	int i = fuzz_u8(in) % NID;
	char id[8];
	struct rec_order o;
	snprintf(id, sizeof id, "%d", i);
	make_ord(in, &o, id);
	int a = o.is_algo;
	const struct rec_order *cur = rec_stream_find_order(&cache, id, o.is_algo);
	struct rec_order old;
	bool had = cur != NULL;
	size_t n_before = cache.nord, open_before = open_orders();
	if (had)
		old = *cur;

	int rc = rec_stream_apply_order(&cache, &o);
	if (had) {
		bool older = newer(0, o.update_ms, 0, old.update_ms) < 0;
		bool resurrect = done(old.status) && !done(o.status) && o.update_ms == old.update_ms;
		FUZZ_CHECK(rc == (older || resurrect ? 1 : 0));
	} else if (rc == -1) {
		FUZZ_CHECK(n_before == REC_STREAM_MAX_ORD && open_before == REC_STREAM_MAX_ORD);
	} else {
		FUZZ_CHECK(rc == 0);
	}
	if (rc == 0) {
		const struct rec_order *c = rec_stream_find_order(&cache, id, o.is_algo);
		FUZZ_CHECK(c != NULL);
		FUZZ_CHECK(c->status == o.status && c->update_ms == o.update_ms);
		/* a sparse update keeps the side and symbol it does not carry */
		if (had && o.side == REC_OSIDE_UNKNOWN)
			FUZZ_CHECK(c->side == old.side);
		if (had && !o.symbol[0])
			FUZZ_CHECK(!strcmp(c->symbol, old.symbol));
		sord[i][a] = *c;
		sord_set[i][a] = true;
	}
	FUZZ_CHECK(cache.nord <= REC_STREAM_MAX_ORD);
}

/* Many distinct symbols / ids at once, to reach the caps. Written straight
 * into the cache (as applies would leave them): filling 2048 slots through
 * apply costs O(n^2) lookups, which would make this target crawl. */
static unsigned burst_seq; /* burst keys never repeat within one input */

static void op_burst(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);
	unsigned n = 64u * (1u + (b & 31));
	bool open = b & 64, orders = b & 128;
	for (unsigned k = 0; k < n; k++) {
		if (orders && cache.nord < REC_STREAM_MAX_ORD) {
			struct rec_order *o = &cache.ord[cache.nord++];
			memset(o, 0, sizeof *o);
			snprintf(o->id, sizeof o->id, "B%u", burst_seq++);
			o->status = open ? REC_OST_NEW : REC_OST_CANCELED;
			o->update_ms = k;
			o->sources = REC_SRC_STREAM;
		} else if (!orders && cache.npos < REC_STREAM_MAX_POS) {
			struct rec_position *p = &cache.pos[cache.npos++];
			memset(p, 0, sizeof *p);
			snprintf(p->symbol, sizeof p->symbol, "B%u", burst_seq++);
			p->size = open ? 1 : 0;
			p->side = open ? REC_SIDE_LONG : REC_SIDE_UNKNOWN;
			p->seen_ms = k;
			p->sources = REC_SRC_STREAM;
		}
	}
}

static void check_all(void)
{
	for (int s = 0; s < NSYM; s++)
		for (int k = 0; k < 3; k++)
			check_position_key(s, k);
	for (int i = 0; i < NID; i++)
		for (int a = 0; a < 2; a++) {
			char id[8];
			snprintf(id, sizeof id, "%d", i);
			const struct rec_order *c = rec_stream_find_order(&cache, id, a);
			if (!sord_set[i][a])
				continue;
			if (!done(sord[i][a].status))
				FUZZ_CHECK(c != NULL); /* an open order is never evicted */
			if (c)
				FUZZ_CHECK(c->status == sord[i][a].status && c->update_ms == sord[i][a].update_ms);
		}
	/* no duplicate keys among the small symbols */
	for (int s = 0; s < NSYM; s++)
		for (int k = 0; k < 3; k++) {
			char sym[8];
			int n = 0;
			snprintf(sym, sizeof sym, "S%d", s);
			for (size_t i = 0; i < cache.npos; i++)
				n += cache.pos[i].pidx == (enum rec_pos_idx)k && !strcmp(cache.pos[i].symbol, sym);
			FUZZ_CHECK(n <= 1);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	memset(&cache, 0, sizeof cache);
	burst_seq = 0;
	memset(spos_set, 0, sizeof spos_set);
	memset(sord_set, 0, sizeof sord_set);
	for (int steps = 0; fuzz_more(&in) && steps < 256; steps++) {
		size_t popen = open_positions(), oopen = open_orders();
		switch (fuzz_u8(&in) % 5) {
		case 0:
		case 1: op_position(&in); break;
		case 2:
		case 3: op_order(&in); break;
		default: op_burst(&in); break;
		}
		/* one update closes at most one entry; nothing else vanishes */
		FUZZ_CHECK(open_positions() + 1 >= popen);
		FUZZ_CHECK(open_orders() + 1 >= oopen);
		if (steps % 16 == 0)
			check_all();
	}
	check_all();
	return 0;
}
