/* Exact decimal formatting of order quantities and prices (xch_decimal.h).
 *
 * Method, and why it is exact:
 *
 * 1. Both the value and the step are turned into decimals D = M * 10^e
 *    with M an integer of at most 17 digits: the shortest "%.{p}e" string
 *    (p = 0..16) that strtod reads back as the same double, parsed as
 *    digits and exponent. 17 significant digits always round-trip a
 *    double, so this always ends; it is what the caller meant (0.1 is 1 *
 *    10^-1, not 0.1000000000000000055511151231257827...). The step's
 *    decimals d come from its own string (0.0025 = 25 * 10^-4 -> d = 4);
 *    the step becomes the integer S = step * 10^d (S < 10^18).
 *
 * 2. The number of steps is n = round(D / step) = round(M * 10^(e+d) / S).
 *    M * 10^(e+d) is a string of decimal digits (M's digits, then zeros or
 *    a decimal point); it is divided by S by schoolbook long division one
 *    digit at a time. The running remainder r < S < 10^18, so r * 10 + 9
 *    < 1.8 * 10^19 fits in uint64_t: no step can overflow, whatever the
 *    magnitude of the quotient (1e12 / 1e-12 = 1e24 steps is just a
 *    25-digit string; a long long would overflow at 9.2e18, and a long
 *    double's 64-bit mantissa loses units above 1.8e19).
 *
 * 3. Rounding (nearest, half away from zero) compares the exact rest
 *    (r + f) / S with 1/2, where f in [0, 1) is the part of the dividend
 *    after the decimal point: up when 2r >= S; down when 2r + 2 <= S;
 *    otherwise (2r + 1 == S) up iff f >= 0.5, i.e. iff f's first digit is
 *    5 or more. All integer comparisons: 2r < 2 * 10^18 fits.
 *
 * 4. The result n * S is again a digit string (multiplication by S digit
 *    by digit with a carry < S; digit * S + carry < 10 * S < 10^19), and
 *    the text is that string with the decimal point d digits from the
 *    right, trailing fraction zeros dropped.
 *
 * No floating-point arithmetic happens after step 1, so there is no
 * binary noise, no exponent and no range limit other than the output
 * buffer: every finite double works (at most 309 + 20 integer digits). */
#include "exchanges/xch_decimal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 309 integer digits (DBL_MAX) + 20 decimals + 18 (times S) + 1 carry */
#define DEC_MAX_DIGITS 400

struct dec {
	unsigned char dig[17]; /* M, most significant first, values 0..9 */
	int nd;                /* 0 = the value is zero */
	int exp;               /* D = M * 10^exp */
};

