/* The process clocks, one definition for every module: wall-clock ms
 * (CLOCK_REALTIME: stored and exchange-facing times) and monotonic ms / ns
 * (CLOCK_MONOTONIC: deadlines, backoff, latency). Leaf: libc only. The
 * reconcile core never calls these; it gets time injected (base/clock.h). */
#ifndef WD_CLOCK_NOW_H
#define WD_CLOCK_NOW_H
#include <stdint.h>

int64_t wd_wall_ms(void);
int64_t wd_mono_ms(void);
int64_t wd_mono_ns(void);

#endif
