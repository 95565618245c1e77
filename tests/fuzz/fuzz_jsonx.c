/* The lenient JSON helpers every adapter parser sits on (exchanges/jsonx.h):
 * xch_json_parse on raw bytes, then every getter on every member. */
#include "exchanges/jsonx.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void getters(struct json_object *o, int depth)
{
	if (!o || depth > 4)
		return;
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n && i < 64; i++)
			getters(json_object_array_get_idx(o, i), depth + 1);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		double d = 0;
		int64_t v = 0;
		char buf[16];
		xch_json_num(o, key, &d);
		xch_json_num_of(val, &d);
		(void)xch_json_numd(o, key, 0);
		xch_json_i64(o, key, &v);
		xch_json_i64_of(val, &v);
		(void)xch_json_i64d(o, key, 0);
		(void)xch_json_bool(o, key, false);
		const char *s = xch_json_str(o, key);
		if (s)
			(void)strlen(s);
		xch_json_copy(o, key, buf, sizeof buf);
		FUZZ_CHECK(fuzz_terminated(buf, sizeof buf));
		(void)xch_json_array(o, key);
		getters(val, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = xch_json_parse((const char *)data, size);
	getters(o, 0);
	if (o)
		json_object_put(o);
	return 0;
}
