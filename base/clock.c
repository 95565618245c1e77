/* The real and the fake rec_clock (see clock.h). */
#include "base/clock.h"

#include <errno.h>
#include <time.h>

static int64_t real_now(void *ud)
{
	(void)ud;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep(void *ud, int64_t ms)
{
	(void)ud;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct rec_clock rec_clock_real(void)
{
	return (struct rec_clock){ .now_ms = real_now, .sleep_ms = real_sleep, .ud = 0 };
}

static int64_t fake_now(void *ud)
{
	return ((struct rec_fake_clock *)ud)->now;
}

static void fake_sleep(void *ud, int64_t ms)
{
	struct rec_fake_clock *fc = ud;
	fc->now += ms;
	fc->slept_ms += ms;
	fc->sleeps++;
	if (fc->on_sleep)
		fc->on_sleep(fc->hook_ud, fc->now);
}

struct rec_clock rec_clock_fake(struct rec_fake_clock *fc)
{
	return (struct rec_clock){ .now_ms = fake_now, .sleep_ms = fake_sleep, .ud = fc };
}