/* |v| as its shortest round-trip decimal. v finite. */
static void shortest(double v, struct dec *d)
{
	char buf[40];
	memset(d, 0, sizeof *d);
	v = fabs(v);
	if (v == 0)
		return;
	int p = 0;
	for (; p < 16; p++) {
		snprintf(buf, sizeof buf, "%.*e", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (p == 16)
		snprintf(buf, sizeof buf, "%.*e", p, v);
	/* "d[.ddd]e[+-]XX"; the point is whatever the locale prints */
	const char *s = buf;
	while (*s && *s != 'e' && *s != 'E') {
		if (*s >= '0' && *s <= '9' && d->nd < 17)
			d->dig[d->nd++] = (unsigned char)(*s - '0');
		s++;
	}
	int e10 = (*s == 'e' || *s == 'E') ? (int)strtol(s + 1, NULL, 10) : 0;
	d->exp = e10 - (d->nd - 1);
	/* no trailing zeros in M: the exponent carries them */
	while (d->nd > 1 && d->dig[d->nd - 1] == 0) {
		d->nd--;
		d->exp++;
	}
	if (d->nd == 1 && d->dig[0] == 0)
		d->nd = 0;
}

/* step as S * 10^-dec; false if unusable. step finite and > 0. */
static bool step_parts(double step, uint64_t *S, int *dec)
{
	struct dec d;
	shortest(step, &d);
	if (d.nd == 0)
		return false;
	uint64_t s = 0;
	for (int i = 0; i < d.nd; i++)
		s = s * 10 + d.dig[i];
	if (d.exp >= 0) {
		if (d.nd + d.exp > 18)
			return false; /* S would not stay below 10^18 */
		for (int i = 0; i < d.exp; i++)
			s *= 10;
		*dec = 0;
	} else {
		if (-d.exp > XCH_DEC_MAX_DECIMALS)
			return false;
		*dec = -d.exp;
	}
	*S = s;
	return true;
}

int xch_step_decimals(double step)
{
	uint64_t S;
	int dec;
	if (!isfinite(step) || !(step > 0) || !step_parts(step, &S, &dec))
		return -1;
	return dec;
}

/* q[0..*nq) += 1 (most significant first); may grow by one digit. */
static void big_inc(unsigned char *q, int *nq)
{
	int i = *nq - 1;
	for (; i >= 0; i--) {
		if (q[i] < 9) {
			q[i]++;
			return;
		}
		q[i] = 0;
	}
	memmove(q + 1, q, (size_t)*nq);
	q[0] = 1;
	(*nq)++;
}

/* q[0..*nq) *= S, S < 10^18; q has room for DEC_MAX_DIGITS digits. */
static bool big_mul(unsigned char *q, int *nq, uint64_t S)
{
	uint64_t carry = 0;
	for (int i = *nq - 1; i >= 0; i--) {
		uint64_t cur = (uint64_t)q[i] * S + carry; /* < 10 * S < 10^19 */
		q[i] = (unsigned char)(cur % 10);
		carry = cur / 10;
	}
	unsigned char pre[20];
	int np = 0;
	while (carry) {
		pre[np++] = (unsigned char)(carry % 10);
		carry /= 10;
	}
	if (*nq + np > DEC_MAX_DIGITS)
		return false;
	memmove(q + np, q, (size_t)*nq);
	for (int i = 0; i < np; i++)
		q[i] = pre[np - 1 - i];
	*nq += np;
	return true;
}

static int fail(char *out, size_t n)
{
	if (out && n)
		out[0] = '\0';
	return -1;
}

int xch_fmt_decimal(char *out, size_t n, double value, double step)
{
	if (!out || !n || !isfinite(value) || isinf(step))
		return fail(out, n);
	uint64_t S = 1;
	int dec = XCH_DEC_UNKNOWN_DECIMALS;
	if (step > 0 && !step_parts(step, &S, &dec))
		return fail(out, n);

	struct dec v;
	shortest(value, &v);
	if (v.nd == 0) {
		if (n < 2)
			return fail(out, n);
		memcpy(out, "0", 2);
		return 1;
	}

	/* dividend N = M * 10^sh: its integer digits, then the fraction */
	int sh = v.exp + dec;
	int nint = v.nd + sh; /* integer digits of N (<= 0: none) */
	if (nint > DEC_MAX_DIGITS - 20)
		return fail(out, n);
	unsigned char q[DEC_MAX_DIGITS];
	int nq = 0;
	uint64_t r = 0;
	for (int i = 0; i < nint; i++) {
		unsigned dgt = i < v.nd ? v.dig[i] : 0;
		r = r * 10 + dgt; /* r < S < 10^18: < 1.8e19 */
		unsigned char qd = (unsigned char)(r / S);
		r %= S;
		if (nq || qd)
			q[nq++] = qd;
	}
	/* first digit after N's decimal point */
	unsigned f1 = 0;
	if (nint >= 0 && nint < v.nd)
		f1 = v.dig[nint];
	bool up = 2 * r >= S || (2 * r + 1 == S && f1 >= 5);
	if (up)
		big_inc(q, &nq);
	if (nq == 0)
		return fail(out, n); /* a non-zero value would read "0" */
	if (!big_mul(q, &nq, S))
		return fail(out, n);

	/* text: [-] integer part [. fraction without trailing zeros] */
	char buf[DEC_MAX_DIGITS + 4];
	size_t k = 0;
	if (value < 0)
		buf[k++] = '-';
	int ip = nq - dec; /* integer digits of the result */
	if (ip <= 0)
		buf[k++] = '0';
	for (int i = 0; i < ip; i++)
		buf[k++] = (char)('0' + q[i]);
	int last = nq - 1; /* last non-zero fraction digit */
	while (last >= ip && last >= 0 && q[last] == 0)
		last--;
	if (last >= ip && last >= 0) {
		buf[k++] = '.';
		for (int i = ip; i < 0; i++)
			buf[k++] = '0';
		for (int i = ip < 0 ? 0 : ip; i <= last; i++)
			buf[k++] = (char)('0' + q[i]);
	}
	buf[k] = '\0';
	if (k + 1 > n)
		return fail(out, n);
	memcpy(out, buf, k + 1);
	return (int)k;
}
