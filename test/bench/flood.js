'use strict';
/**
 * STOP under a status flood: campaign status webhooks (to the seeded people) stream open-loop at a fixed rate
 * (80% of the sustained status rate, or BENCH_FLOOD_RATE) while typed STOPs from seeded, granted people arrive
 * a few per second. For each STOP: the time from its 200 to the first GET /v1/consents/check for that phone
 * that answers `allowed: false` (each pending STOP's phone is asked every ~15 ms; at most 16 checks in flight,
 * so with many STOPs pending at once each is asked less often: the mean interval is reported).
 * Each phone is checked to be allowed before its STOP is sent (so a person withdrawn earlier is skipped). The
 * flood starts once the inbox backlog left by earlier groups is processed.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { stream, post } = require('./lib/stream');
const { statusStream, stopMessage, sign } = require('./lib/webhooks');
const { seededPhone } = require('./lib/seed');
const { stats } = require('./lib/vendors');
const { sleep } = require('./lib/processes');
const { Client } = require('pg');
const { waitDrained } = require('./sustained');

const POLL_MS = 15;
const MAX_POLLS_IN_FLIGHT = 16;
const GIVE_UP_MS = 60_000;

function getJson(agent, url, headers) {
  return new Promise((resolve) => {
    const req = http.get(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch {
            resolve({ status: res.statusCode, body: null });
          }
        });
      },
    );
    req.on('error', () => resolve({ status: 0, body: null }));
  });
}

async function runFlood({
  gateway,
  databaseUrl,
  secrets,
  people,
  subjects,
  statusRate,
  stopRate,
  seconds,
  log,
}) {
  // Start from an empty inbox backlog (what earlier groups left is not this flood's).
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const left = await waitDrained(db, 60_000).finally(() => db.end());
  if (left > 0) log(`flood: ${left} inbox rows still unprocessed after 60 s; starting anyway`);
  const runTag = Date.now().toString(36);
  const statuses = statusStream({
    appSecret: secrets.appSecret,
    runTag,
    recipient: (k) => seededPhone((k * 7919) % subjects).slice(1),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const headers = { authorization: `Bearer ${secrets.apiKey}`, accept: 'application/json' };
  const checkUrl = (phone) =>
    new URL(
      `/v1/consents/check?phone=${encodeURIComponent(phone)}&purpose=marketing&channel=whatsapp`,
      gateway.base,
    );
  const webhookUrl = new URL('/webhooks/whatsapp', gateway.base);
  // Candidates from the far end of the ledger (the stop→ledger bench takes evenly spaced ones).
  const candidates = people.filter((p) => p.granted).reverse();
  let nextCandidate = 0;
  const items = [];
  const skipped = { notAllowed: 0 };
  let polls = 0;
  let inFlight = 0;

  const sendStop = async (k) => {
    for (;;) {
      const person = candidates[nextCandidate++];
      if (!person) return;
      const before = await getJson(agent, checkUrl(`+${person.waId}`), headers);
      if (before.body?.allowed !== true) {
        skipped.notAllowed++;
        continue;
      }
      const it = { phone: `+${person.waId}`, ackAt: NaN, seenAt: NaN, lastPoll: 0, polls: 0, status: null };
      const body = stopMessage({ waId: person.waId, wamid: `wamid.BENCHFLOOD${runTag}x${k}`, text: 'STOP' });
      const t0 = performance.now();
      it.status = await post(agent, webhookUrl, body, {
        'content-type': 'application/json',
        'x-hub-signature-256': sign(secrets.appSecret, body),
      });
      it.ackMs = performance.now() - t0;
      it.ackAt = performance.now();
      items.push(it);
      return;
    }
  };

  let polling = true;
  const pollLoop = (async () => {
    while (polling) {
      const now = performance.now();
      for (const it of items) {
        if (inFlight >= MAX_POLLS_IN_FLIGHT) break;
        if (it.status !== 200 || Number.isFinite(it.seenAt) || now - it.ackAt > GIVE_UP_MS) continue;
        if (now - it.lastPoll < POLL_MS) continue;
        it.lastPoll = now;
        it.polls++;
        polls++;
        inFlight++;
        void getJson(agent, checkUrl(it.phone), headers).then((res) => {
          inFlight--;
          if (res.body?.allowed === false && !Number.isFinite(it.seenAt)) it.seenAt = performance.now();
        });
      }
      await sleep(3);
    }
  })();

  const started = performance.now();
  let stopsSent = false;
  const stopSender = (async () => {
    await sleep(2000); // the flood first, then the STOPs within it
    const count = Math.max(1, Math.floor((seconds - 2) * stopRate));
    const sends = [];
    for (let k = 0; k < count; k++) {
      const due = started + 2000 + (k * 1000) / stopRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sends.push(sendStop(k));
    }
    await Promise.all(sends);
    stopsSent = true;
  })();
  const resolved = () =>
    stopsSent &&
    items.every(
      (it) => it.status !== 200 || Number.isFinite(it.seenAt) || performance.now() - it.ackAt > GIVE_UP_MS,
    );

  log(
    `flood: statuses at ${statusRate}/s for ${seconds} s (longer while STOPs are pending), STOPs at ${stopRate}/s`,
  );
  const flood = await stream({
    base: gateway.base,
    rate: statusRate,
    seconds: seconds + GIVE_UP_MS / 1000,
    next: statuses.next,
    until: () => performance.now() - started >= seconds * 1000 && resolved(),
  });
  await stopSender;
  polling = false;
  await pollLoop;
  agent.destroy();

  const acked = items.filter((it) => it.status === 200);
  const seen = acked.filter((it) => Number.isFinite(it.seenAt));
  const result = {
    statusRate,
    stopRate,
    seconds,
    flood: {
      sent: flood.sent,
      ok: flood.ok,
      failed: flood.failed,
      behind: flood.behind,
      seconds: flood.seconds,
    },
    stops: items.length,
    acked: acked.length,
    seen: seen.length,
    skipped: skipped.notAllowed,
    latency: stats(seen.map((it) => it.seenAt - it.ackAt)),
    ack: stats(items.map((it) => it.ackMs)),
    meanPollIntervalMs:
      seen.length === 0
        ? NaN
        : seen.reduce((a, it) => a + (it.seenAt - it.ackAt) / Math.max(1, it.polls), 0) / seen.length,
    polls,
  };
  const l = result.latency;
  log(
    `  flood: ${flood.ok}/${flood.sent} statuses acknowledged in ${flood.seconds.toFixed(1)} s ` +
      `(${(flood.ok / flood.seconds).toFixed(0)}/s, failed ${flood.failed}, behind ${flood.behind})`,
  );
  log(
    `  STOP 200 → check allowed:false: p50 ${l.p50?.toFixed(0)} ms p99 ${l.p99?.toFixed(0)} ms max ` +
      `${l.max?.toFixed(0)} ms (n=${l.n} of ${acked.length} acknowledged, ${items.length} sent; ` +
      `${result.skipped} candidates skipped as not allowed; ${polls} checks, mean interval ` +
      `${result.meanPollIntervalMs.toFixed(0)} ms); STOP request → 200 p99 ${result.ack.p99?.toFixed(0)} ms`,
  );
  return result;
}

module.exports = { runFlood };
