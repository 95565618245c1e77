/* DESIGN: the one-shot audit driver shared by `vigil audit` and `vigil
 * status`: start the streams, listen briefly, audit each account once.
 * With no listen (--listen 0s) no stream is started at all (no listenKey,
 * no connection): the audit is REST alone and costs only the listing. */
#include "watchdog/audit.h"

#include <time.h>

#include "base/xalloc.h"

int wd_audit_run_all(struct wd_engine *e, int64_t listen_ms, struct wd_audit **out, size_t *n)
{
	/* A short listen so stream-only facts (a fill REST has not caught up
	 * with, a size 0 the DB contradicts) count in a one-shot audit. */
	if (listen_ms > 0) {
		wd_engine_streams_start(e);
		struct timespec ts = { .tv_sec = listen_ms / 1000, .tv_nsec = (listen_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	struct wd_audit *a = xcalloc(e->n, sizeof *a);
	for (size_t i = 0; i < e->n; i++)
		wd_engine_audit(e, i, &a[i]);
	wd_engine_streams_stop(e);
	*out = a;
	*n = e->n;
	return 0;
}
