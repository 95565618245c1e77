/* Exact decimal text for the quantities and prices the adapters send
 * (issue 16). One formatter for every order parameter: Binance form
 * params (quantity, triggerPrice) and Bybit JSON strings (qty,
 * triggerPrice, stopLoss).
 *
 * What comes out: plain positional decimal, no exponent, no binary noise
 * (5000000.1 is "5000000.1", never "5000000.0999999996"), no more decimals
 * than the step / tick has, trailing zeros and a trailing '.' stripped,
 * "-" only for a non-zero negative result, never "-0".
 *
 * Rounding: the value is first read as the decimal its double stands for
 * (the shortest string that converts back to the same double, at most 17
 * significant digits: 0.1 + 0.2 is 0.30000000000000004, 59999.95 is
 * 59999.95), then rounded to the NEAREST multiple of the step, ties HALF
 * AWAY FROM ZERO (59999.95 tick 0.1 -> "60000", -2.5 step 1 -> "-3").
 * Negative values are handled symmetrically (sign + rounded magnitude);
 * the adapters refuse negative quantities / prices before formatting. All
 * of it is done in exact decimal integer arithmetic (see xch_decimal.c):
 * no long double, no long long overflow, for every finite double. */
#ifndef XCH_DECIMAL_H
#define XCH_DECIMAL_H
#include <stddef.h>

/* Smallest step / tick accepted: 1e-20 (20 decimals). */
#define XCH_DEC_MAX_DECIMALS 20
/* Decimals printed when the step is unknown (<= 0 or NaN). */
#define XCH_DEC_UNKNOWN_DECIMALS 12

/* The number of decimals of a step or tick, from its shortest round-trip
 * decimal ("%.{p}e" with the least p that reads back as the same double,
 * then parsed), never from log10 of a noisy double: 0.001 -> 3,
 * 0.0025 -> 4, 0.5 -> 1, 1 -> 0, 10 -> 0, 1e-12 -> 12, 1e-8 -> 8.
 * -1 if step is not finite or <= 0, has more than XCH_DEC_MAX_DECIMALS
 * decimals, or is 1e18 or more. */
int xch_step_decimals(double step);

/* Writes value rounded to the nearest multiple of step (see above) into
 * out[n]. step <= 0 or NaN means unknown: the shortest round-trip decimal
 * of value, rounded to at most XCH_DEC_UNKNOWN_DECIMALS decimals.
 *
 * A non-zero value never comes out as "0": if it would (0.0004 step 0.001,
 * or 1e-13 with an unknown step), nothing usable is written and -1 is
 * returned, so an adapter cannot send a zero quantity or a zero stop.
 *
 * Returns strlen(out), or -1 (out set to "" when n > 0) if value is NaN
 * or infinite, step is infinite or unusable (xch_step_decimals() == -1 for
 * a step > 0), a non-zero value rounds to 0, or out is too small. 48 bytes
 * hold every quantity / price the exchanges accept. */
int xch_fmt_decimal(char *out, size_t n, double value, double step);

#endif
