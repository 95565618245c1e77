/* Process-wide metrics registry and the /metrics + /healthz HTTP endpoint.
 *
 * Series are identified by a metric name plus a label string written the
 * Prometheus way without braces ("account=\"a\",code=\"X\""). Any thread
 * may update them (one mutex); the render is a consistent copy. Metric
 * families are declared once with wd_metric_declare() so /metrics carries
 * HELP and TYPE lines; undeclared names render as untyped.
 *
 * The HTTP server (metrics_http.c) is a small plain-socket poll() loop in
 * its own thread, bound to a loopback address only: it answers GET
 * /metrics, GET /healthz (the daemon's health callback) and 404 otherwise,
 * to many clients at once; each request must arrive within 2 s of accept,
 * so slow clients cannot delay a health probe. */
#ifndef WD_METRICS_H
#define WD_METRICS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wd_mtype { WD_MT_COUNTER = 0, WD_MT_GAUGE, WD_MT_HISTOGRAM };

void wd_metric_declare(const char *name, enum wd_mtype type, const char *help);
/* counter += v (created at 0) */
void wd_metric_add(const char *name, const char *labels, double v);
/* gauge = v */
void wd_metric_set(const char *name, const char *labels, double v);
/* histogram observation (seconds); fixed buckets 5ms .. 10s */
void wd_metric_observe(const char *name, const char *labels, double v);
/* Removes one series (a value that became unknown: absent, never a
 * sentinel such as -1). */
void wd_metric_unset(const char *name, const char *labels);
/* Sets to 0 every series of name whose labels start with prefix (gauges
 * that are recomputed per audit: open findings of an account). */
void wd_metric_zero(const char *name, const char *label_prefix);
/* Current value of one series (tests, status); 0 if absent. For
 * histograms, the observation count. */
double wd_metric_get(const char *name, const char *labels);
/* Prometheus text exposition (malloc'd, free()). */
char *wd_metrics_render(void);
/* Drops every series and declaration (tests, end of process). */
void wd_metrics_reset(void);

/* Escapes a label value for the text format (\\, \", \n). Returns out. */
char *wd_metric_escape(const char *in, char *out, size_t outlen);

/* ---- HTTP endpoint ---- */

/* Fills *status (200 / 503) and a short body into buf. */
typedef void (*wd_health_fn)(void *ud, int *status, char *buf, size_t buflen);

struct wd_httpd;

/* Starts serving on listen ("127.0.0.1:9464", "[::1]:9464", port 0 = any
 * free port). Refuses non-loopback addresses. Returns NULL with err set on failure. */
struct wd_httpd *wd_httpd_start(const char *listen, wd_health_fn health, void *ud, char *err, size_t errlen);
/* The port actually bound. */
int wd_httpd_port(const struct wd_httpd *h);
/* Stops the thread, closes the socket, frees h (NULL is a no-op). */
void wd_httpd_stop(struct wd_httpd *h);

/* Splits "host:port" or "[::1]:port"; host must be a loopback IPv4
 * address (127/8), "localhost" (written back as 127.0.0.1) or ::1 in
 * brackets (written back without them). The port is decimal digits,
 * 0-65535. Returns 0, -1 with err set. */
int wd_parse_listen(const char *listen, char *host, size_t hostlen, int *port, char *err, size_t errlen);

/* A listening TCP socket on host (as wd_parse_listen writes it) and port
 * (0 = any), SO_REUSEADDR, IPv6 only for ::1; sock_flags adds to
 * SOCK_STREAM (SOCK_CLOEXEC, SOCK_NONBLOCK). Returns the fd with *bound the
 * port bound, or -1 with errno set. */
int wd_listen_tcp(const char *host, int port, int sock_flags, int backlog, int *bound);

#endif
