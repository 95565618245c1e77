/* Streamed listing answers (see jsonx_stream.h). DESIGN: one state per
 * place between two values on the way down the path; at each place the
 * next byte that is not white space either is the punctuation expected
 * there, or starts a value that a json-c tokener parses to its end (one
 * tokener per depth, reused). Element and value ends are json-c's own
 * (json_tokener_parse_ex returns the value and json_tokener_get_parse_end
 * where it stopped), so strings, escapes, numbers and literals are never
 * read here. */
#include "exchanges/jsonx_stream.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

#define JS_MAX_DEPTH 64 /* = xch_json_parse's json_tokener_new_ex(64) */

enum js_state {
	JS_TOP,       /* nothing but white space yet */
	JS_DECLINED,  /* not ours: the caller keeps the body */
	JS_ERR,       /* not one JSON value */
	JS_DONE,      /* the top closed: white space only from here */
	JS_OBJ_FIRST, /* after '{': a key or '}' */
	JS_OBJ_KEY,   /* after ',': a key or '}' (json-c takes a trailing comma) */
	JS_OBJ_COLON, /* after a key */
	JS_OBJ_VALUE, /* after ':' */
	JS_OBJ_SEP,   /* after a value: ',' or '}' */
	JS_ARR_FIRST, /* after '[': an element or ']' */
	JS_ARR_NEXT,  /* after ',': an element or ']' */
	JS_ARR_SEP,   /* after an element: ',' or ']' */
	JS_SUB,       /* a tokener is parsing a key, a value or an element */
};

enum js_sub { SUB_KEY, SUB_VALUE, SUB_ELEM };

struct js_level {
	struct json_object *obj; /* level 0: owned (the answer); deeper: held by the parent */
	char *key;               /* object levels: the key being read */
};

struct xch_jstream {
	const char *path[XCH_JSTREAM_MAX_PATH];
	size_t npath;
	xch_jstream_elem_fn on_elem;
	xch_jstream_reset_fn on_reset;
	void *ud;
	enum js_state st;
	enum js_sub sub;
	size_t lvl; /* 0..npath; npath = the array */
	struct js_level lv[XCH_JSTREAM_MAX_PATH + 1];
	struct json_tokener *tok[XCH_JSTREAM_MAX_PATH + 1]; /* values one level below lv[i] */
	struct json_object *placeholder;                    /* borrowed: held by the tree */
	size_t count;
	struct buf pre;
};

