/* The keeper (see keeper.h): the router's memory across restarts, kept in
 * the program's store. */
#include "alerts/keeper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xalloc.h"

struct alert_keeper {
	struct alert_router *r;
	struct alert_state_loader ld; /* zero = no store */
	char (*seeded)[REC_ACCT_MAX]; /* accounts whose router state was rebuilt */
	size_t nseeded;
	struct alert_stored *restored; /* seeded, not yet seen again */
	size_t nrestored;
};

/* Router observer: what was alerted, kept in the store. */
static void on_alerted(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms)
{
	struct alert_keeper *kp = ud;
	if (k == ALERT_RESOLVED)
		return; /* the program's store resolves the finding itself */
	if (kp->ld.alerted(kp->ld.ud, f, k, now_ms) != 0)
		log_debug("alerts", "key=%s alert state not stored", f->key);
}

struct alert_keeper *alert_keeper_new(struct alert_router *r, const struct alert_state_loader *loader)
{
	struct alert_keeper *k = xcalloc(1, sizeof *k);
	k->r = r;
	if (loader)
		k->ld = *loader;
	if (k->ld.alerted)
		alert_router_set_observer(r, on_alerted, k);
	return k;
}

void alert_keeper_free(struct alert_keeper *k)
{
	if (!k)
		return;
	free(k->seeded);
	free(k->restored);
	free(k);
}

/* Rebuilds a finding from "account:exchange:symbol:CODE" (an action
 * keeps only the key) or from the stored one when there is one. */
static bool finding_of_key(const char *key, const char *account, enum rec_exchange ex, const struct alert_stored *st,
			   size_t nst, struct rec_finding *f)
{
	memset(f, 0, sizeof *f);
	for (size_t k = 0; k < nst; k++)
		if (!strcmp(st[k].f.key, key)) {
			f->code = st[k].f.code;
			f->severity = st[k].f.severity;
			snprintf(f->symbol, sizeof f->symbol, "%s", st[k].f.symbol);
			snprintf(f->detail, sizeof f->detail, "%s", st[k].f.detail);
			f->first_seen_ms = st[k].f.first_seen_ms;
			f->last_seen_ms = st[k].f.last_seen_ms;
			goto done;
		}
	const char *c = strrchr(key, ':');
	if (!c || c == key || rec_code_parse(c + 1, &f->code) != 0)
		return false;
	const char *sb = c - 1;
	while (sb > key && *sb != ':')
		sb--;
	if (*sb != ':')
		return false;
	snprintf(f->symbol, sizeof f->symbol, "%.*s", (int)(c - sb - 1), sb + 1);
	f->severity = rec_code_default_severity(f->code);
done:
	snprintf(f->key, sizeof f->key, "%s", key);
	snprintf(f->account, sizeof f->account, "%s", account);
	f->exchange = ex;
	return true;
}

/* Is account in the set? Adds it if not. */
static bool in_set(char (**set)[REC_ACCT_MAX], size_t *n, const char *account)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp((*set)[k], account))
			return true;
	*set = xrealloc(*set, (*n + 1) * sizeof **set);
	snprintf((*set)[(*n)++], REC_ACCT_MAX, "%s", account);
	return false;
}

static void add_id(int64_t **ids, size_t *n, int64_t id)
{
	if (id <= 0)
		return;
	*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
	(*ids)[(*n)++] = id;
}

/* Seeds the account's router state from the store (see keeper.h). The
 * ids of the actions seeded are appended to ids (marked alerted once the
 * update has queued their alerts); actions of this audit are its own. */
