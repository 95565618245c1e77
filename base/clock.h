/* An injected clock and sleeper: the repair engine and the verifiers wait
 * only through this, so unit tests run instantly with a fake clock whose
 * sleep just advances time. Leaf header: no daemon state. */
#ifndef REC_CLOCK_H
#define REC_CLOCK_H
#include <stdint.h>

struct rec_clock {
	int64_t (*now_ms)(void *ud); /* monotonic-enough ms */
	void (*sleep_ms)(void *ud, int64_t ms);
	void *ud;
};

/* Wall clock (CLOCK_REALTIME ms, matching exchange times) + nanosleep. */
struct rec_clock rec_clock_real(void);

/* A clock for tests: sleep adds to now and counts. A hook, when set, runs
 * after every sleep (a fake exchange can make things happen "later"). */
struct rec_fake_clock {
	int64_t now;
	int64_t slept_ms; /* total */
	unsigned sleeps;  /* number of sleep calls */
	void (*on_sleep)(void *hook_ud, int64_t now);
	void *hook_ud;
};
struct rec_clock rec_clock_fake(struct rec_fake_clock *fc);

static inline int64_t rec_now(const struct rec_clock *c)
{
	return c->now_ms(c->ud);
}
static inline void rec_sleep(const struct rec_clock *c, int64_t ms)
{
	if (ms > 0)
		c->sleep_ms(c->ud, ms);
}

#endif
