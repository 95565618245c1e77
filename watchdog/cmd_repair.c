/* `vigil repair -c FILE [--account A] [--dry-run] [--yes] ACTION ...`
 *   sl SYMBOL [--price P | --percent X]   place a stop-loss for the position
 *   close SYMBOL                          close the position (reduce-only market)
 *   cancel ORDER_ID                       cancel one open order (id or client id)
 *   cancel-orphans                        cancel stops / reduce-only orders of
 *                                         symbols with no open position
 * Each reads the account first (stream listen + REST, like an audit), prints
 * its plan, needs --yes (or y on a terminal), and goes through the repair
 * engine: journal intent, send, verify, journal outcome — the daemon's path.
 * The position's side always comes from the exchange, never from the bot's
 * database or an order. Exit: 0 done (or dry run), 1 failed or declined,
 * 64 usage, 65 nothing to act on, 69 exchange unreachable, 78 config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/policy.h"
#include "reconcile/rules.h"
#include "reconcile/repair.h"
#include "watchdog/audit.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/engine.h"
#include "watchdog/sched.h"
#include "base/xalloc.h"

#define REPAIR_LISTEN_MS 1000
#define MAX_STEPS 64

/* The exchange's view of symbol: the stream when it is up and reported
 * the symbol on this connection (authoritative, size 0 = flat), else REST. */
/* The position a manual repair acts on, by the classifier's rule 1: the
 * stream when it is authoritative for the symbol (up, fresh, reported on
 * this connection), else REST. */
static bool find_position(const struct wd_audit *a, const struct rec_params *prm, const char *sym,
			  struct rec_position *out)
{
	int64_t now = wd_wall_ms();
	for (size_t i = 0; a->stream && i < a->stream->npos; i++) {
		const struct rec_position *p = &a->stream->pos[i];
		if (strcmp(p->symbol, sym) == 0 && rec_rule_stream_authoritative(a->stream, p, now, prm)) {
			*out = *p;
			return rec_rule_stream_zero_is_closed(p) == REC_VIEW_OPEN;
		}
	}
	for (size_t i = 0; i < a->listing.npos; i++)
		if (strcmp(a->listing.pos[i].symbol, sym) == 0 && a->listing.pos[i].size > 0) {
			*out = a->listing.pos[i];
			return true;
		}
	return false;
}

static void step_base(struct rec_step *s, const struct wd_audit *a, const char *sym, enum rec_code code,
		      const char *why)
{
	memset(s, 0, sizeof *s);
	struct rec_finding *f = &s->f;
	f->code = code;
	f->severity = rec_code_default_severity(code);
	snprintf(f->account, sizeof f->account, "%s", a->account);
	f->exchange = a->exchange;
	snprintf(f->symbol, sizeof f->symbol, "%s", sym);
	rec_finding_make_key(f);
	f->repairable = true;
	f->first_seen_ms = f->last_seen_ms = wd_wall_ms();
	snprintf(f->detail, sizeof f->detail, "manual: %s", why);
	s->mode = REC_MODE_FULL; /* the operator asked for this exact action */
	struct rec_action *ac = &s->a;
	snprintf(ac->account, sizeof ac->account, "%s", a->account);
	ac->exchange = a->exchange;
	snprintf(ac->symbol, sizeof ac->symbol, "%s", sym);
	snprintf(ac->finding_key, sizeof ac->finding_key, "%s", f->key);
	snprintf(ac->reason, sizeof ac->reason, "manual: %s", why);
}

static void step_position(struct rec_step *s, const struct rec_position *p)
{
	s->f.pos_side = p->side;
	s->f.pidx = p->pidx;
	s->f.pos_size = p->size;
	s->f.entry_price = p->entry_price;
	s->f.mark_price = p->mark_price;
	s->pos_size = p->size;
	s->a.position_side = p->side;
	s->a.pidx = p->pidx;
	s->a.order_side = rec_closing_side(p->side);
}

