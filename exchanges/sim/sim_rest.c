/* Common REST entry: routes by path prefix, enforces the rate limits
 * (sim_limits.c), applies transport faults (rate limits, 5xx, slow,
 * answer lost, malformed, truncated), logs and counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/log.h"
#include "base/xalloc.h"

static void set_body(struct sim_resp *r, int status, const char *s)
{
	free(r->body);
	r->status = status;
	r->body = xstrdup(s);
	r->len = strlen(s);
}

/* lost: the answer_lost fault that hit (NULL none); lost_status / lost_body:
 * what the exchange had answered after acting (the client never got it). */
static void log_request(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r, struct sim_account *a,
			const struct sim_fault *lost, int lost_status, const char *lost_body)
{
	struct json_object *e = json_object_new_object();
	int sent = !r->lost;
	size_t n = r->len > 4096 ? 4096 : r->len;
	char *ans = xstrndup(sent && r->body ? r->body : "", sent ? n : 0);

	sim_jint(e, "t", sim_real_ms());
	sim_jstr_add(e, "method", rq->method);
	sim_jstr_add(e, "path", rq->path);
	sim_jstr_add(e, "query", rq->query);
	sim_jstr_add(e, "body", rq->body);
	sim_jint(e, "status", sent ? r->status : 0);
	sim_jstr_add(e, "answer", ans);
	sim_jstr_add(e, "client_id", r->client_id);
	sim_jbool(e, "vigil", !strncmp(r->client_id, "vgl-", 4));
	sim_jstr_add(e, "source", "api");
	if (r->limited)
		sim_jbool(e, "rate_limited", 1);
	if (lost) {
		char *la = xstrndup(lost_body ? lost_body : "", 4096);

		sim_jstr_add(e, "answer_lost", lost->mode);
		sim_jint(e, "lost_status", lost_status);
		sim_jstr_add(e, "lost_answer", la);
		free(la);
	}
	free(ans);
	sim_log_add(w, a, e);
}

/* Requests that change orders / positions: what answer_lost applies to. */
static int acting(int ex, const struct sim_req *rq)
{
	static const char *const bn[] = { "POST /fapi/v1/order",
					  "DELETE /fapi/v1/order",
					  "POST /fapi/v1/algoOrder",
					  "DELETE /fapi/v1/algoOrder",
					  "DELETE /fapi/v1/allOpenOrders",
					  "DELETE /fapi/v1/algoOpenOrders",
					  NULL };
	static const char *const bb[] = { "POST /v5/order/create", "POST /v5/order/cancel", "POST /v5/order/cancel-all",
					  "POST /v5/position/trading-stop", NULL };
	const char *const *t = ex == SIM_BINANCE ? bn : bb;
	size_t ml = strlen(rq->method);

	for (int i = 0; t[i]; i++)
		if (!strncmp(t[i], rq->method, ml) && t[i][ml] == ' ' && !strcmp(t[i] + ml + 1, rq->path))
			return 1;
	return 0;
}

/* The exchange acted: HTTP 200 and, on Bybit, retCode 0. */
static int succeeded(int ex, const struct sim_resp *r)
{
	struct json_object *o, *c;
	int ok;

	if (r->status != 200 || !r->body)
		return 0;
	if (ex == SIM_BINANCE)
		return 1;
	o = json_tokener_parse(r->body);
	ok = o && json_object_object_get_ex(o, "retCode", &c) && json_object_get_int(c) == 0;
	json_object_put(o);
	return ok;
}

/* Client id of a request the limiter refused (the handler never saw it). */
static void limited_client_id(int ex, const struct sim_req *rq, struct sim_resp *r)
{
	if (ex == SIM_BINANCE) {
		char cid[64];

		snprintf(r->client_id, sizeof r->client_id, "%s", sim_bn_client_id(rq, cid, sizeof cid));
	} else {
		struct json_object *o = json_tokener_parse(rq->body);
		const char *v = o && json_object_is_type(o, json_type_object) ? sim_jstr(o, "orderLinkId") : NULL;

		if (!v) {
			char q[64];

			if (sim_param(rq->query, "orderLinkId", q, sizeof q))
				snprintf(r->client_id, sizeof r->client_id, "%s", q);
		} else {
			snprintf(r->client_id, sizeof r->client_id, "%s", v);
		}
		json_object_put(o);
	}
}

