/* Small helpers: clock, seeded ids, decimals, JSON field access, responses. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

long long sim_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long sim_now(struct sim_world *w, int ex)
{
	long long t = w->fake_now ? w->fake_now : sim_real_ms();
	struct sim_fault *f = sim_fault_find(w, "clock_offset", ex, NULL, NULL, 0);

	return f ? t + f->ms : t;
}

/* splitmix64: deterministic per --seed */
unsigned long long sim_rand(struct sim_world *w)
{
	unsigned long long z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_fmt(char *buf, size_t n, double v, int dp)
{
	if (fabs(v) < 0.5 * pow(10, -dp))
		v = 0; /* no "-0.000" */
	snprintf(buf, n, "%.*f", dp, v);
}

int sim_dp_of(double step)
{
	int dp = 0;

	while (dp < 10 && fabs(step * pow(10, dp) - llround(step * pow(10, dp))) > 1e-9)
		dp++;
	return dp;
}

double sim_round_step(double v, double step)
{
	if (step <= 0)
		return v;
	return llround(v / step) * step;
}

static double sane(double v)
{
	return isfinite(v) && fabs(v) <= SIM_NUM_MAX ? v : 0;
}

double sim_dec(const char *s)
{
	return s ? sane(strtod(s, NULL)) : 0;
}

double sim_num(struct json_object *o)
{
	if (!o)
		return 0;
	if (json_object_is_type(o, json_type_string))
		return sim_dec(json_object_get_string(o));
	return sane(json_object_get_double(o));
}

long long sim_clamp(double v, long long lo, long long hi)
{
	if (!(v >= (double)lo))
		return lo;
	if (v >= (double)hi)
		return hi;
	return (long long)v;
}

long long sim_parse_ll(const char *s, long long lo, long long hi)
{
	long long v = s ? strtoll(s, NULL, 10) : 0; /* saturates, never UB */

	return v < lo ? lo : v > hi ? hi : v;
}

const char *sim_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

void sim_jdec(struct json_object *o, const char *key, double v, int dp)
{
	char b[64];

	sim_fmt(b, sizeof b, v, dp);
	json_object_object_add(o, key, json_object_new_string(b));
}

void sim_jstr_add(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

void sim_jint(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void sim_jbool(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_boolean(v ? 1 : 0));
}

char *sim_json_take(struct json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

/* Value of name=... in a form / query string (first match, raw bytes). */
int sim_param(const char *qs, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *p = qs;

	if (n)
		out[0] = '\0';
	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;

			if (vl >= n)
				vl = n - 1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

void sim_resp_json(struct sim_resp *r, int status, struct json_object *o)
{
	free(r->body);
	r->status = status;
	r->body = sim_json_take(o);
	r->len = strlen(r->body);
}

void sim_resp_hdr(struct sim_resp *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < r->hn; i++)
		if (strcmp(r->hname[i], name) == 0)
			break;
	if (i == SIM_MAX_HDR)
		return;
	snprintf(r->hname[i], sizeof r->hname[i], "%s", name);
	va_start(ap, fmt);
	vsnprintf(r->hval[i], sizeof r->hval[i], fmt, ap);
	va_end(ap);
	if (i == r->hn)
		r->hn++;
}

static int hexval(unsigned char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* RFC 9112 7.1: chunk = size [; ext] CRLF data CRLF, ended by a zero-size
 * chunk, optional trailer lines and an empty line. */
int sim_dechunk(const char *in, size_t n, char **out, size_t *outlen)
{
	size_t i = 0, len = 0;
	char *o = xmalloc(n + 1);

	for (;;) {
		size_t sz = 0;
		int digits = 0, h;

		while (i < n && (h = hexval((unsigned char)in[i])) >= 0) {
			if (sz > ((size_t)1 << 28))
				goto bad;
			sz = sz * 16 + (size_t)h;
			i++, digits++;
		}
		if (i >= n)
			goto more;
		if (!digits)
			goto bad;
		if (i < n && in[i] != '\r' && in[i] != ';' && in[i] != ' ' && in[i] != '\t')
			goto bad;
		while (i < n && in[i] != '\r' && in[i] != '\n') /* chunk extensions */
			i++;
		if (i + 1 >= n)
			goto more;
		if (in[i] != '\r' || in[i + 1] != '\n')
			goto bad;
		i += 2;
		if (sz == 0) {
			for (;;) { /* trailer fields, then the empty line */
				const char *e = memmem(in + i, n - i, "\r\n", 2);

				if (!e)
					goto more;
				if (e == in + i) {
					o[len] = '\0';
					*out = o;
					*outlen = len;
					return 1;
				}
				i = (size_t)(e - in) + 2;
			}
		}
		if (n - i < sz + 2)
			goto more;
		memcpy(o + len, in + i, sz);
		len += sz;
		i += sz;
		if (in[i] != '\r' || in[i + 1] != '\n')
			goto bad;
		i += 2;
	}
more:
	free(o);
	return 0;
bad:
	free(o);
	return -1;
}
