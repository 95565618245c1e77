// Drives ccxt's binanceusdm and bybit against vigil-sim and checks every
// answer against the sim's own state (GET /_sim/state). Usage:
//   node ccxt_sim.js http://127.0.0.1:PORT
'use strict';
const ccxt = require('ccxt');
const base = process.argv[2];
if (!base || !base.startsWith('http://127.0.0.1:')) { console.error('usage: ccxt_sim.js http://127.0.0.1:PORT'); process.exit(2); }

let failures = 0;
function check(cond, what) {
  if (cond) { console.log('ok   ' + what); } else { failures++; console.log('FAIL ' + what); }
}

function pointAtSim(ex) {
  for (const group of ['api', 'test']) {
    const urls = ex.urls[group];
    if (!urls) continue;
    for (const key of Object.keys(urls)) {
      if (typeof urls[key] !== 'string') continue;
      const path = new URL(urls[key].replace('{hostname}', 'example.com')).pathname.replace(/\/$/, '');
      urls[key] = base + path;
    }
  }
  return ex;
}

async function state(key) {
  const r = await fetch(`${base}/_sim/state?account=${key}`);
  return r.json();
}

async function binance() {
  const key = 'sim-binance-key';
  const ex = pointAtSim(new ccxt.binanceusdm({
    apiKey: key, secret: 'sim-binance-secret', enableRateLimit: false,
    options: { fetchCurrencies: false, fetchOpenOrders: { warnWithoutSymbol: false } },
  }));
  const S = 'BTC/USDT:USDT';
  const markets = await ex.loadMarkets();
  check(markets[S] && markets[S].swap && markets[S].linear, 'binance loadMarkets has BTC/USDT:USDT swap');
  check(markets['SKL/USDT:USDT'] !== undefined, 'binance loadMarkets has SKL/USDT:USDT');
  const bal = await ex.fetchBalance();
  const st0 = await state(key);
  check(Math.abs(bal.total.USDT - Number(st0.balance)) < 1e-6, `binance fetchBalance total USDT ${bal.total.USDT} = sim ${st0.balance}`);
  const m = await ex.createOrder(S, 'market', 'buy', 0.002);
  check(m.id && m.status === 'closed' && m.filled === 0.002, `binance market order ${m.id} filled`);
  const f = await ex.fetchOrder(m.id, S);
  check(f.id === m.id && f.status === 'closed' && f.amount === 0.002, 'binance fetchOrder matches');
  const pos = await ex.fetchPositions();
  const st1 = await state(key);
  const sp = st1.positions.find((p) => p.symbol === 'BTCUSDT');
  const cp = pos.find((p) => p.symbol === S);
  check(cp && sp && cp.contracts === Math.abs(Number(sp.amt)) && cp.side === 'long', `binance fetchPositions long ${cp && cp.contracts} = sim ${sp && sp.amt}`);
  const l = await ex.createOrder(S, 'limit', 'buy', 0.001, 50000);
  check(l.id && l.status === 'open', `binance limit order ${l.id} open`);
  const oo = await ex.fetchOpenOrders();
  const st2 = await state(key);
  check(oo.length === st2.open_orders.length && oo.some((o) => o.id === l.id), `binance fetchOpenOrders ${oo.length} = sim ${st2.open_orders.length}`);
  const c = await ex.cancelOrder(l.id, S);
  check(c.status === 'canceled', 'binance cancelOrder canceled');
  const st3 = await state(key);
  check(st3.open_orders.length === 0, 'binance sim has no open orders after cancel');
  const sl = await ex.createOrder(S, 'market', 'sell', 0.002, undefined, { stopLossPrice: 55000, reduceOnly: true });
  const st4 = await state(key);
  check(st4.conditional_orders.some((o) => o.order_id === String(sl.id)), `binance stop-loss ${sl.id} is an algo order in the sim`);
  const trig = await ex.fetchOpenOrders(S, undefined, undefined, { trigger: true });
  check(trig.length === 1 && trig[0].triggerPrice === 55000, 'binance fetchOpenOrders trigger:true shows the stop');
  let notFound = false;
  try { await ex.cancelOrder(sl.id, S); } catch (e) { notFound = e instanceof ccxt.OrderNotFound; }
  check(notFound, 'binance cancelOrder on an algo id without trigger:true is OrderNotFound (-2011)');
  await ex.cancelOrder(sl.id, S, { trigger: true });
  check((await state(key)).conditional_orders.length === 0, 'binance algo cancel removed the stop');
  let authErr = false;
  const bad = pointAtSim(new ccxt.binanceusdm({ apiKey: key, secret: 'wrong', options: { fetchCurrencies: false } }));
  try { await bad.fetchBalance(); } catch (e) { authErr = e instanceof ccxt.AuthenticationError; }
  check(authErr, 'binance wrong secret gives AuthenticationError (-1022)');
}

