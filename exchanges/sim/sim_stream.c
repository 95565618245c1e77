/* Engine events -> the exchange's stream messages -> the world's sink. */
#include <stdlib.h>

#include "exchanges/sim/sim.h"

static void out(struct sim_world *w, struct sim_account *a, const char *topic, char *payload)
{
	if (payload && w->emit)
		w->emit(w, a, topic, payload);
	free(payload);
}

void sim_stream_order(struct sim_world *w, struct sim_account *a, struct sim_order *o, double fill_qty,
		      double fill_price)
{
	if (a->ex == SIM_BINANCE) {
		if (o->cond && o->actual_id == 0 && o->trig_dir)
			out(w, a, "ALGO_UPDATE", sim_bn_ev_algo(w, a, o));
		else if (o->cond)
			out(w, a, "ALGO_UPDATE", sim_bn_ev_algo(w, a, o));
		else
			out(w, a, "ORDER_TRADE_UPDATE", sim_bn_ev_order(w, a, o, fill_qty, fill_price));
		return;
	}
	out(w, a, "order", sim_bb_ev_order(w, a, o));
	if (fill_qty > 0)
		out(w, a, "execution", sim_bb_ev_execution(w, a, o, fill_qty, fill_price));
}

void sim_stream_position(struct sim_world *w, struct sim_account *a, struct sim_position *p)
{
	if (a->ex == SIM_BINANCE) {
		out(w, a, "ACCOUNT_UPDATE", sim_bn_ev_account(w, a, p));
		return;
	}
	out(w, a, "position", sim_bb_ev_position(w, a, p));
	out(w, a, "wallet", sim_bb_ev_wallet(w, a));
}

void sim_stream_listen_key_expired(struct sim_world *w, struct sim_account *a)
{
	if (a->ex == SIM_BINANCE)
		out(w, a, "listenKeyExpired", sim_bn_ev_listen_key_expired(w, a));
}