struct plan_ctx {
	struct wd_engine *e;
	const struct wd_audit *a;
	const struct wd_cmdopts *o;
	struct rec_step steps[MAX_STEPS];
	size_t n;
	char err[512];
};

static int plan_sl(struct plan_ctx *c, const char *sym)
{
	struct rec_position p;
	if (!find_position(c->a, &c->e->acct[0].params, sym, &p)) {
		snprintf(c->err, sizeof c->err, "no open %s position on %s: nothing to protect", sym, c->a->account);
		return EX_DATAERR_;
	}
	if (p.side == REC_SIDE_UNKNOWN) {
		snprintf(c->err, sizeof c->err,
			 "%s: the exchange does not say the position's side: nothing may be sent", sym);
		return EX_DATAERR_;
	}
	struct rec_step *s = &c->steps[c->n];
	step_base(s, c->a, sym, REC_UNPROTECTED_POSITION, "vigil repair sl");
	step_position(s, &p);
	s->a.kind = REC_ACT_PLACE_STOP;
	s->a.close_position = true;
	const struct rec_policy *pol = &c->e->acct[0].policy;
	const struct xch_instrument *ins = rec_engine_instrument(wd_repair_engine(c->e, 0), sym);
	double ref = rec_policy_ref_price(pol, p.entry_price, p.mark_price, NULL);
	if (c->o->has_price) {
		s->a.trigger_price = c->o->price;
	} else {
		double pct = c->o->has_percent ? c->o->percent : pol->stop_loss_percent;
		s->a.trigger_price = rec_stop_price(p.side, ref, pct, ins ? ins->tick : 0);
	}
	s->ref_price = ref;
	s->trigger_given = true; /* the engine sends exactly this price, or refuses it */
	/* A stop the operator asked for must never turn into a market close:
	 * in protect semantics a crossed price is refused and alerted. */
	s->mode = REC_MODE_PROTECT;
	if (s->a.trigger_price <= 0) {
		snprintf(c->err, sizeof c->err, "%s: no reference price to compute the stop from: give --price", sym);
		return EX_DATAERR_;
	}
	if (p.mark_price > 0 && ((p.side == REC_SIDE_LONG && s->a.trigger_price >= p.mark_price) ||
				 (p.side == REC_SIDE_SHORT && s->a.trigger_price <= p.mark_price)))
		fprintf(stderr, "vigil: warning: trigger %g is already crossed by the mark %g (it will not be sent)\n",
			s->a.trigger_price, p.mark_price);
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_PLACE_STOP, c->a->account, c->a->exchange, sym,
		      p.side, wd_wall_ms(), 1);
	c->n++;
	return 0;
}

static int plan_close(struct plan_ctx *c, const char *sym)
{
	struct rec_position p;
	if (!find_position(c->a, &c->e->acct[0].params, sym, &p)) {
		snprintf(c->err, sizeof c->err, "no open %s position on %s: nothing to close", sym, c->a->account);
		return EX_DATAERR_;
	}
	if (p.side == REC_SIDE_UNKNOWN) {
		snprintf(c->err, sizeof c->err,
			 "%s: the exchange does not say the position's side: nothing may be sent", sym);
		return EX_DATAERR_;
	}
	struct rec_step *s = &c->steps[c->n];
	step_base(s, c->a, sym, REC_ORPHAN_POSITION, "vigil repair close");
	step_position(s, &p);
	s->a.kind = REC_ACT_CLOSE_POSITION;
	const struct xch_instrument *ins = rec_engine_instrument(wd_repair_engine(c->e, 0), sym);
	s->a.qty = rec_round_qty(p.size, ins ? ins->step : 0);
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_CLOSE_POSITION, c->a->account, c->a->exchange, sym,
		      p.side, wd_wall_ms(), 1);
	c->n++;
	return 0;
}

