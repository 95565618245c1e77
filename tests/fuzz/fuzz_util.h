/* Shared bits of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * A target feeds its bytes to one parser family and then checks what the
 * model promises (sizes >= 0, strings terminated, enums in range): a
 * sanitizer report, a leak or a FUZZ_CHECK failure is a crash, and every
 * crash found becomes a file in tests/fuzz/regress/<target>/. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/model.h"
#include "base/log.h"

#define FUZZ_CHECK(cond)                                                                               \
	do {                                                                                           \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                       \
		}                                                                                      \
	} while (0)

/* Parsers log their complaints; at a million inputs a second that is noise. */
static inline void fuzz_quiet(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	log_set_stream(null);
	log_set_level(LOG_LVL_ERROR);
}

static inline int fuzz_terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* What every position an adapter hands out must satisfy. */
static inline void fuzz_check_position(const struct rec_position *p)
{
	FUZZ_CHECK(fuzz_terminated(p->symbol, sizeof p->symbol));
	FUZZ_CHECK(p->side == REC_SIDE_UNKNOWN || p->side == REC_SIDE_LONG || p->side == REC_SIDE_SHORT);
	FUZZ_CHECK(p->pidx == REC_PIDX_BOTH || p->pidx == REC_PIDX_LONG || p->pidx == REC_PIDX_SHORT);
	FUZZ_CHECK(!(p->size < 0)); /* sizes are >= 0; the side says which way */
}

static inline void fuzz_check_order(const struct rec_order *o)
{
	FUZZ_CHECK(fuzz_terminated(o->id, sizeof o->id));
	FUZZ_CHECK(fuzz_terminated(o->client_id, sizeof o->client_id));
	FUZZ_CHECK(fuzz_terminated(o->symbol, sizeof o->symbol));
	FUZZ_CHECK(fuzz_terminated(o->type, sizeof o->type));
	FUZZ_CHECK(o->side == REC_OSIDE_UNKNOWN || o->side == REC_BUY || o->side == REC_SELL);
	FUZZ_CHECK((unsigned)o->kind <= REC_OK_CONDITIONAL); /* the last kind */
	FUZZ_CHECK((unsigned)o->status <= REC_OST_TRIGGERED);
	FUZZ_CHECK(o->pidx == REC_PIDX_BOTH || o->pidx == REC_PIDX_LONG || o->pidx == REC_PIDX_SHORT);
}

/* A small reader over the fuzz input for targets that build structs. */
struct fuzz_in {
	const uint8_t *d;
	size_t n, i;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

static inline int fuzz_more(const struct fuzz_in *in)
{
	return in->i < in->n;
}

#endif
