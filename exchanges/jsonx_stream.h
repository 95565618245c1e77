/* A listing answer parsed as it arrives (issue 21). The body is fed chunk
 * by chunk, as libcurl hands it over; json-c's incremental tokener
 * (json_tokener_parse_ex) parses every value, and each element of the one
 * array the caller wants (the top-level array, or the one at a path of
 * object keys such as result.list) is handed to a callback as soon as its
 * last byte arrived, then freed: no tree of the whole answer is built.
 *
 * What this file reads itself is only the punctuation between the values
 * on the way to that array: JSON white space, '[' ']' '{' '}' ':' ','. Keys,
 * elements and every other value are json-c's, with the depth limit of
 * xch_json_parse (64 levels counted from the top of the answer). The rest of
 * the answer (an envelope's retCode, retMsg, nextPageCursor, ...) is kept as
 * a json-c tree in which the streamed array is an empty placeholder.
 *
 * Same acceptance as xch_json_parse on the whole text, with one documented
 * difference: json-c's lenient extensions (comments, trailing commas) are
 * taken where json-c's tokener meets them itself, but a comment right
 * after a number / true / false / null or after a streamed '}' or ']' (a
 * place only this file reads) is a syntax error, as is a comment after
 * the answer's last byte. Exchanges send neither (RFC 8259 has no
 * comments); tests/fuzz/fuzz_jsonx_stream.c checks that every other text
 * gives the same result both ways. */
#ifndef XCH_JSONX_STREAM_H
#define XCH_JSONX_STREAM_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define XCH_JSTREAM_MAX_PATH 4

struct xch_jstream;

/* One element, borrowed for the call (freed right after it). ud is the
 * caller's. */
typedef void (*xch_jstream_elem_fn)(void *ud, struct json_object *elem);
/* A later array at the same path replaces the one streamed so far (a key
 * given twice: json-c keeps the last): forget the elements received. */
typedef void (*xch_jstream_reset_fn)(void *ud);

/* path: npath object keys from the top (0 = the answer is the array).
 * The strings are borrowed for the stream's life. */
struct xch_jstream *xch_jstream_new(const char *const *path, size_t npath, xch_jstream_elem_fn on_elem,
				    xch_jstream_reset_fn on_reset, void *ud);
void xch_jstream_free(struct xch_jstream *js);
/* Back to the start (a request sent again); calls on_reset. */
void xch_jstream_restart(struct xch_jstream *js);

/* Feeds the next n bytes. false = the stream declines the body: its first
 * byte other than white space does not open the path ('[' or '{'), so the
 * caller keeps the whole body itself (the bytes fed so far, this chunk
 * included, are in xch_jstream_pre) and parses it the usual way; the
 * stream takes nothing more. */
bool xch_jstream_feed(struct xch_jstream *js, const char *p, size_t n);
/* The bytes fed before the stream declined, or all of them while it has
 * not decided (only white space seen); borrowed. */
const char *xch_jstream_pre(const struct xch_jstream *js, size_t *len);
/* True once the stream has taken the body (its first byte opened the path). */
bool xch_jstream_taken(const struct xch_jstream *js);

/* After the last byte of a taken body: the answer as xch_json_parse would
 * return it, the streamed array empty (the caller owns the reference;
 * json_object_put it), or NULL when the text is not one JSON value
 * (truncated, malformed, too deep, trailing bytes). */
struct json_object *xch_jstream_finish(struct xch_jstream *js);
/* The placeholder the streamed array left in that tree (the latest one),
 * NULL if the path's array was never streamed. A tree whose array at the
 * path is another object holds its elements itself (a value json-c parsed
 * whole): the caller reads them from the tree. */
const struct json_object *xch_jstream_placeholder(const struct xch_jstream *js);
/* Elements of the latest streamed array. */
size_t xch_jstream_count(const struct xch_jstream *js);

/* One answer's body routed as it arrives (xch_http's write callback): to
 * the stream while it takes the body, else kept whole in *kept, the bytes
 * the stream saw before it declined included. */
struct buf;
struct xch_jbody {
	struct xch_jstream *js; /* NULL: everything is kept */
	bool to_stream;
	struct buf *kept;
};
/* to_stream false (an error status, no stream): every byte to kept. */
void xch_jbody_start(struct xch_jbody *b, struct xch_jstream *js, bool to_stream, struct buf *kept);
void xch_jbody_add(struct xch_jbody *b, const char *p, size_t n);
/* After the last byte: true if the stream took the body; otherwise the
 * whole body (white space alone too) is in kept. */
bool xch_jbody_end(struct xch_jbody *b);

#endif