static void plan_cancel_order(struct plan_ctx *c, const struct rec_order *o, const char *why)
{
	struct rec_step *s = &c->steps[c->n++];
	step_base(s, c->a, o->symbol, REC_ORPHAN_ORDER, why);
	s->a.kind = REC_ACT_CANCEL_ORDER;
	snprintf(s->a.order_id, sizeof s->a.order_id, "%s", o->id);
	s->a.order_is_algo = o->is_algo;
	s->a.qty = o->qty;
	s->a.trigger_price = o->trigger_price;
	s->a.order_side = o->side;
	snprintf(s->f.order_id, sizeof s->f.order_id, "%s", o->id);
	s->f.order_is_algo = o->is_algo;
	rec_client_id(s->a.client_id, sizeof s->a.client_id, REC_ACT_CANCEL_ORDER, c->a->account, c->a->exchange,
		      o->symbol, REC_SIDE_UNKNOWN, wd_wall_ms(), 1);
}

static int plan_cancel(struct plan_ctx *c, const char *id)
{
	for (size_t i = 0; i < c->a->listing.nord; i++) {
		const struct rec_order *o = &c->a->listing.ord[i];
		if (o->position_attached)
			continue;
		if (strcmp(o->id, id) == 0 || (o->client_id[0] && strcmp(o->client_id, id) == 0)) {
			plan_cancel_order(c, o, "vigil repair cancel");
			return 0;
		}
	}
	snprintf(c->err, sizeof c->err, "no open order %s on %s", id, c->a->account);
	return EX_DATAERR_;
}

static int plan_cancel_orphans(struct plan_ctx *c)
{
	for (size_t i = 0; i < c->a->listing.nord && c->n < MAX_STEPS; i++) {
		const struct rec_order *o = &c->a->listing.ord[i];
		struct rec_position p;
		if (o->position_attached || !(o->conditional || o->reduce_only || o->close_position))
			continue;
		if (find_position(c->a, &c->e->acct[0].params, o->symbol, &p))
			continue;
		plan_cancel_order(c, o, "vigil repair cancel-orphans: no open position");
	}
	if (c->n == 0) {
		printf("no orphaned stop or reduce-only orders on %s\n", c->a->account);
		return -1;
	}
	return 0;
}

static void print_plan(const struct plan_ctx *c)
{
	printf("plan for %s (%s):\n", c->a->account, rec_exchange_name(c->a->exchange));
	for (size_t i = 0; i < c->n; i++) {
		const struct rec_action *a = &c->steps[i].a;
		switch (a->kind) {
		case REC_ACT_PLACE_STOP:
			printf("  %zu. place stop-loss %s %s closing the whole %s position of %g, trigger %g (ref "
			       "%g)\n",
			       i + 1, a->symbol, rec_oside_name(a->order_side), rec_side_name(a->position_side),
			       c->steps[i].pos_size, a->trigger_price, c->steps[i].ref_price);
			break;
		case REC_ACT_CLOSE_POSITION:
			printf("  %zu. close %s: reduce-only market %s %g (position %s %g)\n", i + 1, a->symbol,
			       rec_oside_name(a->order_side), a->qty, rec_side_name(a->position_side),
			       c->steps[i].pos_size);
			break;
		case REC_ACT_CANCEL_ORDER:
			printf("  %zu. cancel %s order %s%s (%s qty %g trigger %g)\n", i + 1, a->symbol, a->order_id,
			       a->order_is_algo ? " (algo)" : "", rec_oside_name(a->order_side), a->qty,
			       a->trigger_price);
			break;
		default: break;
		}
		printf("     client id %s; journaled, then verified on the exchange\n", a->client_id);
	}
}

