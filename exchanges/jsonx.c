/* Lenient json-c getters (see jsonx.h). The one rule: a malformed or
 * unexpected value is "absent", never a crash and never a guessed value. */
#include "exchanges/jsonx.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct json_object *xch_json_parse(const char *text, size_t len)
{
	if (!text || len == 0 || len > (size_t)INT32_MAX)
		return NULL;
	struct json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return NULL;
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success || !o) {
		/* json_tokener_continue = truncated input */
		if (o)
			json_object_put(o);
		return NULL;
	}
	for (size_t i = used; i < len; i++) {
		if (!isspace((unsigned char)text[i])) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

struct json_object *xch_json_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

struct json_object *xch_json_array(struct json_object *obj, const char *key)
{
	struct json_object *v = xch_json_get(obj, key);
	return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* The whole of s is one number, white space around it allowed. integer:
 * strtoll into *n, else strtod into *d; an out-of-range value is no number. */
static bool parse_number_text(const char *s, bool integer, double *d, long long *n)
{
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return false;
	errno = 0;
	char *end = NULL;
	if (integer)
		*n = strtoll(s, &end, 10);
	else
		*d = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0';
}

static bool parse_decimal(const char *s, double *out)
{
	double d = 0;
	if (!parse_number_text(s, false, &d, NULL) || !isfinite(d))
		return false;
	*out = d;
	return true;
}

bool xch_json_num_of(struct json_object *v, double *out)
{
	switch (json_object_get_type(v)) {
	case json_type_int: *out = (double)json_object_get_int64(v); return true;
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d))
			return false;
		*out = d;
		return true;
	}
	case json_type_string: return parse_decimal(json_object_get_string(v), out);
	default: return false;
	}
}

bool xch_json_num(struct json_object *obj, const char *key, double *out)
{
	return xch_json_num_of(xch_json_get(obj, key), out);
}

double xch_json_numd(struct json_object *obj, const char *key, double def)
{
	double d = def;
	if (!xch_json_num(obj, key, &d))
		return def;
	return d;
}

bool xch_json_i64_of(struct json_object *v, int64_t *out)
{
	switch (json_object_get_type(v)) {
	case json_type_int: *out = json_object_get_int64(v); return true;
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e18)
			return false;
		*out = (int64_t)d;
		return true;
	}
	case json_type_string: {
		long long n = 0;
		if (!parse_number_text(json_object_get_string(v), true, NULL, &n))
			return false;
		*out = n;
		return true;
	}
	default: return false;
	}
}

bool xch_json_i64(struct json_object *obj, const char *key, int64_t *out)
{
	return xch_json_i64_of(xch_json_get(obj, key), out);
}

int64_t xch_json_i64d(struct json_object *obj, const char *key, int64_t def)
{
	int64_t n = def;
	if (!xch_json_i64(obj, key, &n))
		return def;
	return n;
}

bool xch_json_bool(struct json_object *obj, const char *key, bool def)
{
	struct json_object *v = xch_json_get(obj, key);
	switch (json_object_get_type(v)) {
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_string: {
		const char *s = json_object_get_string(v);
		if (!strcasecmp(s, "true") || !strcmp(s, "1"))
			return true;
		if (!strcasecmp(s, "false") || !strcmp(s, "0"))
			return false;
		return def;
	}
	default: return def;
	}
}

const char *xch_json_str(struct json_object *obj, const char *key)
{
	static _Thread_local char num[48];
	struct json_object *v = xch_json_get(obj, key);
	switch (json_object_get_type(v)) {
	case json_type_string: return json_object_get_string(v);
	case json_type_int: snprintf(num, sizeof num, "%" PRId64, json_object_get_int64(v)); return num;
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d))
			return NULL;
		if (d == floor(d) && fabs(d) < 1e18)
			snprintf(num, sizeof num, "%.0f", d);
		else
			snprintf(num, sizeof num, "%.10g", d);
		return num;
	}
	case json_type_boolean: return json_object_get_boolean(v) ? "true" : "false";
	default: return NULL;
	}
}

bool xch_json_copy(struct json_object *obj, const char *key, char *buf, size_t cap)
{
	const char *s = xch_json_str(obj, key);
	if (cap == 0)
		return s != NULL;
	/* snprintf("%s")'s cut, without its format machinery: this runs for
	 * every id and symbol of every listed order */
	size_t n = s ? strlen(s) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return s != NULL;
}
