/* Binance REST plumbing shared by binance.c and bn_stream.c: request
 * building (signing, API-key header), answer checking and clock sync. */
#ifndef BN_REST_H
#define BN_REST_H
#include "exchanges/xch_int.h"

/* Fills r for METHOD rest_url+path with params (already encoded, may be
 * "" or NULL). Signed requests get recvWindow, timestamp (local clock +
 * x->clock_offset_ms) and signature. GET/DELETE carry everything in the
 * query string, POST/PUT in a form body. */
void bn_req_build(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *params,
		  bool sign);
/* Transport + Binance error check; updates x->limits when count is true. */
int bn_req_finish(struct xch *x, struct xch_req *r, bool count, struct xch_err *err);
/* One call with clock sync before the first signed request and one
 * re-sync + retry on XCH_TIMESTAMP. r holds the answer (xch_req_clear it). */
int bn_call(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *params, bool sign,
	    struct xch_err *err);
int bn_sync_clock(struct xch *x, struct xch_err *err);

extern const struct xch_stream_proto bn_stream_proto;

#endif