static void seed_account(struct alert_keeper *kp, const char *account, enum rec_exchange ex,
			 const struct alert_audit_action *acts, size_t nacts, int64_t settle, int64_t now,
			 int64_t **ids, size_t *nids)
{
	struct alert_stored *st = NULL;
	size_t nst = 0;
	char err[256] = "";
	if (kp->ld.load(kp->ld.ud, account, &st, &nst, err, sizeof err) != 0) {
		log_warn("alerts", "account=%s stored alert state unreadable (%s): open findings alert once more",
			 account, err);
		free(st);
		st = NULL;
		nst = 0;
	}
	size_t nalerted = 0, ntell = 0;
	for (size_t k = 0; k < nst; k++) {
		struct alert_router_seed sd;
		memset(&sd, 0, sizeof sd);
		bool alerted = st[k].alerted_severity >= 0 && st[k].first_alerted_ms;
		if (st[k].alert_due_ms && !alerted) {
			/* due when a repair started, never queued: killed in between */
			if (!finding_of_key(st[k].f.key, account, ex, st, nst, &sd.f))
				continue;
			sd.tell = true;
			sd.settle_until_ms = settle;
			if (alert_router_seed(kp->r, &sd, now) == 0)
				ntell++;
			continue;
		}
		if (!alerted || !finding_of_key(st[k].f.key, account, ex, st, nst, &sd.f))
			continue;
		sd.alerted = true;
		sd.alerted_ms = st[k].first_alerted_ms;
		sd.last_sent_ms = st[k].last_alerted_ms;
		sd.alerted_sev = (enum rec_severity)st[k].alerted_severity;
		sd.escalated = st[k].escalated_ms != 0;
		sd.acked = st[k].acked;
		sd.settle_until_ms = settle;
		if (alert_router_seed(kp->r, &sd, now) == 0) {
			nalerted++;
			kp->restored = xrealloc(kp->restored, (kp->nrestored + 1) * sizeof *kp->restored);
			kp->restored[kp->nrestored++] = st[k];
		}
	}
	struct alert_stored_action *ua = NULL;
	size_t nua = 0, nact_seeded = 0;
	if (!kp->ld.unalerted_actions ||
	    kp->ld.unalerted_actions(kp->ld.ud, account, now - ALERT_ACTIONS_LOOKBACK_MS, &ua, &nua) != 0)
		nua = 0;
	for (size_t k = 0; k < nua; k++) {
		bool this_audit = false;
		for (size_t j = 0; j < nacts && !this_audit; j++)
			this_audit = acts[j].id == ua[k].id;
		struct alert_router_seed sd;
		memset(&sd, 0, sizeof sd);
		if (this_audit || !ua[k].finding_key[0] ||
		    !finding_of_key(ua[k].finding_key, account, ex, st, nst, &sd.f))
			continue;
		sd.action = ua[k].text ? ua[k].text : "";
		sd.settle_until_ms = settle;
		if (alert_router_seed(kp->r, &sd, now) == 0) {
			add_id(ids, nids, ua[k].id);
			nact_seeded++;
			log_info("alerts",
				 "account=%s action id=%lld on %s was never alerted (vigil stopped before): "
				 "alerting it now",
				 account, (long long)ua[k].id, ua[k].finding_key);
		}
	}
	if (nalerted || nact_seeded || ntell)
		log_info("alerts",
			 "account=%s alert state restored: %zu open finding%s already alerted, %zu due "
			 "and never sent, %zu action%s to tell",
			 account, nalerted, nalerted == 1 ? "" : "s", ntell, nact_seeded, nact_seeded == 1 ? "" : "s");
	for (size_t k = 0; k < nua; k++)
		free(ua[k].text);
	free(ua);
	free(st);
}

/* A restored finding the restarted classifier did not report at first
 * (grace) was resolved in the store meanwhile; once it is back, its
 * stored alert state is written again so a second restart knows. */
static void keep_restored(struct alert_keeper *kp, const struct rec_finding *fs, size_t nf)
{
	for (size_t k = 0; k < kp->nrestored;) {
		const struct alert_stored *st = &kp->restored[k];
		int alerted = alert_router_is_alerted(kp->r, st->f.key);
		const struct rec_finding *now = NULL;
		for (size_t j = 0; j < nf && !now; j++)
			if (!strcmp(fs[j].key, st->f.key))
				now = &fs[j];
		if (alerted == 1 && !now) {
			k++;
			continue;
		}
		if (alerted == 1 && kp->ld.restore && kp->ld.restore(kp->ld.ud, now, st) != 0)
			log_debug("alerts", "key=%s alert state not restored", now->key);
		kp->restored[k] = kp->restored[--kp->nrestored];
	}
}

