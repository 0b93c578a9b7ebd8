'use strict';
/**
 * 3. STOP ack → ledger: signed typed STOPs from seeded, currently-granted people at a steady rate; for each,
 * the time its 200 arrived, and the time its withdrawal became visible in the ledger.
 *
 * Visibility is taken from the ledger's own NOTIFY on 'cg_consent_changed' (sent on commit of the
 * transaction that wrote the consent_event and consent_state rows; its payload is the subject id, which we
 * know for every seeded person). A poll of consent_event by source_event_id (the blind index of 'msg:<wamid>',
 * as the gateway records it: lib/seed.js messageEventIds) is the
 * fallback for an event whose notification was not seen, and also gives recorded_at (DB now() at the start
 * of the writing transaction) for comparison.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const { sign, stopMessage } = require('./lib/webhooks');
const { sleep } = require('./lib/processes');
const { messageEventIds } = require('./lib/seed');

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function stats(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1],
    min: s[0],
  };
}

function post(agent, base, path, body, headers) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runStopLatency({ gateway, databaseUrl, secrets, people, count, rate, log }) {
  const candidates = people.filter((p) => p.granted);
  if (candidates.length < count)
    throw new Error(`only ${candidates.length} granted people to send STOP from`);
  // Spread over the ledger, not the first rows only.
  const step = Math.floor(candidates.length / count);
  const targets = Array.from({ length: count }, (_, k) => candidates[k * step]);

  const runTag = Date.now().toString(36);
  const items = targets.map((p, k) => ({
    subjectId: p.id,
    wamid: `wamid.BENCHSTOP${runTag}x${k}`,
    waId: p.waId,
    sentAt: NaN,
    ackAt: NaN,
    ackWall: NaN,
    status: null,
    notifiedAt: NaN,
    polledAt: NaN,
    recordedAt: NaN,
  }));
  const bySubject = new Map(items.map((it) => [it.subjectId, it]));
  const eventIdOf = messageEventIds(secrets);
  for (const it of items) it.eventId = eventIdOf(it.wamid);
  const byEventId = new Map(items.map((it) => [it.eventId, it]));

  const listen = new Client({ connectionString: databaseUrl });
  await listen.connect();
  listen.on('notification', (msg) => {
    const at = performance.now();
    const it = bySubject.get(msg.payload);
    if (it && !(it.notifiedAt <= at)) it.notifiedAt = at;
  });
  await listen.query('LISTEN cg_consent_changed');

  const poller = new Client({ connectionString: databaseUrl });
  await poller.connect();
  let polling = true;
  let polls = 0;
  const pollLoop = (async () => {
    while (polling) {
      const waiting = items.filter((it) => Number.isFinite(it.ackAt) && !Number.isFinite(it.polledAt));
      if (waiting.length) {
        const { rows } = await poller.query(
          `SELECT source_event_id, extract(epoch from recorded_at) * 1000 AS recorded_ms
             FROM consent_event WHERE source = 'whatsapp' AND source_event_id = ANY($1::text[])`,
          [waiting.map((it) => it.eventId)],
        );
        polls++;
        const at = performance.now();
        for (const r of rows) {
          const it = byEventId.get(r.source_event_id);
          if (it && !Number.isFinite(it.polledAt)) {
            it.polledAt = at;
            it.recordedAt = Number(r.recorded_ms);
          }
        }
      }
      await sleep(5);
    }
  })();

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const interval = 1000 / rate;
  const stopCpu = cpu.measure({ gateway: gateway.pid });
  const started = performance.now();
  log(`stop→ledger: sending ${count} STOPs at ${rate}/s from seeded granted people`);
  const sends = items.map(async (it, k) => {
    const due = started + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const body = stopMessage({ waId: it.waId, wamid: it.wamid, text: 'STOP' });
    it.sentAt = performance.now();
    const res = await post(agent, gateway.base, '/webhooks/whatsapp', body, {
      'content-type': 'application/json',
      'x-hub-signature-256': sign(secrets.appSecret, body),
    });
    it.ackAt = performance.now();
    it.ackWall = performance.timeOrigin + it.ackAt;
    it.status = res.status;
  });
  await Promise.all(sends);
  const sendSeconds = (performance.now() - started) / 1000;

  // Wait for every acknowledged STOP to show up (give up after 60 s; a notification may be 2 s late at most).
  const acked = items.filter((it) => it.status === 200);
  const deadline = Date.now() + 60_000;
  let allPolledSince = null;
  while (Date.now() < deadline) {
    const polled = acked.every((it) => Number.isFinite(it.polledAt));
    if (polled && acked.every((it) => Number.isFinite(it.notifiedAt))) break;
    if (polled) {
      allPolledSince ??= Date.now();
      if (Date.now() - allPolledSince > 2000) break;
    }
    await sleep(20);
  }
  const cpuResult = stopCpu();
  polling = false;
  await pollLoop;
  agent.destroy();
  await listen.end();
  await poller.end();

  const seen = acked.filter((it) => Number.isFinite(it.notifiedAt) || Number.isFinite(it.polledAt));
  const visibleAt = (it) => (Number.isFinite(it.notifiedAt) ? it.notifiedAt : it.polledAt);
  const result = {
    sent: items.length,
    acked: acked.length,
    recorded: seen.length,
    viaNotify: acked.filter((it) => Number.isFinite(it.notifiedAt)).length,
    sendSeconds,
    achievedRate: items.length / sendSeconds,
    ack: stats(items.map((it) => it.ackAt - it.sentAt)),
    ackToLedger: stats(seen.map((it) => visibleAt(it) - it.ackAt)),
    ackToPoll: stats(seen.map((it) => it.polledAt - it.ackAt)),
    ackToRecordedAt: stats(seen.map((it) => it.recordedAt - it.ackWall)),
    sendToLedger: stats(seen.map((it) => visibleAt(it) - it.sentAt)),
    polls,
    cpu: cpuResult,
  };
  const f = (s) =>
    s.n === 0
      ? 'n/a'
      : `p50 ${s.p50.toFixed(1)} ms p90 ${s.p90.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms max ${s.max.toFixed(1)} ms`;
  log(
    `  sent ${result.sent} in ${sendSeconds.toFixed(1)} s (${result.achievedRate.toFixed(1)}/s); 200s ${result.acked}; ` +
      `in ledger ${result.recorded} (${result.viaNotify} seen by NOTIFY)`,
  );
  log(`  request → 200         : ${f(result.ack)}`);
  log(`  200 → ledger (NOTIFY) : ${f(result.ackToLedger)}`);
  log(`  200 → ledger (poll)   : ${f(result.ackToPoll)}  (${polls} polls)`);
  log(
    `  200 → recorded_at     : ${f(result.ackToRecordedAt)}  (recorded_at = start of the ledger transaction)`,
  );
  log(`  ${cpu.format(cpuResult)}`);
  return result;
}

module.exports = { runStopLatency };
