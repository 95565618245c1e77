/* The bot's local query API (issue 23): vigil's verified view of each
 * account it watches, served over HTTP/JSON on a unix socket (file mode +
 * group) or a loopback port (bearer token), by libmicrohttpd. Read-only:
 * nothing here can place or cancel an order, and the API spends no
 * request weight of its own (its REST view is the engine's last listing).
 *
 * Data: after every audit the engine thread publishes an immutable,
 * refcounted per-account snapshot (REST positions and orders with their
 * fetch time, the bot's rows, the open findings, the clock and position
 * mode); a request combines it with a fresh copy of the account's live
 * stream cache (xch_stream_copy, thread-safe), so answers are as fresh as
 * the stream, and judges it with reconcile/view.h (the classifier's own
 * rules). `await` sleeps on the account's stream-event hook and
 * re-evaluates at each event or new snapshot.
 *
 * Threads: libmicrohttpd's (one per connection, at most max_connections);
 * the engine thread calls attach / publish; stream threads call
 * wd_api_on_event. The engine's adapters are used only under a read lock
 * that attach (reload) takes for writing before the old engine is freed. */
#ifndef WD_API_H
#define WD_API_H
#include <stddef.h>

#include "watchdog/config.h"

struct wd_api;
struct wd_engine;
struct wd_audit;

/* Binds [api] listen and starts serving (nothing is served until attach).
 * NULL with err set when the socket cannot be made (the path is taken by
 * something that is not a stale socket, another vigil listens there, the
 * port is in use, the group cannot be set). */
struct wd_api *wd_api_start(const struct wd_api_conf *c, char *err, size_t errlen);
/* Where it listens, for the log: "unix:/run/vigil/api.sock" or
 * "http://127.0.0.1:PORT". */
const char *wd_api_where(const struct wd_api *a);
/* Engine thread: serve e's accounts from now on (a reload's new engine:
 * before the old one is freed). Snapshots of accounts kept by name stay. */
void wd_api_attach(struct wd_api *a, struct wd_engine *e);
/* Engine thread, after each audit of one account (e's on_audit hook). */
void wd_api_publish(struct wd_api *a, const struct wd_engine *e, const struct wd_audit *au);
/* Stream threads: an event for account index idx (wakes `await`). */
void wd_api_on_event(void *ud, size_t idx, const char *symbol);
/* Wakes every waiter (answered 503), stops the server, removes the socket
 * file it created, frees a (NULL is a no-op). */
void wd_api_stop(struct wd_api *a);

#endif
