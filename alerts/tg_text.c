/* Telegram HTML text: escaping and splitting under the 4096 limit. Pure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/channel.h"
#include "base/buf.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

static size_t esc_len(unsigned char c)
{
	return c == '&' ? 5 : (c == '<' || c == '>') ? 4 : 1;
}

static void esc_append(struct buf *b, const char *s, size_t n)
{
	size_t run = 0; /* start of the bytes copied as they are */
	for (size_t i = 0; i < n; i++) {
		const char *r = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : NULL;
		if (!r)
			continue;
		buf_add(b, s + run, i - run);
		buf_adds(b, r);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

char *alert_tg_escape(const char *s)
{
	struct buf b = { 0 };
	esc_append(&b, s, strlen(s));
	return buf_take(&b, NULL);
}

/* Length in bytes of the UTF-8 sequence starting at s (1 if invalid), so
 * a split never cuts a character in half. */
static size_t u8len(const unsigned char *s, size_t left)
{
	size_t k = s[0] < 0x80             ? 1
		   : (s[0] & 0xE0) == 0xC0 ? 2
		   : (s[0] & 0xF0) == 0xE0 ? 3
		   : (s[0] & 0xF8) == 0xF0 ? 4
					   : 1;
	if (k > left)
		return 1;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return k;
}

#define PREFIX_RESERVE 24 /* "(i/n) " with room to spare */

int alert_tg_build(const char *subject0, const char *body0, size_t limit, char ***parts, size_t *n)
{
	/* controls out first (the subject is one line, the body keeps its
	 * own newlines), then HTML escaping for parse_mode=HTML */
	char *subject = tc_text(subject0 ? subject0 : "", false);
	char *body = tc_text(body0 ? body0 : "", true);
	char *subj = alert_tg_escape(subject);
	size_t head = strlen(subj) + strlen("<b></b>\n\n");
	size_t blen = strlen(body);
	/* chunk boundaries (byte offsets into body); sizes are counted on the
	 * escaped text in bytes, which is never less than Telegram's count */
	struct buf ends = { 0 }; /* of size_t */
	size_t nb = 0, pos = 0;
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
			end = last_nl + 1;  /* prefer a line boundary */
		if (end == pos && i < blen) /* budget smaller than one char */
			end = pos + u8len((const unsigned char *)body + pos, blen - pos);
		buf_add(&ends, &end, sizeof end);
		nb++;
		pos = end;
	} while (pos < blen);

	const size_t *cut = (const size_t *)ends.p;
	char **out = xcalloc(nb, sizeof *out);
	size_t start = 0;
	for (size_t k = 0; k < nb; k++) {
		struct buf t = { 0 };
		if (nb > 1)
			buf_addf(&t, "(%zu/%zu) ", k + 1, nb);
		if (k == 0)
			buf_addf(&t, "<b>%s</b>%s", subj, blen ? "\n\n" : "");
		esc_append(&t, body + start, cut[k] - start);
		out[k] = buf_take(&t, NULL);
		start = cut[k];
	}
	buf_free(&ends);
	free(subj);
	free(subject);
	free(body);
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