void sim_rest_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	int ex;
	const char *key;
	struct sim_account *a;
	struct sim_fault *f, *lost = NULL;
	int lost_status = 0;
	char *lost_body = NULL;

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
	if (sim_limits_pre(w, ex, rq, a, r)) {
		limited_client_id(ex, rq, r);
		goto done;
	}
	if ((f = sim_fault_find(w, "slow", ex, rq->path, key, 1)))
		r->delay_ms = f->ms;
	if ((f = sim_fault_find(w, "rate_limit", ex, rq->path, key, 1))) {
		int st = f->status ? f->status : 429;

		if (ex == SIM_BINANCE) {
			char b[200];

			snprintf(b, sizeof b, "{\"code\":-1003,\"msg\":\"%s\"}",
				 st == 418 ? "Way too many requests; IP(127.0.0.1) banned until further notice."
					   : "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per "
					     "minute.");
			set_body(r, st, b);
			sim_resp_hdr(r, "Retry-After", "%d", f->retry_after);
		} else if (st == 403) {
			set_body(r, 403, "{\"retCode\":10006,\"retMsg\":\"access too frequent\"}");
		} else {
			char b[200];

			snprintf(b, sizeof b,
				 "{\"retCode\":10006,\"retMsg\":\"Too many "
				 "visits!\",\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
				 sim_now(w, ex));
			set_body(r, st == 429 ? 200 : st, b);
			sim_resp_hdr(r, "X-Bapi-Limit-Status", "0");
			sim_resp_hdr(r, "X-Bapi-Limit-Reset-Timestamp", "%lld",
				     sim_now(w, ex) + f->retry_after * 1000LL);
		}
	} else if ((f = sim_fault_find(w, "http_status", ex, rq->path, key, 1))) {
		int st = f->status ? f->status : 503;

		if (ex == SIM_BINANCE)
			set_body(r, st,
				 st == 503 ? "{\"code\":-1001,\"msg\":\"Service Unavailable.\"}"
					   : "{\"code\":-1000,\"msg\":\"Request occur unknown error.\"}");
		else
			set_body(r, st, "{\"retCode\":10016,\"retMsg\":\"Server error.\"}");
	} else if (ex == SIM_BINANCE) {
		sim_bn_handle(w, rq, r);
	} else {
		sim_bb_handle(w, rq, r);
	}
	/* answer lost after the exchange acted: the request was executed; the
	 * client gets no answer, an "unknown status" error, or a late one */
	if (acting(ex, rq) && succeeded(ex, r) && (lost = sim_fault_find(w, "answer_lost", ex, rq->path, key, 1))) {
		lost_status = r->status;
		lost_body = xstrndup(r->body, r->len);
		if (!strcmp(lost->mode, "error")) {
			if (ex == SIM_BINANCE) {
				set_body(r, lost->status ? lost->status : 503,
					 "{\"code\":-1000,\"msg\":\"Unknown error, please check your request or try "
					 "again later.\"}");
			} else {
				char b[200];

				snprintf(b, sizeof b,
					 "{\"retCode\":10016,\"retMsg\":\"Server "
					 "error.\",\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
					 sim_now(w, ex));
				set_body(r, lost->status ? lost->status : 200, b);
			}
		} else if (!strcmp(lost->mode, "delay")) {
			r->delay_ms += lost->ms;
		} else if (!strcmp(lost->mode, "hang")) {
			r->lost = SIM_LOST_HANG;
		} else {
			r->lost = SIM_LOST_DROP;
			r->delay_ms += lost->ms;
		}
		log_info("sim", "answer_lost mode=%s %s %s (executed, status %d)", lost->mode, rq->method, rq->path,
			 lost_status);
	}
	/* (an answer_lost answer is the fault's own: no further mangling) */
	if (!lost && (f = sim_fault_find(w, "malformed", ex, rq->path, key, 1)))
		set_body(r, r->status, "<html><body>502 Bad Gateway</body></html>{\"code\":");
	else if (!lost && (f = sim_fault_find(w, "truncated", ex, rq->path, key, 1)) && r->len > 1)
		r->len /= 2;
done:
	sim_limits_post(w, ex, r);
	if (!a)
		a = w->anon;
	sim_count(a, rq->method, rq->path, r->weight, r->limited);
	log_request(w, rq, r, a, lost, lost_status, lost_body);
	free(lost_body);
	w->in_rest = 0;
}
