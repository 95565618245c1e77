#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* Room for n more bytes and the NUL. Doubling keeps appends amortised O(1). */
static void grow(struct buf *b, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		xrealloc(b->p, SIZE_MAX); /* cannot be met: xalloc's out-of-memory exit */
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return;
	size_t nc = b->cap ? b->cap : 64;
	while (nc < need)
		nc = nc > SIZE_MAX / 2 ? need : nc * 2;
	b->p = xrealloc(b->p, nc);
	b->cap = nc;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	grow(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	grow(b, 0);
	size_t room = b->cap - b->len;
	int n = vsnprintf(b->p + b->len, room, fmt, ap);
	if (n < 0) {
		va_end(again);
		b->p[b->len] = '\0';
		return; /* an encoding error: nothing appended */
	}
	if ((size_t)n >= room) {
		grow(b, (size_t)n);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *buf_take(struct buf *b, size_t *len)
{
	if (!b->p) {
		grow(b, 0);
		b->p[0] = '\0';
	}
	char *p = b->p;
	if (len)
		*len = b->len;
	*b = (struct buf){ 0 };
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}
