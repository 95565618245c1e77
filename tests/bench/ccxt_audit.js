// The baseline the one-shot audit is compared with: the same audit written
// the way most people would today, with ccxt (binanceusdm) pointed at
// vigil-sim. Loads markets, fetches positions, open orders and conditional
// orders, compares them with the bot's rows (a JSON file standing in for the
// DB query) and prints what it found. Defaults kept except what the sim
// needs (docs: docs/exchange-facts.md Part 3).
//   node ccxt_audit.js http[s]://127.0.0.1:PORT KEY SECRET ROWS.json [norl]
//   (https: NODE_EXTRA_CA_CERTS=the sim's CA, so node verifies it)
// norl: enableRateLimit false. With ccxt's default client-side throttle the
// weight-40 openOrders calls wait 2 s each; norl is the best case.
'use strict';
const fs = require('fs');
const ccxt = require('ccxt');
const [base, key, secret, rowsPath, mode] = process.argv.slice(2);
if (!base || !/^https?:\/\/127\.0\.0\.1:/.test(base) || !rowsPath) {
  console.error('usage: ccxt_audit.js http[s]://127.0.0.1:PORT KEY SECRET ROWS.json');
  process.exit(2);
}

function pointAtSim(ex) {
  for (const group of ['api', 'test']) {
    const urls = ex.urls[group];
    if (!urls) continue;
    for (const k of Object.keys(urls)) {
      if (typeof urls[k] !== 'string') continue;
      const path = new URL(urls[k].replace('{hostname}', 'example.com')).pathname.replace(/\/$/, '');
      urls[k] = base + path;
    }
  }
  return ex;
}

async function main() {
  const t0 = Date.now();
  const ex = pointAtSim(new ccxt.binanceusdm({
    apiKey: key, secret,
    enableRateLimit: mode !== 'norl',
    options: { fetchCurrencies: false, fetchOpenOrders: { warnWithoutSymbol: false } },
  }));
  await ex.loadMarkets();
  const t1 = Date.now();
  const [positions, orders, cond] = await Promise.all([
    ex.fetchPositions(),
    ex.fetchOpenOrders(),
    ex.fetchOpenOrders(undefined, undefined, undefined, { trigger: true }),
  ]);
  const t2 = Date.now();
  const rows = JSON.parse(fs.readFileSync(rowsPath, 'utf8')).filter((r) => r.status === 'active');
  const bySym = new Map(rows.map((r) => [r.symbol, r]));
  const stops = new Map();
  for (const o of cond) {
    if (!o.reduceOnly && !(o.info && o.info.closePosition)) continue;
    const l = stops.get(o.symbol) || [];
    l.push(o);
    stops.set(o.symbol, l);
  }
  const findings = [];
  const seen = new Set();
  for (const p of positions) {
    if (!p.contracts) continue;
    seen.add(p.symbol);
    const row = bySym.get(p.symbol);
    if (!row) findings.push(['ORPHAN_POSITION', p.symbol]);
    else if (row.side !== p.side) findings.push(['SIDE_MISMATCH', p.symbol]);
    else if (Math.abs(row.quantity - p.contracts) > 1e-9) findings.push(['SIZE_MISMATCH', p.symbol]);
    const closing = p.side === 'long' ? 'sell' : 'buy';
    const cover = (stops.get(p.symbol) || []).filter((o) => o.side === closing)
      .reduce((s, o) => (o.info && o.info.closePosition ? Infinity : s + o.amount), 0);
    if (cover < p.contracts - 1e-9) findings.push(['UNPROTECTED_POSITION', p.symbol]);
  }
  for (const r of rows) if (!seen.has(r.symbol)) findings.push(['PHANTOM_POSITION', r.symbol]);
  for (const [s, l] of stops) if (!seen.has(s)) for (const o of l) findings.push(['ORPHAN_ORDER', s, o.id]);
  console.log(`positions=${positions.length} orders=${orders.length} conditional=${cond.length} findings=${findings.length}`);
  console.error(`ccxt_audit: load_markets_ms=${t1 - t0} fetch_ms=${t2 - t1} total_ms=${Date.now() - t0}`);
}

// Exit as soon as the work is done: Node would otherwise linger until its
// idle keep-alive sockets time out (~4 s), which would flatter vigil.
main().then(() => process.exit(0), (e) => { console.error('ccxt_audit:', e.message); process.exit(3); });
