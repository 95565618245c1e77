/* Text from an exchange (or a config) made safe for one context. */
#ifndef WD_TEXT_CLEAN_H
#define WD_TEXT_CLEAN_H
#include <stddef.h>

/* One argument for a POSIX shell command line a person will copy: as is
 * when it holds only [A-Za-z0-9._,:/=@%+-] (and is not empty), else in
 * single quotes ('it'\''s'); control bytes become '?', so a pasted
 * suggestion can never run anything or hide a line. Malloc'd. */
char *tc_shell_arg(const char *s);

/* A copy of src for a terminal or a log line: control bytes (ESC, CR, LF,
 * DEL, …) written as \xNN, so no text can move the cursor, recolour the
 * screen or fake a line. Cut to cap. Returns dst. */
char *tc_controls(char *dst, size_t cap, const char *src);

#endif
