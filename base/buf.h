/* A growable byte buffer. Start from zero (struct buf b = {0}); every append
 * keeps the contents NUL-terminated, so p is a C string once anything was
 * added (p stays NULL until then). Growth goes through xrealloc: an append
 * never fails. Limits (answer caps and the like) are the caller's: check
 * len before appending. */
#ifndef WD_BUF_H
#define WD_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;    /* malloc'd, NUL-terminated; NULL until the first append */
	size_t len; /* bytes in p, without the NUL */
	size_t cap; /* bytes allocated */
};

/* Appends n bytes (n may be 0: p is allocated and terminated all the same). */
void buf_add(struct buf *b, const void *data, size_t n);
/* Appends a C string. */
void buf_adds(struct buf *b, const char *s);
/* Appends printf output. */
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Empties the buffer and keeps its storage for reuse. */
void buf_reset(struct buf *b);
/* Hands the contents to the caller (malloc'd, NUL-terminated, never NULL:
 * "" when nothing was added) and its length in *len when len is not NULL;
 * the buffer is empty and owns nothing afterwards. */
char *buf_take(struct buf *b, size_t *len);
/* Frees the storage; the buffer is empty and reusable. */
void buf_free(struct buf *b);

#endif
