/* Symbol spellings: the exchanges say BTCUSDT, a ccxt-based bot stores
 * BTC/USDT:USDT. Matching always happens on the exchange form. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reconcile/reconcile.h"

void rec_params_default(struct rec_params *p)
{
	memset(p, 0, sizeof *p);
	p->grace_open_ms = 30000;
	p->grace_order_ms = 30000;
	p->rest_lag_tolerance_ms = 5000;
	p->stream_stale_ms = 60000;
	p->clock_skew_limit_ms = 1000;
	p->bot_symbol_style = REC_SYMSTYLE_PLAIN;
	snprintf(p->bot_live_statuses, sizeof p->bot_live_statuses, "%s", REC_LIVE_STATUSES_DEFAULT);
}

void rec_symbol_normalize(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	if (!outlen)
		return;
	for (const char *s = in ? in : ""; *s && *s != ':'; s++) {
		if (*s == '/' || *s == '-' || *s == '_' || isspace((unsigned char)*s))
			continue;
		if (o + 1 < outlen)
			out[o++] = (char)toupper((unsigned char)*s);
	}
	out[o] = '\0';
}

int rec_symbol_to_style(const char *exch_sym, enum rec_symstyle style, char *out, size_t outlen)
{
	/* longest first so FDUSD is not read as ...USD */
	static const char *const quotes[] = { "FDUSD", "USDT", "USDC", "BUSD", "USD" };
	char plain[REC_SYM_MAX];
	rec_symbol_normalize(exch_sym, plain, sizeof plain);
	if (style == REC_SYMSTYLE_PLAIN) {
		snprintf(out, outlen, "%s", plain);
		return 0;
	}
	size_t n = strlen(plain);
	for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
		size_t q = strlen(quotes[i]);
		if (n > q && strcmp(plain + n - q, quotes[i]) == 0) {
			snprintf(out, outlen, "%.*s/%s:%s", (int)(n - q), plain, quotes[i], quotes[i]);
			return 0;
		}
	}
	snprintf(out, outlen, "%s", plain);
	return -1;
}

bool rec_bot_row_matches_exchange(const struct rec_bot_row *r, const struct rec_params *p)
{
	return !p->bot_exchange[0] || strcasecmp(r->exchange, p->bot_exchange) == 0;
}

static bool status_in(const char *st, const char *const *set)
{
	char t[sizeof((struct rec_bot_row *)0)->status];
	size_t a = 0, n = strlen(st);
	while (a < n && isspace((unsigned char)st[a]))
		a++;
	while (n > a && isspace((unsigned char)st[n - 1]))
		n--;
	snprintf(t, sizeof t, "%.*s", (int)(n - a), st + a);
	for (; *set; set++)
		if (strcasecmp(t, *set) == 0)
			return true;
	return false;
}

bool rec_status_in_list(const char *list, const char *status)
{
	size_t a = 0, n = strlen(status);
	while (a < n && isspace((unsigned char)status[a]))
		a++;
	while (n > a && isspace((unsigned char)status[n - 1]))
		n--;
	for (const char *p = list; *p;) {
		size_t w = strcspn(p, ",");
		const char *q = p;
		size_t m = w;
		while (m && isspace((unsigned char)*q))
			q++, m--;
		while (m && isspace((unsigned char)q[m - 1]))
			m--;
		if (m == n - a && m && strncasecmp(q, status + a, m) == 0)
			return true;
		p += w;
		if (*p == ',')
			p++;
	}
	return false;
}

bool rec_bot_row_is_live(const struct rec_bot_row *r, const struct rec_params *p)
{
	return rec_status_in_list(p->bot_live_statuses, r->status);
}

bool rec_bot_row_is_active(const struct rec_bot_row *r)
{
	static const char *const act[] = { "active", "open", NULL };
	return status_in(r->status, act);
}

bool rec_bot_row_prefer(const struct rec_bot_row *r, const struct rec_bot_row *best, enum rec_pos_idx pidx,
			enum rec_side exch_side)
{
	if ((pidx == REC_PIDX_LONG && r->side == REC_SIDE_SHORT) ||
	    (pidx == REC_PIDX_SHORT && r->side == REC_SIDE_LONG))
		return false;
	return !best || (r->side == exch_side && best->side != exch_side) ||
	       (rec_bot_row_is_active(r) && !rec_bot_row_is_active(best) &&
		(r->side == exch_side) == (best->side == exch_side));
}