async function bybit() {
  const key = 'sim-bybit-key';
  const ex = pointAtSim(new ccxt.bybit({
    apiKey: key, secret: 'sim-bybit-secret', enableRateLimit: false,
    has: { fetchCurrencies: false },
    options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6 },
  }));
  const S = 'LTC/USDT:USDT';
  const markets = await ex.loadMarkets();
  check(markets[S] && markets[S].swap, 'bybit loadMarkets has LTC/USDT:USDT swap');
  const bal = await ex.fetchBalance();
  const st0 = await state(key);
  check(Math.abs(bal.total.USDT - Number(st0.balance)) < 1e-6, `bybit fetchBalance total USDT ${bal.total.USDT} = sim ${st0.balance}`);
  const m = await ex.createOrder(S, 'market', 'buy', 0.5);
  check(m.id, `bybit market order ${m.id} accepted`);
  const f = await ex.fetchOrder(m.id, S, { acknowledged: true });
  check(f.id === m.id && f.status === 'closed' && f.filled === 0.5, `bybit fetchOrder ${f.status} filled ${f.filled}`);
  const pos = await ex.fetchPositions([S]);
  const st1 = await state(key);
  const sp = st1.positions.find((p) => p.symbol === 'LTCUSDT');
  check(pos.length === 1 && sp && pos[0].contracts === Number(sp.amt) && pos[0].side === 'long', 'bybit fetchPositions matches sim');
  const all = await ex.fetchPositions();
  check(all.length === st1.positions.length, `bybit fetchPositions (settleCoin) ${all.length} = sim ${st1.positions.length}`);
  const l = await ex.createOrder(S, 'limit', 'buy', 0.1, 60);
  const oo = await ex.fetchOpenOrders(S);
  const st2 = await state(key);
  check(oo.length === st2.open_orders.length && oo.some((o) => o.id === l.id && o.status === 'open'), `bybit fetchOpenOrders ${oo.length} = sim ${st2.open_orders.length}`);
  await ex.cancelOrder(l.id, S);
  check((await state(key)).open_orders.length === 0, 'bybit cancelOrder removed the limit order');
  await ex.createOrder(S, 'market', 'sell', 0, undefined, { stopLossPrice: 70, tradingStopEndpoint: true, positionIdx: 0 });
  const st3 = await state(key);
  const p3 = st3.positions.find((p) => p.symbol === 'LTCUSDT');
  check(p3 && p3.stop_loss === '70.00', `bybit trading-stop set position stopLoss (${p3 && p3.stop_loss})`);
  const trig = await ex.fetchOpenOrders(S, undefined, undefined, { trigger: true });
  check(trig.length === 1, 'bybit orderFilter=StopOrder shows the position stop-loss order');
  let nf = false;
  try { await ex.cancelOrder('no-such-order', S); } catch (e) { nf = e instanceof ccxt.OrderNotFound; }
  check(nf, 'bybit cancel of unknown order is OrderNotFound (110001)');
}

(async () => {
  try {
    await binance();
    await bybit();
  } catch (e) {
    failures++;
    console.log('FAIL exception: ' + (e && e.stack ? e.stack : e));
  }
  console.log(failures ? `${failures} check(s) failed` : 'all ccxt checks passed');
  process.exit(failures ? 1 : 0);
})();
