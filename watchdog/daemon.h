/* `vigil run`: the sidecar daemon. Threads:
 *   main      waits for signals (sigtimedwait; all threads block them, so
 *             no async handler runs at all): TERM/INT stop, HUP reloads;
 *   engine    audits every audit_interval and debounce after stream
 *             events (sched.h), repairs, routes alerts;
 *   streams   one libwebsockets thread per account (the adapters');
 *   notifier  drains the alert outbox (engine_alert.c);
 *   metrics   /metrics and /healthz (metrics_http.c).
 * Shutdown: stop taking new work, let the engine finish (or journal) the
 * audit and action in flight, stop streams, flush the outbox, exit 0.
 * Reload: the main thread parses and validates the new file; only a valid
 * config is handed to the engine thread, which swaps it in between audits
 * and keeps each account's memory (grace timers, open findings). */
#ifndef WD_DAEMON_H
#define WD_DAEMON_H
#include <stdbool.h>
#include <stdint.h>

struct wd_daemon_opts {
	const char *conf_path;
	bool quiet;       /* no live narration on stdout */
	int64_t flush_ms; /* outbox flush budget at shutdown (default 5 s) */
};

/* Runs until SIGTERM/SIGINT. Returns an exit code: 0 after a clean stop,
 * 78 config error, 69 could not start (metrics port, adapters). */
int wd_daemon_run(const struct wd_daemon_opts *o);

#endif
