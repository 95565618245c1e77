/* Allocation that never returns NULL: on OOM, log and exit (docs/style.md P9).
 * The supervisor (systemd Restart=on-failure) restarts us. */
#ifndef WD_XALLOC_H
#define WD_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The same exit for a library allocation that failed (json-c returns NULL). */
_Noreturn void xalloc_oom(void);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; free() it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
