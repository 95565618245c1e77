/* The adapters' HTTP client on libcurl (docs/style.md P14: every call has a
 * deadline). One struct xch_http per thread that makes REST calls: it owns
 * a CURLM and a small pool of easy handles that are reused, so connections
 * stay open between calls (libcurl's connection cache lives in the multi
 * handle). Several requests passed together run in parallel.
 *
 * Never sets CURLOPT_VERBOSE (requests carry keys and signatures) and never
 * turns TLS verification off. */
#ifndef XCH_HTTP_H
#define XCH_HTTP_H
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchanges/exchange.h"

#define XCH_HTTP_MAX_PAR 8
#define XCH_CAP_REST_BODY (8u * 1024 * 1024)

struct xch_http;

/* One request and, after xch_http_run(), its answer. The caller owns url,
 * hdrs (curl_slist) and body; xch_req_clear() frees them and the answer. */
struct xch_req {
	const char *method; /* "GET", "POST", "PUT", "DELETE" */
	char *url;          /* malloc'd */
	struct curl_slist *hdrs;
	char *body; /* malloc'd or NULL */
	/* answer */
	long status; /* HTTP status, 0 if none */
	char *resp;  /* NUL-terminated body (malloc'd) or NULL */
	size_t resp_len;
	CURLcode curl_rc;
	bool toobig;
	int64_t retry_after_ms;   /* Retry-After, -1 none */
	int used_weight_1m;       /* X-MBX-USED-WEIGHT-1M, -1 none */
	int limit_status;         /* X-Bapi-Limit-Status, -1 none */
	int limit;                /* X-Bapi-Limit, -1 none */
	int64_t limit_reset_ms;   /* X-Bapi-Limit-Reset-Timestamp, 0 none */
	int64_t sent_ms, done_ms; /* local wall clock */
	/* Appended (issue 15): the documented weight (0 = 1); held = the
	 * request budget kept it back (nothing was sent; held_why says why,
	 * retry_after_ms when to ask again). */
	int weight;
	bool held;
	const char *held_why;
	/* Appended (issue 21): a listing parsed as it arrives. With stream
	 * set (borrowed), a 200 answer whose first byte opens the stream's
	 * path goes to it chunk by chunk instead of resp: streamed is then
	 * true and resp NULL (xch_jstream_finish gives the result). Any
	 * other answer (an error status, an error object) is in resp as
	 * without a stream. The size cap counts every byte either way. */
	struct xch_jstream *stream;
	bool streamed;
	/* Appended (issue 21): libcurl's own words for a transport failure
	 * (CURLOPT_ERRORBUFFER), e.g. "SSL certificate problem: unable to get
	 * local issuer certificate"; "" none. */
	char curl_msg[CURL_ERROR_SIZE];
};

/* connect/total timeouts in ms (0 = 5 s / 10 s), max_body 0 = 8 MiB. */
struct xch_http *xch_http_new(int64_t connect_timeout_ms, int64_t request_timeout_ms, size_t max_body);
void xch_http_free(struct xch_http *h);
/* Every request of h passes the budget (xch_budget.h) first and feeds it
 * the exchange's count and rate-limit answers. b is borrowed. */
struct xch_budget;
enum xch_prio;
void xch_http_set_budget(struct xch_http *h, struct xch_budget *b, enum rec_exchange ex);
/* What the requests made from now on are for (default audit). */
void xch_http_set_prio(struct xch_http *h, int prio);
/* TLS trust and proxy of every request of h (both copied; "" or NULL =
 * the system's CA bundle / no proxy). See struct xch_config. */
void xch_http_set_transport(struct xch_http *h, const char *ca_file, const char *proxy);

/* Runs n (<= XCH_HTTP_MAX_PAR) requests in parallel and waits for all.
 * Fills each request's answer part. Never fails as a whole. */
void xch_http_run(struct xch_http *h, struct xch_req *const *reqs, size_t n);

/* Maps a transport problem (curl error, size cap) to XCH_TIMEOUT /
 * XCH_NETWORK / XCH_TOOBIG with err filled; XCH_OK if an HTTP answer came. */
int xch_http_transport_rc(const struct xch_req *r, struct xch_err *err);

/* Copies the rate-limit headers of r into lim and counts the request. */
void xch_http_note_limits(const struct xch_req *r, struct xch_limits *lim);

void xch_req_clear(struct xch_req *r);

/* Clocks: wd_wall_ms / wd_mono_ms / wd_mono_ns. */
#include "base/clock_now.h"

/* Percent-encodes s for a query string / form value (malloc'd). */
char *xch_urlencode(const char *s);

#endif
