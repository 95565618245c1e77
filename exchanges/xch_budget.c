/* The shared request budget (xch_budget.h). vigil's own use is counted in
 * a rolling window of NBUCKET buckets; the exchange's count is the value
 * of its last header, valid until its window (the calendar minute for
 * Binance) turns. */
#include "exchanges/xch_budget.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define NBUCKET 60
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_CAP_MS (5 * 60 * 1000)
#define BACKOFF_FORGET_MS (10 * 60 * 1000)

struct xch_budget {
	struct xch_budget *next;
	int refs;
	enum rec_exchange ex;
	char egress[64];
	struct xch_budget_cfg cfg;
	pthread_mutex_t mu;
	int bucket[NBUCKET];
	int64_t bucket_start;    /* start of the newest bucket (ms) */
	int reported;            /* exchange's count, -1 unknown */
	int64_t reported_window; /* window index it belongs to */
	int64_t stopped_until;
	bool banned;
	int consecutive; /* rate limits in a row (backoff exponent) */
	int64_t last_limited;
	uint64_t denied, limited;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct xch_budget *reg;

void xch_budget_cfg_default(enum rec_exchange ex, struct xch_budget_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->limit = ex == REC_EX_BYBIT ? 600 : 2400;
	c->window_ms = ex == REC_EX_BYBIT ? 5000 : 60000;
	c->share = 0.20;
	c->high_water = 0.80;
	c->repair_reserve = 0.25;
}

struct xch_budget *xch_budget_get(enum rec_exchange ex, const char *egress, const struct xch_budget_cfg *cfg)
{
	if (!egress)
		egress = "";
	pthread_mutex_lock(&reg_mu);
	struct xch_budget *b;
	for (b = reg; b; b = b->next)
		if (b->ex == ex && strcmp(b->egress, egress) == 0)
			break;
	if (b) {
		b->refs++;
	} else {
		b = xcalloc(1, sizeof *b);
		b->refs = 1;
		b->ex = ex;
		snprintf(b->egress, sizeof b->egress, "%s", egress);
		if (cfg)
			b->cfg = *cfg;
		else
			xch_budget_cfg_default(ex, &b->cfg);
		if (b->cfg.limit <= 0 || b->cfg.window_ms <= 0) {
			struct xch_budget_cfg d;
			xch_budget_cfg_default(ex, &d);
			b->cfg.limit = d.limit;
			b->cfg.window_ms = d.window_ms;
		}
		b->reported = -1;
		pthread_mutex_init(&b->mu, NULL);
		b->next = reg;
		reg = b;
	}
	pthread_mutex_unlock(&reg_mu);
	return b;
}

void xch_budget_put(struct xch_budget *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&reg_mu);
	if (--b->refs == 0) {
		struct xch_budget **pp = &reg;
		while (*pp && *pp != b)
			pp = &(*pp)->next;
		if (*pp)
			*pp = b->next;
		pthread_mutex_destroy(&b->mu);
		free(b);
	}
	pthread_mutex_unlock(&reg_mu);
}

static int64_t bucket_ms(const struct xch_budget *b)
{
	int64_t w = b->cfg.window_ms / NBUCKET;
	return w > 0 ? w : 1;
}

/* Moves the window to now: buckets older than the window are emptied. */
static void roll(struct xch_budget *b, int64_t now)
{
	int64_t bw = bucket_ms(b);
	int64_t start = now - now % bw;
	if (b->bucket_start == 0 || start - b->bucket_start >= NBUCKET * bw) {
		memset(b->bucket, 0, sizeof b->bucket);
	} else {
		for (int64_t t = b->bucket_start + bw; t <= start; t += bw)
			b->bucket[(t / bw) % NBUCKET] = 0;
	}
	if (start > b->bucket_start)
		b->bucket_start = start;
	if (b->reported >= 0 && now / b->cfg.window_ms != b->reported_window)
		b->reported = -1; /* the exchange's window turned */
	if (b->stopped_until && now >= b->stopped_until) {
		b->stopped_until = 0;
		b->banned = false;
	}
}

static int own(const struct xch_budget *b)
{
	int s = 0;
	for (int i = 0; i < NBUCKET; i++)
		s += b->bucket[i];
	return s;
}

