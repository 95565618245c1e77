// Scenario and fault tests for vigil-sim through the plain APIs (REST,
// streams, /_sim/ control). Independent client code: signs with node's
// crypto, talks WebSocket with the `ws` package. Usage:
//   node sim_scenarios.js http://127.0.0.1:PORT
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');
const base = process.argv[2];
const wsBase = base.replace('http://', 'ws://');
let failures = 0;
const check = (c, what) => { console.log((c ? 'ok   ' : 'FAIL ') + what); if (!c) failures++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const BK = 'sim-binance-key', BS = 'sim-binance-secret', YK = 'sim-bybit-key', YS = 'sim-bybit-secret';
const hmac = (s, m) => crypto.createHmac('sha256', s).update(m).digest('hex');

async function bn(method, path, params = '', opts = {}) {
  const ts = opts.ts || Date.now();
  const q = (params ? params + '&' : '') + 'timestamp=' + ts;
  const signed = opts.unsigned ? params : q + '&signature=' + hmac(opts.secret || BS, q);
  const url = base + path + (method === 'POST' || !signed ? '' : '?' + signed);
  const t0 = Date.now();
  const r = await fetch(url, {
    method, headers: { 'X-MBX-APIKEY': BK, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: method === 'POST' ? signed : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* malformed on purpose */ }
  return { status: r.status, json, text, headers: r.headers, ms: Date.now() - t0 };
}

async function by(method, path, params) {
  const ts = String(Date.now());
  const payload = method === 'GET' ? params : JSON.stringify(params);
  const r = await fetch(base + path + (method === 'GET' ? '?' + params : ''), {
    method, headers: { 'X-BAPI-API-KEY': YK, 'X-BAPI-TIMESTAMP': ts, 'X-BAPI-RECV-WINDOW': '5000',
      'X-BAPI-SIGN': hmac(YS, ts + YK + '5000' + payload), 'Content-Type': 'application/json' },
    body: method === 'POST' ? payload : undefined,
  });
  return r.json();
}

async function ctl(method, path, body) {
  const r = await fetch(base + '/_sim' + path, { method, body: body ? JSON.stringify(body) : undefined });
  return r.json();
}
const step = (s) => ctl('POST', '/step', s);
const fault = (f) => ctl('POST', '/fault', f);

function stream(url, onOpen) {
  const msgs = [];
  const ws = new WebSocket(url);
  const st = { msgs, ws, closed: false };
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  ws.on('close', () => { st.closed = true; });
  st.ready = new Promise((res, rej) => { ws.on('open', () => { if (onOpen) onOpen(ws); res(); }); ws.on('error', rej); });
  return st;
}
async function waitFor(pred, ms = 2000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { const v = pred(); if (v) return v; await sleep(20); }
  return null;
}
const posRow = (arr, sym) => (arr || []).find((p) => p.symbol === sym && Number(p.positionAmt) !== 0);

async function binanceStreams() {
  const lk = (await bn('POST', '/fapi/v1/listenKey', '', { unsigned: true })).json.listenKey;
  check(lk && lk.length >= 60, 'listenKey created');
  const s = stream(`${wsBase}/private/ws/${lk}`);
  await s.ready;
  await step({ account: BK, op: 'open', symbol: 'SKLUSDT', side: 'BUY', qty: 308, client_id: 'bot-1' });
  const fill = await waitFor(() => s.msgs.find((m) => m.e === 'ORDER_TRADE_UPDATE' && m.o.X === 'FILLED'));
  check(fill && fill.o.s === 'SKLUSDT' && fill.o.z === '308' && fill.o.c === 'bot-1', 'stream ORDER_TRADE_UPDATE FILLED for the step order');
  const au = await waitFor(() => s.msgs.find((m) => m.e === 'ACCOUNT_UPDATE'));
  check(au && au.a.P[0].pa === '308' && au.a.P[0].ps === 'BOTH', 'stream ACCOUNT_UPDATE shows pa=308');
  // query form of the URL works too
  const s2 = stream(`${wsBase}/private/ws?listenKey=${lk}`);
  await s2.ready;
  // protective stop through the algo service, then the mark crosses it
  const sl = await bn('POST', '/fapi/v1/algoOrder', 'algoType=CONDITIONAL&symbol=SKLUSDT&side=SELL&type=STOP_MARKET&triggerPrice=0.02900&closePosition=true&workingType=MARK_PRICE&clientAlgoId=vgl-sl-skl');
  check(sl.status === 200 && sl.json.algoStatus === 'NEW', 'algo STOP_MARKET closePosition accepted');
  const oo = await bn('GET', '/fapi/v1/openOrders', 'symbol=SKLUSDT');
  check(oo.json.length === 0, 'untriggered algo stop is not in openOrders');
  const q = await bn('GET', '/fapi/v1/order', 'symbol=SKLUSDT&orderId=' + sl.json.algoId);
  check(q.status === 400 && q.json.code === -2013, 'GET /fapi/v1/order on an algo id is -2013');
  await step({ op: 'mark', symbol: 'SKLUSDT', price: 0.0289 });
  const fin = await waitFor(() => s.msgs.find((m) => m.e === 'ALGO_UPDATE' && m.o.X === 'FINISHED'));
  check(fin && fin.o.caid === 'vgl-sl-skl' && fin.o.ai !== '', 'ALGO_UPDATE FINISHED with actual order id');
  const st = await ctl('GET', '/state?account=' + BK);
  check(!st.positions.some((p) => p.symbol === 'SKLUSDT'), 'stop closed the SKLUSDT position (state)');
  check(s2.msgs.some((m) => m.e === 'ALGO_UPDATE'), 'query-form stream got the events too');
  // events= allow-list (query form)
  const s6 = stream(`${wsBase}/private/ws?listenKey=${lk}&events=ORDER_TRADE_UPDATE`);
  await s6.ready;
  await step({ account: BK, op: 'open', symbol: 'BASUSDT', side: 'BUY', qty: 200 });
  await waitFor(() => s6.msgs.length > 0);
  await sleep(50);
  check(s6.msgs.length > 0 && s6.msgs.every((m) => m.e === 'ORDER_TRADE_UPDATE'), 'events= filter delivers only the listed events');
  s6.ws.close();
  // listenKey expiry
  await fault({ type: 'listen_key_expire', exchange: 'binance' });
  const ex = await waitFor(() => s.msgs.find((m) => m.e === 'listenKeyExpired'));
  check(ex && ex.listenKey === lk, 'listenKeyExpired pushed');
  const put = await bn('PUT', '/fapi/v1/listenKey', '', { unsigned: true });
  check(put.json && put.json.code === -1125, 'PUT listenKey after expiry is -1125');
  const bad = stream(`${wsBase}/private/ws/${lk}`);
  let refused = false;
  try { await bad.ready; } catch (e) { refused = true; }
  check(refused, 'expired listenKey: stream handshake refused');
  // stream disconnect fault
  const lk2 = (await bn('POST', '/fapi/v1/listenKey', '', { unsigned: true })).json.listenKey;
  const s3 = stream(`${wsBase}/private/ws/${lk2}`);
  await s3.ready;
  await fault({ type: 'ws_disconnect', exchange: 'binance', until_ms: 300 });
  check(await waitFor(() => s3.closed), 'ws_disconnect closes the stream');
  const s4 = stream(`${wsBase}/private/ws/${lk2}`);
  let refused2 = false;
  try { await s4.ready; } catch (e) { refused2 = true; }
  check(refused2, 'reconnect refused inside the ws_disconnect window');
  await sleep(350);
  const s5 = stream(`${wsBase}/private/ws/${lk2}`);
  await s5.ready;
  check(true, 'reconnect works after the window');
  for (const x of [s, s2, s5]) x.ws.close();
}

async function binanceFaults() {
  await ctl('DELETE', '/faults');
  await step({ account: BK, op: 'open', symbol: 'AVLUSDT', side: 'BUY', qty: 100 });
  await step({ account: BK, op: 'open', symbol: 'KAVAUSDT', side: 'SELL', qty: 50 });
  // positions [] exactly inside the window
  await fault({ type: 'positions_empty', exchange: 'binance', endpoint: '/fapi/v3/positionRisk', until_ms: 300 });
  let r = await bn('GET', '/fapi/v3/positionRisk');
  check(r.status === 200 && Array.isArray(r.json) && r.json.length === 0, 'positions_empty: v3 positionRisk is [] inside the window');
  r = await bn('GET', '/fapi/v2/positionRisk');
  check(posRow(r.json, 'AVLUSDT'), 'positions_empty scoped to its endpoint: v2 still shows AVLUSDT');
  await sleep(350);
  r = await bn('GET', '/fapi/v3/positionRisk');
  check(posRow(r.json, 'AVLUSDT') && posRow(r.json, 'KAVAUSDT'), 'after the window positions are back');
  // omit one symbol
  await fault({ type: 'positions_omit', exchange: 'binance', symbol: 'KAVAUSDT', count: 1 });
  r = await bn('GET', '/fapi/v3/positionRisk');
  check(!posRow(r.json, 'KAVAUSDT') && posRow(r.json, 'AVLUSDT'), 'positions_omit: KAVAUSDT missing, AVLUSDT present');
  r = await bn('GET', '/fapi/v3/positionRisk');
  check(posRow(r.json, 'KAVAUSDT'), 'positions_omit count=1: next call has KAVAUSDT again');
  // REST lags the stream
  const lk = (await bn('POST', '/fapi/v1/listenKey', '', { unsigned: true })).json.listenKey;
  const s = stream(`${wsBase}/private/ws/${lk}`);
  await s.ready;
  await sleep(450); // the 100 fill is now older than the lag
  await fault({ type: 'rest_lag', exchange: 'binance', symbol: 'AVLUSDT', ms: 400 });
  await step({ account: BK, op: 'open', symbol: 'AVLUSDT', side: 'BUY', qty: 50 });
  const au = await waitFor(() => s.msgs.find((m) => m.e === 'ACCOUNT_UPDATE' && m.a.P[0].s === 'AVLUSDT'));
  r = await bn('GET', '/fapi/v3/positionRisk', 'symbol=AVLUSDT');
  check(au && au.a.P[0].pa === '150' && (posRow(r.json, 'AVLUSDT') || {}).positionAmt === '100', 'rest_lag: stream shows 150 while REST still shows 100');
  await sleep(450);
  r = await bn('GET', '/fapi/v3/positionRisk', 'symbol=AVLUSDT');
  check((posRow(r.json, 'AVLUSDT') || {}).positionAmt === '150', 'rest_lag: REST catches up after the lag');
  s.ws.close();
  await ctl('DELETE', '/faults');
  // stop placement rejected as would-trigger
  await fault({ type: 'stop_would_trigger', exchange: 'binance', count: 1 });
  r = await bn('POST', '/fapi/v1/algoOrder', 'algoType=CONDITIONAL&symbol=AVLUSDT&side=SELL&type=STOP_MARKET&triggerPrice=0.2&closePosition=true');
  check(r.status === 400 && r.json.code === -2021, 'stop_would_trigger: -2021');
  r = await bn('POST', '/fapi/v1/algoOrder', 'algoType=CONDITIONAL&symbol=AVLUSDT&side=SELL&type=STOP_MARKET&triggerPrice=0.3&closePosition=true');
  check(r.status === 400 && r.json.code === -2021, 'a real crossed trigger is -2021 too');
  // rate limit
  await fault({ type: 'rate_limit', exchange: 'binance', status: 418, retry_after: 7, count: 1 });
  r = await bn('GET', '/fapi/v3/account');
  check(r.status === 418 && r.headers.get('retry-after') === '7' && r.json.code === -1003, '418 with Retry-After: 7');
  r = await bn('GET', '/fapi/v3/account');
  check(r.status === 200 && r.headers.get('x-mbx-used-weight-1m') !== null, 'next call 200 with X-MBX-USED-WEIGHT-1M');
  await fault({ type: 'rate_limit', exchange: 'binance', status: 429, retry_after: 2, count: 1 });
  r = await bn('GET', '/fapi/v1/time', '', { unsigned: true });
  check(r.status === 429 && r.headers.get('retry-after') === '2', '429 with Retry-After: 2');
  await fault({ type: 'http_status', exchange: 'binance', endpoint: '/fapi/v1/openOrders', status: 503, count: 1 });
  r = await bn('GET', '/fapi/v1/openOrders');
  check(r.status === 503, 'http_status 503');
  await fault({ type: 'slow', exchange: 'binance', endpoint: '/fapi/v2/balance', ms: 400, count: 1 });
  r = await bn('GET', '/fapi/v2/balance');
  check(r.status === 200 && r.ms >= 380, `slow answer took ${r.ms} ms`);
  await fault({ type: 'malformed', exchange: 'binance', count: 1 });
  r = await bn('GET', '/fapi/v3/account');
  check(r.json === null && r.text.length > 0, 'malformed body is not JSON');
  await fault({ type: 'truncated', exchange: 'binance', count: 1 });
  r = await bn('GET', '/fapi/v3/account');
  check(r.json === null && r.text.startsWith('{'), 'truncated body cut short');
  await fault({ type: 'clock_offset', exchange: 'binance', ms: 5000, until_ms: 500 });
  r = await bn('GET', '/fapi/v1/time', '', { unsigned: true });
  check(Math.abs(r.json.serverTime - Date.now() - 5000) < 1000, 'clock_offset moves serverTime');
  r = await bn('GET', '/fapi/v3/account', '', { ts: Date.now() - 6000 });
  check(r.json.code === -1021, 'old timestamp vs offset clock: -1021');
  await ctl('DELETE', '/faults');
  // log and counters
  await bn('POST', '/fapi/v1/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=vgl-abc-1');
  const log = await ctl('GET', '/log?account=' + BK);
  const e = log.find((x) => x.client_id === 'vgl-abc-1');
  check(e && e.vigil === true && e.status === 200 && e.answer.includes('FILLED'), 'order log marks vigil (vgl-) orders with the answer');
  const cnt = await ctl('GET', '/counters?account=' + BK);
  const pr = cnt.endpoints['GET /fapi/v3/positionRisk'];
  check(pr && pr.weight === pr.count * 5, 'counters: positionRisk weight 5 per call');
  r = await bn('POST', '/fapi/v1/order', 'symbol=BTCUSDT&side=SELL&type=MARKET&quantity=5&reduceOnly=true');
  const st = await ctl('GET', '/state?account=' + BK);
  check(r.status === 200 && !st.positions.some((p) => p.symbol === 'BTCUSDT'), 'reduce-only market shrinks to the position and closes it');
  r = await bn('POST', '/fapi/v1/order', 'symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1&reduceOnly=true');
  check(r.json.code === -2022, 'reduce-only with nothing to reduce: -2022');
}

async function bybit() {
  const s = stream(`${wsBase}/v5/private`);
  await s.ready;
  const expires = Date.now() + 5000;
  s.ws.send(JSON.stringify({ req_id: 'a1', op: 'auth', args: [YK, expires, hmac(YS, 'GET/realtime' + expires)] }));
  check(await waitFor(() => s.msgs.find((m) => m.op === 'auth' && m.success)), 'bybit ws auth success');
  s.ws.send(JSON.stringify({ op: 'subscribe', args: ['position', 'order', 'execution', 'wallet'] }));
  s.ws.send(JSON.stringify({ req_id: 'p1', op: 'ping' }));
  check(await waitFor(() => s.msgs.find((m) => m.op === 'pong' && m.req_id === 'p1')), 'bybit pong');
  await step({ account: YK, op: 'open', symbol: 'ETHUSDT', side: 'Buy', qty: 0.5, client_id: 'vgl-e1' });
  const ex = await waitFor(() => s.msgs.find((m) => m.topic === 'execution'));
  const ps = await waitFor(() => s.msgs.find((m) => m.topic === 'position' && m.data[0].symbol === 'ETHUSDT'));
  check(ex && ex.data[0].orderLinkId === 'vgl-e1' && ex.data[0].execQty === '0.500', 'bybit execution message');
  check(ps && ps.data[0].size === '0.500' && ps.data[0].side === 'Buy' && ps.data[0].entryPrice, 'bybit position message (entryPrice)');
  // delayed visibility after a minimal create answer
  await fault({ type: 'create_invisible', exchange: 'bybit', ms: 400, count: 1 });
  const c = await by('POST', '/v5/order/create', { category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '0.1', price: '2000', orderLinkId: 'vgl-lim' });
  check(c.retCode === 0 && Object.keys(c.result).sort().join() === 'orderId,orderLinkId', 'bybit create answers only orderId/orderLinkId');
  let rt = await by('GET', '/v5/order/realtime', 'category=linear&symbol=ETHUSDT&orderId=' + c.result.orderId);
  check(rt.retCode === 0 && rt.result.list.length === 0, 'create_invisible: order not yet in order/realtime');
  await sleep(450);
  rt = await by('GET', '/v5/order/realtime', 'category=linear&symbol=ETHUSDT&orderId=' + c.result.orderId);
  check(rt.result.list.length === 1 && rt.result.list[0].orderStatus === 'New', 'order visible after the delay');
  // position stop, trigger, TP/SL cleared
  const ts = await by('POST', '/v5/position/trading-stop', { category: 'linear', symbol: 'ETHUSDT', tpslMode: 'Full', positionIdx: 0, stopLoss: '2900' });
  check(ts.retCode === 0, 'bybit trading-stop ok');
  const so = await by('GET', '/v5/order/realtime', 'category=linear&symbol=ETHUSDT&orderFilter=StopOrder');
  check(so.result.list.length === 1 && so.result.list[0].stopOrderType === 'StopLoss' && so.result.list[0].orderStatus === 'Untriggered', 'StopLoss shows as Untriggered conditional order');
  const wt = await by('POST', '/v5/position/trading-stop', { category: 'linear', symbol: 'ETHUSDT', tpslMode: 'Full', positionIdx: 0, stopLoss: '3100' });
  check(wt.retCode === 10001, 'bybit stop above mark for a long is refused');
  await fault({ type: 'positions_empty', exchange: 'bybit', count: 1 });
  let pl = await by('GET', '/v5/position/list', 'category=linear&settleCoin=USDT');
  check(pl.retCode === 0 && pl.result.list.length === 0, 'bybit positions_empty');
  await step({ op: 'mark', symbol: 'ETHUSDT', price: 2890 });
  pl = await by('GET', '/v5/position/list', 'category=linear&symbol=ETHUSDT');
  check(pl.result.list[0].size === '0.000' && pl.result.list[0].side === '' && pl.result.list[0].stopLoss === '', 'stop triggered: flat row, side "", stopLoss cleared');
  const cr = await by('POST', '/v5/order/create', { category: 'linear', symbol: 'ETHUSDT', side: 'Sell', orderType: 'Market', qty: '0.1', reduceOnly: true });
  check(cr.retCode === 110017, 'bybit reduce-only with no position: 110017');
  await fault({ type: 'rate_limit', exchange: 'bybit', count: 1 });
  const rl = await by('GET', '/v5/position/list', 'category=linear&settleCoin=USDT');
  check(rl.retCode === 10006, 'bybit rate limit: retCode 10006');
  const cn = await by('POST', '/v5/order/cancel', { category: 'linear', symbol: 'ETHUSDT', orderId: 'nope' });
  check(cn.retCode === 110001, 'bybit cancel unknown: 110001');
  // cursor pagination
  for (const sym of ['BTCUSDT', 'SKLUSDT', 'LTCUSDT']) await step({ account: YK, op: 'open', symbol: sym, side: 'Buy', qty: sym === 'SKLUSDT' ? 500 : 0.01 });
  const p1 = await by('GET', '/v5/position/list', 'category=linear&settleCoin=USDT&limit=2');
  const p2 = await by('GET', '/v5/position/list', 'category=linear&settleCoin=USDT&limit=2&cursor=' + p1.result.nextPageCursor);
  check(p1.result.list.length === 2 && p1.result.nextPageCursor !== '' && p2.result.list.length === 1 && p2.result.nextPageCursor === '', 'bybit position/list cursor pagination');
  await fault({ type: 'ws_disconnect', exchange: 'bybit', account: YK });
  check(await waitFor(() => s.closed), 'bybit ws_disconnect closes the stream');
}

(async () => {
  try {
    await binanceStreams();
    await binanceFaults();
    await bybit();
    const r = await ctl('POST', '/reset');
    const st = await ctl('GET', '/state?account=' + BK);
    check(r.ok && st.positions.length === 0 && st.orders.length === 0, 'reset clears the account');
  } catch (e) {
    failures++;
    console.log('FAIL exception: ' + (e && e.stack ? e.stack : e));
  }
  console.log(failures ? `${failures} check(s) failed` : 'all scenario checks passed');
  process.exit(failures ? 1 : 0);
})();
