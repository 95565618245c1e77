/* Cleaning text that came from outside (exchange symbols, order and client
 * ids, exchange error messages) for the place it is written to. One cleaner
 * per kind of sink; every sink calls its own:
 *   tc_line        log lines, stdout tables (a terminal)
 *   tc_text        email bodies, Telegram text
 *   tc_header      one email header field
 *   tc_shell_quote one argument of a suggested shell command
 * "Dangerous" below means: C0 controls (0x00-0x1f), DEL, C1 controls
 * (U+0080-U+009F), bidi overrides/isolates (U+202A-202E, U+2066-2069: they
 * make a terminal show text in another order) and bytes that are not
 * well-formed UTF-8. Other UTF-8 passes unchanged. Leaf: libc only. */
#ifndef WD_TEXT_CLEAN_H
#define WD_TEXT_CLEAN_H
#include <stdbool.h>
#include <stddef.h>

/* Terminal/log text: \n \r \t become the two characters "\n" "\r" "\t",
 * other dangerous bytes "\xNN" (one per byte), bidi controls "\u202e".
 * Writes at most cap-1 bytes and a NUL into out, never cutting an escape
 * or a character; returns the length written. cap 0 writes nothing. */
size_t tc_line(const char *in, char *out, size_t cap);
/* The same into a new buffer. */
char *tc_line_dup(const char *in);

/* Message text: every dangerous character becomes U+FFFD, except '\n'
 * when keep_nl (the body's own line breaks). A single-line field embedded
 * in a body is cleaned with keep_nl=false, so it cannot add lines (e.g. a
 * fake "first seen:" or "fix:" line). Truncates like tc_line. */
size_t tc_text_to(const char *in, char *out, size_t cap, bool keep_nl);
char *tc_text(const char *in, bool keep_nl);

/* One header field, "Name: value\r\n", malloc'd. Controls become spaces,
 * the value is cut at TC_HDR_VALUE_MAX bytes, pure ASCII is folded at
 * spaces to lines of about 78 characters, and anything else is written as
 * RFC 2047 UTF-8 "B" encoded-words, one per folded line. name is ours. */
#define TC_HDR_VALUE_MAX 600
char *tc_header(const char *name, const char *value);

/* One shell argument, malloc'd: as it is when it is non-empty and every
 * byte is in [A-Za-z0-9._:/=-]; otherwise in POSIX single quotes, each '
 * written as '\'' and every dangerous character as '?', so pasting the
 * command can never run anything but the command. */
char *tc_shell_quote(const char *in);

#endif
