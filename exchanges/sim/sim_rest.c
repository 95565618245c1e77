/* Common REST entry: routes by path prefix, applies transport faults
 * (rate limits, 5xx, slow, malformed, truncated), logs and counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "watchdog/xalloc.h"

static void set_body(struct sim_resp *r, int status, const char *s)
{
	free(r->body);
	r->status = status;
	r->body = xstrdup(s);
	r->len = strlen(s);
}

static void log_request(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r,
			struct sim_account *a)
{
	struct json_object *e = json_object_new_object();
	size_t n = r->len > 4096 ? 4096 : r->len;
	char *ans = xstrndup(r->body ? r->body : "", n);

	sim_jint(e, "t", sim_real_ms());
	sim_jstr_add(e, "method", rq->method);
	sim_jstr_add(e, "path", rq->path);
	sim_jstr_add(e, "query", rq->query);
	sim_jstr_add(e, "body", rq->body);
	sim_jint(e, "status", r->status);
	sim_jstr_add(e, "answer", ans);
	sim_jstr_add(e, "client_id", r->client_id);
	sim_jbool(e, "vigil", !strncmp(r->client_id, "vgl-", 4));
	sim_jstr_add(e, "source", "api");
	free(ans);
	sim_log_add(w, a, e);
}

void sim_rest_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	int ex;
	const char *key;
	struct sim_account *a;
	struct sim_fault *f;

	if (!strncmp(rq->path, "/_sim/", 6) || !strcmp(rq->path, "/_sim")) {
		sim_control_handle(w, rq, r);
		return;
	}
	if (!strncmp(rq->path, "/fapi/", 6))
		ex = SIM_BINANCE;
	else if (!strncmp(rq->path, "/v5/", 4))
		ex = SIM_BYBIT;
	else {
		set_body(r, 404, "{\"code\":-5000,\"msg\":\"Path not found\"}");
		return;
	}
	key = ex == SIM_BINANCE ? rq->mbx_key : rq->bapi_key;
	a = sim_account_find(w, key);
	if (a && (int)a->ex != ex)
		a = NULL;
	r->acct = a;
	/* orders created / cancelled while this runs are the request's doing;
	 * its log entry (log_request below) gets the next seq of its account */
	w->in_rest = 1;
	w->rest_seq = (a ? a : w->anon)->log_seq + 1;
	snprintf(w->rest_name, sizeof w->rest_name, "%.7s %.100s", rq->method, rq->path);
	if ((f = sim_fault_find(w, "slow", ex, rq->path, key, 1)))
		r->delay_ms = f->ms;
	if ((f = sim_fault_find(w, "rate_limit", ex, rq->path, key, 1))) {
		int st = f->status ? f->status : 429;

		if (ex == SIM_BINANCE) {
			char b[200];

			snprintf(b, sizeof b, "{\"code\":-1003,\"msg\":\"%s\"}",
				 st == 418 ? "Way too many requests; IP(127.0.0.1) banned until further notice."
					   : "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute.");
			set_body(r, st, b);
			sim_resp_hdr(r, "Retry-After", "%d", f->retry_after);
		} else if (st == 403) {
			set_body(r, 403, "{\"retCode\":10006,\"retMsg\":\"access too frequent\"}");
		} else {
			char b[200];

			snprintf(b, sizeof b, "{\"retCode\":10006,\"retMsg\":\"Too many visits!\",\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
				 sim_now(w, ex));
			set_body(r, st == 429 ? 200 : st, b);
			sim_resp_hdr(r, "X-Bapi-Limit-Status", "0");
			sim_resp_hdr(r, "X-Bapi-Limit-Reset-Timestamp", "%lld", sim_now(w, ex) + f->retry_after * 1000LL);
		}
	} else if ((f = sim_fault_find(w, "http_status", ex, rq->path, key, 1))) {
		int st = f->status ? f->status : 503;

		if (ex == SIM_BINANCE)
			set_body(r, st, st == 503 ? "{\"code\":-1001,\"msg\":\"Service Unavailable.\"}"
						  : "{\"code\":-1000,\"msg\":\"Request occur unknown error.\"}");
		else
			set_body(r, st, "{\"retCode\":10016,\"retMsg\":\"Server error.\"}");
	} else if (ex == SIM_BINANCE) {
		sim_bn_handle(w, rq, r);
	} else {
		sim_bb_handle(w, rq, r);
	}
	if (ex == SIM_BINANCE) {
		long long min = sim_real_ms() / 60000;

		if (min != w->wmin)
			w->wmin = min, w->wused = 0;
		w->wused += r->weight;
		sim_resp_hdr(r, "X-MBX-USED-WEIGHT-1M", "%lld", w->wused);
	}
	if ((f = sim_fault_find(w, "malformed", ex, rq->path, key, 1)))
		set_body(r, r->status, "<html><body>502 Bad Gateway</body></html>{\"code\":");
	else if ((f = sim_fault_find(w, "truncated", ex, rq->path, key, 1)) && r->len > 1)
		r->len /= 2;
	if (!a)
		a = w->anon;
	sim_count(a, rq->method, rq->path, r->weight);
	log_request(w, rq, r, a);
	w->in_rest = 0;
}
