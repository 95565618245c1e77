/* Telegram HTML text: escaping and splitting under the 4096 limit. Pure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/channel.h"
#include "base/xalloc.h"

static size_t esc_len(unsigned char c)
{
	return c == '&' ? 5 : (c == '<' || c == '>') ? 4 : 1;
}

static void esc_append(char *dst, size_t *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *r = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : NULL;
		if (r) {
			memcpy(dst + *w, r, strlen(r));
			*w += strlen(r);
		} else {
			dst[(*w)++] = s[i];
		}
	}
	dst[*w] = '\0';
}

char *alert_tg_escape(const char *s)
{
	size_t n = strlen(s), need = 1;
	for (size_t i = 0; i < n; i++)
		need += esc_len((unsigned char)s[i]);
	char *out = xmalloc(need);
	size_t w = 0;
	out[0] = '\0';
	esc_append(out, &w, s, n);
	return out;
}

/* Length in bytes of the UTF-8 sequence starting at s (1 if invalid), so
 * a split never cuts a character in half. */
static size_t u8len(const unsigned char *s, size_t left)
{
	size_t k = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 1;
	if (k > left)
		return 1;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return k;
}

#define PREFIX_RESERVE 24 /* "(i/n) " with room to spare */

int alert_tg_build(const char *subject, const char *body, size_t limit, char ***parts, size_t *n)
{
	if (!subject)
		subject = "";
	if (!body)
		body = "";
	char *subj = alert_tg_escape(subject);
	size_t head = strlen(subj) + strlen("<b></b>\n\n");
	size_t blen = strlen(body);
	/* chunk boundaries (byte offsets into body); sizes are counted on the
	 * escaped text in bytes, which is never less than Telegram's count */
	size_t cap = 8, nb = 0;
	size_t *ends = xmalloc(cap * sizeof *ends);
	size_t pos = 0;
	do {
		size_t budget = limit > PREFIX_RESERVE ? limit - PREFIX_RESERVE : 0;
		if (nb == 0)
			budget = budget > head ? budget - head : 0;
		if (budget < 16)
			budget = 16;
		size_t esc = 0, i = pos, last_nl = SIZE_MAX;
		while (i < blen) {
			size_t cl = u8len((const unsigned char *)body + i, blen - i);
			size_t e = cl == 1 ? esc_len((unsigned char)body[i]) : cl;
			if (esc + e > budget)
				break;
			esc += e;
			if (body[i] == '\n')
				last_nl = i;
			i += cl;
		}
		size_t end = i;
		if (i < blen && last_nl != SIZE_MAX && last_nl >= pos + (i - pos) / 2)
			end = last_nl + 1; /* prefer a line boundary */
		if (end == pos && i < blen) /* budget smaller than one char */
			end = pos + u8len((const unsigned char *)body + pos, blen - pos);
		if (nb == cap)
			ends = xrealloc(ends, (cap *= 2) * sizeof *ends);
		ends[nb++] = end;
		pos = end;
	} while (pos < blen);

	char **out = xcalloc(nb, sizeof *out);
	size_t start = 0;
	for (size_t k = 0; k < nb; k++) {
		size_t len = ends[k] - start;
		char *t = xmalloc(head + PREFIX_RESERVE + len * 5 + 1);
		size_t w = 0;
		t[0] = '\0';
		if (nb > 1)
			w = (size_t)sprintf(t, "(%zu/%zu) ", k + 1, nb);
		if (k == 0)
			w += (size_t)sprintf(t + w, "<b>%s</b>%s", subj, blen ? "\n\n" : "");
		esc_append(t, &w, body + start, len);
		out[k] = t;
		start = ends[k];
	}
	free(ends);
	free(subj);
	*parts = out;
	*n = nb;
	return 0;
}

void alert_tg_parts_free(char **parts, size_t n)
{
	if (!parts)
		return;
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}
