#include "base/text_clean.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._,:/=@%+-", c);
}

char *tc_shell_arg(const char *s)
{
	bool plain = *s != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		plain = plain_char(*p);
	if (plain)
		return xstrdup(s);
	struct buf b = { 0 };
	buf_add(&b, "'", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\'')
			buf_add(&b, "'\\''", 4);
		else if (*p < 0x20 || *p == 0x7f)
			buf_add(&b, "?", 1);
		else
			buf_add(&b, (const char *)p, 1);
	}
	buf_add(&b, "'", 1);
	size_t n;
	return buf_take(&b, &n);
}

char *tc_controls(char *dst, size_t cap, const char *src)
{
	size_t w = 0;
	if (!cap)
		return dst;
	for (const unsigned char *p = (const unsigned char *)src; *p && w + 5 < cap; p++) {
		if (*p < 0x20 || *p == 0x7f)
			w += (size_t)snprintf(dst + w, cap - w, "\\x%02x", *p);
		else
			dst[w++] = (char)*p;
	}
	dst[w] = '\0';
	return dst;
}
