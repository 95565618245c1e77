/* The text cleaners (text_clean.h). Each walks its input one UTF-8
 * character (or one ill-formed byte) at a time. */
#include "base/text_clean.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/xalloc.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF) and its code point; 0 when s[0]
 * does not start one. s is NUL-terminated, so a cut sequence fails on the
 * NUL. */
static size_t u8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t k;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		k = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 4, v = c & 0x07, min = 0x10000;
	} else
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return k;
}

static bool is_bidi(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* A bounded writer: put() refuses what does not fit whole (and the NUL). */
struct w {
	char *p;
	size_t cap, n;
	bool full;
};

static bool put(struct w *w, const void *s, size_t k)
{
	if (w->full || w->n + k + 1 > w->cap) {
		w->full = true;
		return false;
	}
	memcpy(w->p + w->n, s, k);
	w->n += k;
	return true;
}

static size_t w_end(struct w *w)
{
	if (w->cap)
		w->p[w->n] = '\0';
	return w->n;
}

size_t tc_line(const char *in, char *out, size_t cap)
{
	struct w w = { out, cap, 0, cap == 0 };
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	while (*s && !w.full) {
		uint32_t cp = 0;
		size_t k = u8_next(s, &cp);
		char e[16];
		if (k == 0) {
			snprintf(e, sizeof e, "\\x%02x", s[0]);
			put(&w, e, 4);
			k = 1;
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			e[0] = '\\', e[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			put(&w, e, 2);
		} else if (is_control(cp)) {
			/* all bytes of the sequence, so it never forms again */
			char all[16];
			size_t m = 0;
			for (size_t i = 0; i < k; i++)
				m += (size_t)snprintf(all + m, sizeof all - m, "\\x%02x", s[i]);
			put(&w, all, m);
		} else if (is_bidi(cp)) {
			snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
			put(&w, e, 6);
		} else
			put(&w, s, k);
		s += k;
	}
	return w_end(&w);
}

char *tc_line_dup(const char *in)
{
	size_t cap = 4 * strlen(in ? in : "") + 1; /* one byte at most "\xNN" */
	char *out = xmalloc(cap);
	tc_line(in, out, cap);
	return out;
}

static const char fffd[] = "\xEF\xBF\xBD";

size_t tc_text_to(const char *in, char *out, size_t cap, bool keep_nl)
{
	struct w w = { out, cap, 0, cap == 0 };
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	while (*s && !w.full) {
		uint32_t cp = 0;
		size_t k = u8_next(s, &cp);
		if (k == 0) {
			put(&w, fffd, 3);
			k = 1;
		} else if (cp == '\n' && keep_nl)
			put(&w, s, 1);
		else if (is_control(cp) || is_bidi(cp))
			put(&w, fffd, 3);
		else
			put(&w, s, k);
		s += k;
	}
	return w_end(&w);
}

char *tc_text(const char *in, bool keep_nl)
{
	size_t cap = 3 * strlen(in ? in : "") + 1; /* one byte at most U+FFFD */
	char *out = xmalloc(cap);
	tc_text_to(in, out, cap, keep_nl);
	return out;
}

/* Header value: ASCII controls -> ' ', other dangers -> U+FFFD, at most
 * TC_HDR_VALUE_MAX bytes, no trailing spaces (a folded line must not be
 * blank); *ascii says whether only ASCII is left. */
static size_t hdr_value(const char *in, char *out, bool *ascii)
{
	struct w w = { out, TC_HDR_VALUE_MAX + 1, 0, false };
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	while (*s && !w.full) {
		uint32_t cp = 0;
		size_t k = u8_next(s, &cp);
		if (k == 0 || (cp >= 0x80 && (is_control(cp) || is_bidi(cp))))
			put(&w, fffd, 3);
		else if (is_control(cp))
			put(&w, " ", 1);
		else
			put(&w, s, k);
		s += k ? k : 1;
	}
	while (w.n && out[w.n - 1] == ' ')
		w.n--;
	size_t n = w_end(&w);
	*ascii = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] >= 0x80)
			*ascii = false;
	return n;
}

#define HDR_LINE 78
#define EW_BYTES 36 /* source bytes per encoded-word: 48 base64 + 12 = 60 */

static size_t b64(const unsigned char *s, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	return o;
}

char *tc_header(const char *name, const char *value)
{
	char v[TC_HDR_VALUE_MAX + 1];
	bool ascii;
	size_t vl = hdr_value(value, v, &ascii);
	size_t nl = strlen(name);
	/* generous: every 36 bytes cost at most 48+12+3 encoded */
	size_t cap = nl + 4 + vl * 3 + 64;
	char *out = xmalloc(cap);
	size_t o = (size_t)snprintf(out, cap, "%s:", name), col = o;
	if (ascii) {
		/* fold before a space once the line would pass HDR_LINE; one
		 * long word stays whole (the value cap keeps it under 998) */
		out[o++] = ' ', col++;
		for (size_t i = 0; i < vl;) {
			size_t word = strcspn(v + i + 1, " ") + 1; /* v[i] and up to the next space */
			if (v[i] == ' ' && col + word > HDR_LINE && col > nl + 2) {
				out[o++] = '\r', out[o++] = '\n';
				col = 0;
			}
			memcpy(out + o, v + i, word);
			o += word, col += word, i += word;
		}
	} else {
		const unsigned char *s = (const unsigned char *)v;
		for (size_t i = 0; i < vl;) {
			size_t n = 0; /* whole characters, at most EW_BYTES */
			for (;;) {
				uint32_t cp;
				size_t k = u8_next(s + i + n, &cp);
				if (!s[i + n] || k == 0 || n + k > EW_BYTES)
					break;
				n += k;
			}
			if (n == 0) /* cannot happen: v holds only whole characters */
				n = 1;
			if (i)
				out[o++] = '\r', out[o++] = '\n';
			o += (size_t)snprintf(out + o, cap - o, " =?UTF-8?B?");
			o += b64(s + i, n, out + o);
			out[o++] = '?', out[o++] = '=';
			i += n;
		}
	}
	out[o++] = '\r', out[o++] = '\n';
	out[o] = '\0';
	return out;
}

static bool shell_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == ':' || c == '/' || c == '=' || c == '-';
}

char *tc_shell_quote(const char *in)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)s);
	bool plain = n > 0;
	for (size_t i = 0; i < n && plain; i++)
		plain = shell_safe(s[i]);
	if (plain)
		return xstrdup((const char *)s);
	char *out = xmalloc(4 * n + 3); /* ' -> '\'' is the longest */
	size_t o = 0;
	out[o++] = '\'';
	while (*s) {
		uint32_t cp = 0;
		size_t k = u8_next(s, &cp);
		if (k == 0 || is_control(cp) || is_bidi(cp)) {
			out[o++] = '?';
			s += k ? k : 1;
			continue;
		}
		if (cp == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			memcpy(out + o, s, k);
			o += k;
		}
		s += k;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}