/* ms until the oldest bucket leaves the window */
static int64_t next_bucket(const struct xch_budget *b, int64_t now)
{
	int64_t bw = bucket_ms(b);
	return bw - now % bw;
}

int xch_budget_acquire(struct xch_budget *b, int w, enum xch_prio prio, int64_t now_ms, int64_t *wait_ms,
		       const char **why)
{
	if (w < 0)
		w = 0;
	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	const struct xch_budget_cfg *c = &b->cfg;
	double cap = c->share * c->limit;
	if (c->ceiling > 0 && cap > c->ceiling)
		cap = c->ceiling;
	double audit_cap = cap * (1 - c->repair_reserve);
	int used = own(b);
	int64_t wait = 0;
	const char *reason = NULL;
	if (b->stopped_until > now_ms) {
		wait = b->stopped_until - now_ms;
		reason = b->banned ? "IP banned by the exchange (418): nothing is sent until the ban ends"
				   : "rate limited by the exchange: nothing is sent until Retry-After";
	} else if (b->reported >= 0 && b->reported + w > c->limit) {
		wait = c->window_ms - now_ms % c->window_ms;
		reason = "the exchange's count for this IP is at its limit";
	} else if (prio == XCH_PRIO_AUDIT && b->reported >= 0 && b->reported + w > c->high_water * c->limit) {
		wait = c->window_ms - now_ms % c->window_ms;
		reason = "the IP's use (bot and vigil) is past the high-water mark: audits wait for the window";
	} else if (prio == XCH_PRIO_AUDIT && used + w > audit_cap) {
		wait = next_bucket(b, now_ms);
		reason = "vigil's share of the IP's limit is used (the rest is the bot's and the repairs')";
	} else if (prio == XCH_PRIO_REPAIR && used + w > cap) {
		wait = next_bucket(b, now_ms);
		reason = "vigil's share of the IP's limit is used, repair reserve included";
	} else if (prio == XCH_PRIO_STREAM && used + w > audit_cap + (cap - audit_cap) / 2) {
		wait = next_bucket(b, now_ms);
		reason = "vigil's share of the IP's limit is used, the stream's half of the repair reserve included";
	}
	if (reason) {
		b->denied++;
		pthread_mutex_unlock(&b->mu);
		if (wait_ms)
			*wait_ms = wait > 0 ? wait : 1;
		if (why)
			*why = reason;
		return -1;
	}
	b->bucket[(now_ms / bucket_ms(b)) % NBUCKET] += w;
	if (b->reported >= 0)
		b->reported += w;
	pthread_mutex_unlock(&b->mu);
	if (wait_ms)
		*wait_ms = 0;
	if (why)
		*why = NULL;
	return 0;
}

void xch_budget_note(struct xch_budget *b, int used_weight, int64_t now_ms)
{
	if (used_weight < 0)
		return;
	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	b->reported = used_weight;
	b->reported_window = now_ms / b->cfg.window_ms;
	pthread_mutex_unlock(&b->mu);
}

bool xch_budget_limited(struct xch_budget *b, int64_t until_ms, bool banned, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	bool fresh = b->stopped_until <= now_ms;
	if (b->last_limited && now_ms - b->last_limited > BACKOFF_FORGET_MS)
		b->consecutive = 0;
	if (until_ms <= now_ms) {
		int64_t back = BACKOFF_FIRST_MS;
		for (int i = 0; i < b->consecutive && back < BACKOFF_CAP_MS; i++)
			back *= 2;
		until_ms = now_ms + (back < BACKOFF_CAP_MS ? back : BACKOFF_CAP_MS);
	}
	b->consecutive++;
	b->last_limited = now_ms;
	b->limited++;
	if (until_ms > b->stopped_until)
		b->stopped_until = until_ms;
	b->banned |= banned;
	pthread_mutex_unlock(&b->mu);
	return fresh;
}

void xch_budget_state(struct xch_budget *b, int64_t now_ms, struct xch_budget_state *out)
{
	pthread_mutex_lock(&b->mu);
	roll(b, now_ms);
	out->limit = b->cfg.limit;
	out->own = own(b);
	out->reported = b->reported;
	out->stopped_until = b->stopped_until;
	out->banned = b->banned;
	out->denied = b->denied;
	out->limited = b->limited;
	pthread_mutex_unlock(&b->mu);
}
