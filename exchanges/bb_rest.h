/* Bybit REST plumbing shared by bybit.c and bb_stream.c. */
#ifndef BB_REST_H
#define BB_REST_H
#include "exchanges/xch_int.h"

/* GET: payload is the query string; POST: the JSON body. Signed requests
 * carry X-BAPI-API-KEY / TIMESTAMP / RECV-WINDOW / SIGN. */
void bb_req_build(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *payload,
		  bool sign);
/* Transport + envelope check; on XCH_OK *root (put it) and *result. */
int bb_req_finish(struct xch *x, struct xch_req *r, struct json_object **root, struct json_object **result,
		  struct xch_err *err);

extern const struct xch_stream_proto bb_stream_proto;

#endif