/* Acks stored by `vigil ack` (another process) reach the router here. */
static void apply_acks(struct alert_keeper *kp, const char *account, int64_t now)
{
	char(*keys)[REC_KEY_MAX] = NULL;
	size_t n = 0;
	if (!kp->ld.acked || kp->ld.acked(kp->ld.ud, account, &keys, &n) != 0) {
		free(keys);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (alert_router_is_acked(kp->r, keys[i]) == 0)
			alert_router_ack(kp->r, keys[i], now);
	free(keys);
}

void alert_keeper_forget(struct alert_keeper *kp, const char *account)
{
	for (size_t k = 0; k < kp->nseeded; k++)
		if (!strcmp(kp->seeded[k], account)) {
			memmove(kp->seeded[k], kp->seeded[kp->nseeded - 1], REC_ACCT_MAX);
			kp->nseeded--;
			break;
		}
	for (size_t k = 0; k < kp->nrestored;) {
		if (!strcmp(kp->restored[k].f.account, account))
			kp->restored[k] = kp->restored[--kp->nrestored];
		else
			k++;
	}
	alert_router_forget(kp->r, account);
}

void alert_keeper_before_repair(struct alert_keeper *k, const char *account, const struct rec_finding *f, size_t n,
				int64_t now_ms)
{
	if (!k->ld.due || !n)
		return;
	bool *due = xcalloc(n, sizeof *due);
	if (alert_router_due(k->r, account, f, n, now_ms, due)) {
		for (size_t i = 0; i < n; i++)
			if (due[i] && k->ld.due(k->ld.ud, &f[i], now_ms) != 0) {
				log_debug("alerts", "key=%s due alert not recorded", f[i].key);
				break;
			}
	}
	free(due);
}

int alert_keeper_update(struct alert_keeper *kp, const char *account, enum rec_exchange ex, bool audited,
			const struct rec_finding *f, size_t nf, const struct alert_audit_action *acts, size_t nacts,
			int64_t settle_until_ms, int64_t now)
{
	int64_t *ids = NULL; /* store ids whose alert this update queues */
	size_t nids = 0;
	if (kp->ld.load && !in_set(&kp->seeded, &kp->nseeded, account))
		seed_account(kp, account, ex, acts, nacts, settle_until_ms, now, &ids, &nids);
	/* what vigil did about each finding, for the message; acted: an
	 * order went out, so the finding is alerted whatever holds it */
	const char **did = xcalloc(nf ? nf : 1, sizeof *did);
	bool *acted = xcalloc(nf ? nf : 1, sizeof *acted);
	for (size_t j = 0; j < nacts; j++) {
		const struct alert_audit_action *ac = &acts[j];
		const char *fk = ac->finding_key ? ac->finding_key : "";
		bool matched = false;
		for (size_t i = 0; i < nf; i++) {
			if (strcmp(fk, f[i].key) != 0)
				continue;
			matched = true;
			did[i] = ac->text;
			if (ac->told)
				acted[i] = true;
		}
		if (ac->told && !matched && fk[0]) {
			/* its finding is not in this audit's list: still told */
			struct alert_router_seed sd;
			memset(&sd, 0, sizeof sd);
			if (finding_of_key(fk, account, ex, NULL, 0, &sd.f)) {
				sd.action = ac->text ? ac->text : "";
				alert_router_seed(kp->r, &sd, now);
			}
		}
		if (ac->told)
			add_id(&ids, &nids, ac->id);
	}
	int rc = -1;
	if (audited || nf) {
		rc = alert_router_update_acted(kp->r, account, f, nf, did, acted, now);
		if (rc < 0)
			log_warn("alerts", "account=%s could not enqueue every alert; retrying next audit", account);
	}
	if (rc >= 0 && nids && kp->ld.actions_alerted && kp->ld.actions_alerted(kp->ld.ud, ids, nids, now) != 0)
		log_debug("alerts", "account=%s actions not marked alerted", account);
	keep_restored(kp, f, nf);
	free(did);
	free(acted);
	free(ids);
	apply_acks(kp, account, now);
	return rc;
}
