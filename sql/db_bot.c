#include "sql/db_bot.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xalloc.h"

enum rec_side db_bot_parse_side(const char *s)
{
	if (!strcasecmp(s, "long") || !strcasecmp(s, "buy"))
		return REC_SIDE_LONG;
	if (!strcasecmp(s, "short") || !strcasecmp(s, "sell"))
		return REC_SIDE_SHORT;
	return REC_SIDE_UNKNOWN;
}

int64_t db_bot_parse_time_ms(const char *s)
{
	/* ISO output of a UTC session: YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]] */
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return 0;
	if (*p == ' ' || *p == 'T') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);
		if (!q)
			return 0;
		p = q;
	}
	int64_t ms = (int64_t)timegm(&tm) * 1000;
	if (*p == '.') {
		int64_t frac = 0, scale = 1000;
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
		ms += frac;
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1 && sscanf(p + 1, "%2d", &hh) < 1)
			return 0;
		ms -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
	}
	return ms;
}

static const char *const required[] = { "symbol", "exchange", "side", "quantity", "entry_price", "status" };

int db_bot_positions(struct db_conn *c, const char *query, struct rec_bot_row **rows, size_t *n, struct db_err *e)
{
	*rows = NULL;
	*n = 0;
	PGresult *r;
	int rc = db_exec(c, query, 0, NULL, &r, e);
	if (rc == DB_ESQL) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		db_err_set(e, DB_ESQL, "bot positions query failed: %s", msg);
	}
	if (rc)
		return rc;
	int col[7];
	for (size_t i = 0; i < 6; i++) {
		col[i] = PQfnumber(r, required[i]);
		if (col[i] < 0) {
			PQclear(r);
			return db_err_set(e, DB_EDATA,
					  "bot positions query returns no column '%s' (it must return symbol,"
					  " exchange, side, quantity, entry_price, status and may return opened_at)",
					  required[i]);
		}
	}
	col[6] = PQfnumber(r, "opened_at");
	int cnt = PQntuples(r);
	struct rec_bot_row *out = cnt ? xcalloc((size_t)cnt, sizeof *out) : NULL;
	for (int i = 0; i < cnt; i++) {
		struct rec_bot_row *b = &out[i];
		snprintf(b->symbol, sizeof b->symbol, "%s", PQgetvalue(r, i, col[0]));
		snprintf(b->exchange, sizeof b->exchange, "%s", PQgetvalue(r, i, col[1]));
		b->side = db_bot_parse_side(PQgetvalue(r, i, col[2]));
		b->qty = strtod(PQgetvalue(r, i, col[3]), NULL);
		b->entry_price = strtod(PQgetvalue(r, i, col[4]), NULL);
		snprintf(b->status, sizeof b->status, "%s", PQgetvalue(r, i, col[5]));
		if (col[6] >= 0 && !PQgetisnull(r, i, col[6])) {
			const char *v = PQgetvalue(r, i, col[6]);
			Oid t = PQftype(r, col[6]);
			if (t == 20 || t == 21 || t == 23 || t == 1700 || t == 701) { /* int8/2/4, numeric, float8 */
				double d = strtod(v, NULL);
				/* NaN, infinities and absurd values (all legal in PostgreSQL)
				 * mean "unknown", never undefined behaviour */
				if (!(d > 0 && d < 1e15))
					b->opened_ms = 0;
				else
					b->opened_ms = d < 1e11 ? (int64_t)(d * 1000) : (int64_t)d;
			} else {
				b->opened_ms = db_bot_parse_time_ms(v);
			}
		}
	}
	PQclear(r);
	*rows = out;
	*n = (size_t)cnt;
	return DB_OK;
}