static bool js_ws(char c)
{
	/* json-c's white space (json_tokener.c is_ws_char): RFC 8259's four */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct xch_jstream *xch_jstream_new(const char *const *path, size_t npath, xch_jstream_elem_fn on_elem,
				    xch_jstream_reset_fn on_reset, void *ud)
{
	if (npath > XCH_JSTREAM_MAX_PATH)
		return NULL;
	struct xch_jstream *js = xcalloc(1, sizeof *js);
	for (size_t i = 0; i < npath; i++)
		js->path[i] = path[i];
	js->npath = npath;
	js->on_elem = on_elem;
	js->on_reset = on_reset;
	js->ud = ud;
	return js;
}

static void drop_tree(struct xch_jstream *js)
{
	if (js->lv[0].obj)
		json_object_put(js->lv[0].obj);
	for (size_t i = 0; i <= XCH_JSTREAM_MAX_PATH; i++) {
		free(js->lv[i].key);
		js->lv[i].key = NULL;
		js->lv[i].obj = NULL;
	}
	js->placeholder = NULL;
}

void xch_jstream_free(struct xch_jstream *js)
{
	if (!js)
		return;
	drop_tree(js);
	for (size_t i = 0; i <= XCH_JSTREAM_MAX_PATH; i++)
		if (js->tok[i])
			json_tokener_free(js->tok[i]);
	buf_free(&js->pre);
	free(js);
}

void xch_jstream_restart(struct xch_jstream *js)
{
	drop_tree(js);
	for (size_t i = 0; i <= XCH_JSTREAM_MAX_PATH; i++)
		if (js->tok[i])
			json_tokener_reset(js->tok[i]);
	buf_free(&js->pre);
	js->st = JS_TOP;
	js->lvl = 0;
	js->count = 0;
	if (js->on_reset)
		js->on_reset(js->ud);
}

const char *xch_jstream_pre(const struct xch_jstream *js, size_t *len)
{
	*len = js->pre.len;
	return js->pre.p;
}

bool xch_jstream_taken(const struct xch_jstream *js)
{
	return js->st != JS_TOP && js->st != JS_DECLINED;
}

const struct json_object *xch_jstream_placeholder(const struct xch_jstream *js)
{
	return js->placeholder;
}

size_t xch_jstream_count(const struct xch_jstream *js)
{
	return js->count;
}

/* The tokener for values one level below lv[l]: what xch_json_parse allows
 * at that depth (a value at depth d may nest 64 - d levels). */
static struct json_tokener *tok_at(struct xch_jstream *js, size_t l)
{
	if (!js->tok[l])
		js->tok[l] = json_tokener_new_ex(JS_MAX_DEPTH - (int)(l + 1));
	if (!js->tok[l])
		xalloc_oom();
	return js->tok[l];
}

static void start_sub(struct xch_jstream *js, enum js_sub s)
{
	js->sub = s;
	js->st = JS_SUB;
}

/* A value the tokener finished (v may be NULL: JSON null). */
static void sub_done(struct xch_jstream *js, struct json_object *v)
{
	struct js_level *L = &js->lv[js->lvl];
	switch (js->sub) {
	case SUB_KEY:
		if (!json_object_is_type(v, json_type_string)) {
			json_object_put(v);
			js->st = JS_ERR;
			return;
		}
		free(L->key);
		L->key = xstrdup(json_object_get_string(v)); /* json-c keys are C strings */
		json_object_put(v);
		js->st = JS_OBJ_COLON;
		return;
	case SUB_VALUE:
		json_object_object_add(L->obj, L->key, v); /* a key given twice: the last wins */
		js->st = JS_OBJ_SEP;
		return;
	case SUB_ELEM:
		js->count++;
		if (js->on_elem)
			js->on_elem(js->ud, v);
		json_object_put(v);
		js->st = JS_ARR_SEP;
		return;
	}
}

/* lv[lvl] closed ('}' or ']'). */
static void close_level(struct xch_jstream *js)
{
	if (js->lvl == 0) {
		js->st = JS_DONE;
		return;
	}
	free(js->lv[js->lvl].key);
	js->lv[js->lvl].key = NULL;
	js->lv[js->lvl].obj = NULL;
	js->lvl--;
	js->st = JS_OBJ_SEP;
}

/* Down the path from object level lvl under its current key. */
static void descend(struct xch_jstream *js)
{
	struct js_level *L = &js->lv[js->lvl];
	bool arr = js->lvl + 1 == js->npath;
	struct json_object *o = arr ? json_object_new_array() : json_object_new_object();
	if (!o)
		xalloc_oom();
	json_object_object_add(L->obj, L->key, o); /* replaces an earlier one, as json-c does */
	js->lvl++;
	js->lv[js->lvl].obj = o;
	if (arr) {
		js->placeholder = o;
		js->count = 0;
		if (js->on_reset)
			js->on_reset(js->ud);
		js->st = JS_ARR_FIRST;
	} else {
		js->st = JS_OBJ_FIRST;
	}
}

/* One byte c (not white space) at a place between values; returns true if
 * it was consumed, false if a value starts at it (state set to JS_SUB). */
static bool punct(struct xch_jstream *js, char c)
{
	switch (js->st) {
	case JS_OBJ_FIRST:
	case JS_OBJ_KEY:
		if (c == '}') {
			close_level(js);
			return true;
		}
		start_sub(js, SUB_KEY); /* json-c says whether it is a key */
		return false;
	case JS_OBJ_COLON:
		if (c != ':')
			js->st = JS_ERR;
		else
			js->st = JS_OBJ_VALUE;
		return true;
	case JS_OBJ_VALUE:
		if (js->lvl < js->npath && !strcmp(js->lv[js->lvl].key, js->path[js->lvl]) &&
		    c == (js->lvl + 1 == js->npath ? '[' : '{')) {
			descend(js);
			return true;
		}
		start_sub(js, SUB_VALUE);
		return false;
	case JS_OBJ_SEP:
		if (c == ',')
			js->st = JS_OBJ_KEY;
		else if (c == '}')
			close_level(js);
		else
			js->st = JS_ERR;
		return true;
	case JS_ARR_FIRST:
	case JS_ARR_NEXT:
		if (c == ']') {
			close_level(js);
			return true;
		}
		start_sub(js, SUB_ELEM);
		return false;
	case JS_ARR_SEP:
		if (c == ',')
			js->st = JS_ARR_NEXT;
		else if (c == ']')
			close_level(js);
		else
			js->st = JS_ERR;
		return true;
	default: js->st = JS_ERR; return true;
	}
}

bool xch_jstream_feed(struct xch_jstream *js, const char *p, size_t n)
{
	size_t i = 0;
	if (js->st == JS_DECLINED)
		return false;
	if (js->st == JS_TOP) {
		buf_add(&js->pre, p, n);
		while (i < n && js_ws(p[i]))
			i++;
		if (i == n)
			return true;
		if (p[i] != (js->npath ? '{' : '[')) {
			js->st = JS_DECLINED;
			return false;
		}
		buf_free(&js->pre);
		js->lv[0].obj = js->npath ? json_object_new_object() : json_object_new_array();
		if (!js->lv[0].obj)
			xalloc_oom();
		if (js->npath) {
			js->st = JS_OBJ_FIRST;
		} else {
			js->placeholder = js->lv[0].obj;
			js->st = JS_ARR_FIRST;
		}
		i++;
	}
	while (i < n) {
		switch (js->st) {
		case JS_ERR: return true;
		case JS_DONE:
			/* xch_json_parse: only white space after the value */
			for (; i < n; i++)
				if (!isspace((unsigned char)p[i])) {
					js->st = JS_ERR;
					break;
				}
			return true;
		case JS_SUB: {
			size_t l = js->sub == SUB_ELEM ? js->npath : js->lvl;
			struct json_tokener *t = tok_at(js, l);
			size_t avail = n - i;
			int chunk = avail > (size_t)INT_MAX ? INT_MAX : (int)avail;
			struct json_object *v = json_tokener_parse_ex(t, p + i, chunk);
			enum json_tokener_error e = json_tokener_get_error(t);
			if (e == json_tokener_continue) {
				i += (size_t)chunk;
				break;
			}
			if (e != json_tokener_success) {
				if (v)
					json_object_put(v);
				js->st = JS_ERR;
				return true;
			}
			i += json_tokener_get_parse_end(t);
			json_tokener_reset(t);
			sub_done(js, v);
			break;
		}
		default:
			if (js_ws(p[i])) {
				i++;
				break;
			}
			if (punct(js, p[i]))
				i++;
			break;
		}
	}
	return true;
}

struct json_object *xch_jstream_finish(struct xch_jstream *js)
{
	if (js->st != JS_DONE) {
		drop_tree(js);
		js->st = JS_ERR;
		return NULL;
	}
	struct json_object *root = js->lv[0].obj;
	js->lv[0].obj = NULL;
	return root;
}

void xch_jbody_start(struct xch_jbody *b, struct xch_jstream *js, bool to_stream, struct buf *kept)
{
	*b = (struct xch_jbody){ .js = js, .to_stream = js && to_stream, .kept = kept };
}

void xch_jbody_add(struct xch_jbody *b, const char *p, size_t n)
{
	if (b->to_stream) {
		if (xch_jstream_feed(b->js, p, n))
			return;
		/* not a listing (an error object): kept whole, as without a stream */
		b->to_stream = false;
		size_t pl = 0;
		const char *pre = xch_jstream_pre(b->js, &pl);
		buf_add(b->kept, pre, pl);
		return;
	}
	buf_add(b->kept, p, n);
}

bool xch_jbody_end(struct xch_jbody *b)
{
	if (!b->to_stream)
		return false;
	if (xch_jstream_taken(b->js))
		return true;
	/* white space only (or nothing): the usual parse says why */
	size_t pl = 0;
	const char *pre = xch_jstream_pre(b->js, &pl);
	if (pl)
		buf_add(b->kept, pre, pl);
	b->to_stream = false;
	return false;
}