int cmd_repair(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv,
			     WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_YES | WD_OPT_DRY | WD_OPT_PRICE | WD_OPT_PERCENT, &o,
			     err, sizeof err) != 0)
		return cli_usage("%s", err);
	if (o.npos < 1)
		return cli_usage("repair needs an action: sl SYMBOL | close SYMBOL | cancel ORDER_ID | cancel-orphans");
	const char *act = o.pos[0];
	bool is_sl = !strcmp(act, "sl"), is_close = !strcmp(act, "close"), is_cancel = !strcmp(act, "cancel"),
	     is_orph = !strcmp(act, "cancel-orphans");
	if (!is_sl && !is_close && !is_cancel && !is_orph)
		return cli_usage("unknown repair action '%s'", act);
	if ((is_orph && o.npos != 1) || (!is_orph && o.npos != 2))
		return cli_usage("repair %s: wrong number of arguments", act);
	if ((o.has_price || o.has_percent) && !is_sl)
		return cli_usage("--price / --percent only apply to 'repair sl'");
	struct wd_conf *c = wd_cmd_conf_oneshot(o.conf, "vigil");
	if (!c)
		return EX_CONFIG_;
	const char *account = o.account;
	if (!account) {
		size_t en = 0;
		for (size_t i = 0; i < c->naccounts; i++)
			if (c->accounts[i].enabled) {
				account = c->accounts[i].name;
				en++;
			}
		if (en != 1) {
			wd_conf_free(c);
			free(c);
			return cli_usage("repair: %s; choose one with --account A",
					 en ? "several accounts" : "no enabled account");
		}
	}
	char acct_name[WD_NAME_MAX];
	snprintf(acct_name, sizeof acct_name, "%s", account);
	struct wd_engine_opts eo = { .kind = WD_ENG_MANUAL,
				     .only_account = acct_name,
				     .dry_run = o.dry_run,
				     .no_repair = true,
				     .no_alerts = true,
				     .quiet_console = true,
				     .no_store = true };
	struct wd_engine *e = NULL;
	if (wd_engine_new(c, &eo, &e, err, sizeof err) != 0) {
		fprintf(stderr, "vigil: %s\n", err);
		return EX_CONFIG_;
	}
	int rc = EX_OK_;
	struct wd_audit *a = NULL;
	size_t na = 0;
	wd_audit_run_all(e, REPAIR_LISTEN_MS, &a, &na);
	struct plan_ctx *pc = xcalloc(1, sizeof *pc);
	pc->e = e;
	pc->a = &a[0];
	pc->o = &o;
	if (a[0].listing.pos_rc != XCH_OK || a[0].listing.ord_rc != XCH_OK) {
		fprintf(stderr, "vigil: cannot read %s from the exchange: %s\n", a[0].account,
			a[0].error[0] ? a[0].error : "REST answers failed");
		rc = EX_UNAVAILABLE_;
		goto out;
	}
	int prc = is_sl       ? plan_sl(pc, o.pos[1])
		  : is_close  ? plan_close(pc, o.pos[1])
		  : is_cancel ? plan_cancel(pc, o.pos[1])
			      : plan_cancel_orphans(pc);
	if (prc < 0)
		goto out; /* nothing to do */
	if (prc > 0) {
		fprintf(stderr, "vigil: %s\n", pc->err);
		rc = prc;
		goto out;
	}
	print_plan(pc);
	if (o.dry_run) {
		printf("dry run: nothing sent, nothing journaled\n");
		goto out;
	}
	bool tty_refused;
	if (!wd_confirm("carry out this plan?", o.yes, &tty_refused)) {
		if (!tty_refused)
			printf("nothing done\n");
		rc = tty_refused ? EX_USAGE_ : 1;
		goto out;
	}
	for (size_t i = 0; i < pc->n; i++) {
		char detail[256] = "";
		int r = wd_engine_manual(e, 0, &pc->steps[i], &a[0], detail, sizeof detail);
		printf("  %zu. %s %s: %s%s%s\n", i + 1, rec_action_kind_name(pc->steps[i].a.kind),
		       pc->steps[i].a.symbol,
		       r == 0   ? "DONE (verified)"
		       : r == 2 ? "SKIPPED"
		       : r < 0  ? "REFUSED"
				: "FAILED",
		       detail[0] ? " — " : "", detail);
		if (r != 0)
			rc = 1;
	}
out:
	free(pc);
	for (size_t i = 0; i < na; i++)
		wd_audit_free(&a[i]);
	free(a);
	wd_engine_free(e);
	return rc;
}
