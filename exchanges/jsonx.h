/* Lenient json-c getters shared by the exchange adapters. Exchanges send
 * numbers as strings or numbers depending on era and endpoint (exchange-
 * api.md Part 3.1), and omit fields freely; these helpers accept both forms
 * and report "absent / unusable" instead of crashing.
 *
 * All getters take a possibly-NULL object and a key; a NULL or non-object
 * object is treated as "field missing". Nothing here allocates except
 * xch_json_parse. */
#ifndef XCH_JSONX_H
#define XCH_JSONX_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses exactly len bytes (the whole text must be one JSON value, trailing
 * whitespace allowed). Returns the new object (json_object_put() it) or NULL
 * on any syntax error or truncation. */
struct json_object *xch_json_parse(const char *text, size_t len);

/* The member or NULL (also NULL when obj is not an object). */
struct json_object *xch_json_get(struct json_object *obj, const char *key);
/* The member if it is an array, else NULL. */
struct json_object *xch_json_array(struct json_object *obj, const char *key);

/* Decimal from a JSON number or a numeric string ("" and garbage = absent).
 * Returns true and sets *out when usable; leaves *out alone otherwise. */
bool xch_json_num_of(struct json_object *v, double *out);
bool xch_json_num(struct json_object *obj, const char *key, double *out);
/* Same, returning def when absent. */
double xch_json_numd(struct json_object *obj, const char *key, double def);

/* Integer from a JSON integer, a whole double or a decimal-integer string. */
bool xch_json_i64_of(struct json_object *v, int64_t *out);
bool xch_json_i64(struct json_object *obj, const char *key, int64_t *out);
int64_t xch_json_i64d(struct json_object *obj, const char *key, int64_t def);

/* Boolean from true/false, "true"/"false" (any case) or 0/1. */
bool xch_json_bool(struct json_object *obj, const char *key, bool def);

/* The member as a string: strings as they are, numbers printed without
 * exponent (ids sent as numbers), NULL when absent, null or not scalar.
 * The pointer is borrowed from obj (or from a static-per-thread buffer for
 * numbers) and valid until the next call on this thread or until obj dies. */
const char *xch_json_str(struct json_object *obj, const char *key);
/* Copies xch_json_str() into buf (truncating), "" when absent. Returns true
 * when the field was present. */
bool xch_json_copy(struct json_object *obj, const char *key, char *buf, size_t cap);

#endif
