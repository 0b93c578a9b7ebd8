'use strict';
/**
 * Memory under a backlog: BENCH_BACKLOG (1,000,000) WhatsApp deliveries are put in the inbox while the gateway
 * is down (COPY, binary format), sealed exactly as the gateway seals them (the compiled CryptoService and
 * rawBodyPlace from the measured build's dist/, with the ENCRYPTION_KEY the gateway is given), 95% campaign
 * statuses and 5% messages (a fifth of them STOPs) from 10,000 senders. Only the columns provider,
 * delivery_id, raw_body, key_id, signature, received_at and status are written: every other column keeps its
 * default, as for a row the intake stored. Then the gateway (api+worker) starts on it; its RSS is sampled every
 * 250 ms from /proc while it drains for BENCH_BACKLOG_SECONDS (30), during which a few checks and webhooks
 * (5/s each) are served and timed.
 *
 * The rows carry no processing job: a build whose worker takes work only from jobs (main at 9aaf45e) sees them
 * through its sweep (at boot, then every minute, 5,000 at a time). BENCH_BACKLOG_JOBS=1 also inserts one
 * pg-boss job per 100 rows, as the intake would have, straight into pg-boss's job table (when it exists).
 */
const path = require('node:path');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const { copyIn } = require('./lib/copy-in');
const { statusStream, stopMessage, sign } = require('./lib/webhooks');
const { cryptoFor, memoryOf, stats } = require('./lib/vendors');
const { post } = require('./lib/stream');
const { GATEWAY_DIR, sleep } = require('./lib/processes');
const { pendingCount } = require('./sustained');

const BATCH = 5000;

function sealer(secrets) {
  const { crypto } = cryptoFor(secrets);
  const { rawBodyPlace } = require(
    path.join(GATEWAY_DIR, 'dist', 'modules', 'inbox', 'inbox-sealed-places.js'),
  );
  const { CryptoService } = require(
    path.join(GATEWAY_DIR, 'dist', 'platform', 'crypto', 'crypto.service.js'),
  );
  return (body) => {
    const deliveryId = CryptoService.sha256Hex(body);
    const sealed = crypto.seal(Buffer.from(body, 'utf8'), rawBodyPlace('whatsapp', deliveryId));
    return { deliveryId, ciphertext: sealed.ciphertext, keyId: sealed.keyId };
  };
}

/** Batches of inbox rows, oldest first, received over the last `count` ms (one a millisecond). */
async function* rows({ count, secrets }) {
  const seal = sealer(secrets);
  const runTag = Date.now().toString(36);
  const statuses = statusStream({ appSecret: secrets.appSecret, runTag });
  const t0 = Date.now() - count;
  for (let from = 0; from < count; from += BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      let body;
      if (i % 20 === 7) {
        const sender = 33660000000 + (((i / 20) % 10_000) | 0);
        body = stopMessage({
          waId: String(sender),
          wamid: `wamid.BENCHBL${runTag}m${i.toString(36)}`,
          text: i % 100 === 7 ? 'STOP' : 'Hello, is the shop open on Sunday?',
        });
      } else body = statuses.next().body;
      const s = seal(body);
      batch.push([
        'whatsapp',
        s.deliveryId,
        s.ciphertext,
        s.keyId,
        sign(secrets.appSecret, body),
        new Date(t0 + i),
        'pending',
      ]);
    }
    yield batch;
  }
}

let fillMs = 0;

async function fill({ databaseUrl, secrets, count, jobs, log }) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t = Date.now();
    const copied = await copyIn(
      db,
      'inbox',
      ['provider', 'delivery_id', 'raw_body', 'key_id', 'signature', 'received_at', 'status'],
      rows({ count, secrets }),
    );
    await db.query('ANALYZE inbox');
    fillMs = Date.now() - t;
    log(`backlog: ${copied} inbox rows copied in ${(fillMs / 1000).toFixed(1)} s`);
    if (jobs) {
      const { rows: schemas } = await db.query(
        `SELECT table_schema AS s FROM information_schema.columns
          WHERE table_name = 'job' AND column_name = 'dead_letter' LIMIT 1`,
      );
      if (!schemas.length) log('backlog: no pg-boss job table; BENCH_BACKLOG_JOBS ignored');
      else {
        const r = await db.query(
          `INSERT INTO ${schemas[0].s}.job (name, data, retry_limit, expire_in)
           SELECT 'inbox.process', jsonb_build_object('ids', jsonb_agg(id)), 20, interval '120 seconds'
             FROM (SELECT id, (row_number() OVER (ORDER BY received_at) - 1) / 100 AS g FROM inbox) t GROUP BY g`,
        );
        log(`backlog: ${r.rowCount} pg-boss jobs of 100 ids inserted (BENCH_BACKLOG_JOBS=1)`);
      }
    }
    fillMs = Date.now() - t;
    return copied;
  } finally {
    await db.end();
  }
}

function getStatus(agent, url, headers) {
  return new Promise((resolve) => {
    const req = http.get(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
  });
}

async function runBacklog({ databaseUrl, secrets, restart, count, seconds, jobs, log }) {
  let gateway = null;
  const t = Date.now();
  gateway = await restart(() => fill({ databaseUrl, secrets, count, jobs, log }));
  const bootMs = Date.now() - t - fillMs; // the gateway's stop and start, without the fill
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const startMem = memoryOf(gateway.pid);
    const pending0 = await pendingCount(db);
    const samples = [];
    const sampler = setInterval(() => samples.push(memoryOf(gateway.pid).rssMb), 250);
    const checkMs = [];
    const webhookMs = [];
    const codes = { check: {}, webhook: {} };
    const runTag = Date.now().toString(36);
    const headers = { authorization: `Bearer ${secrets.apiKey}` };
    const t0 = Date.now();
    let k = 0;
    const served = [];
    while (Date.now() - t0 < seconds * 1000) {
      // 5 checks and 5 webhooks a second, spread
      const i = k++;
      served.push(
        (async () => {
          const a = performance.now();
          const url = new URL(
            `/v1/consents/check?phone=${encodeURIComponent(`+33660${String(i % 10_000).padStart(6, '0')}`)}&purpose=marketing&channel=whatsapp`,
            gateway.base,
          );
          const code = await getStatus(agent, url, headers);
          checkMs.push(performance.now() - a);
          codes.check[code] = (codes.check[code] ?? 0) + 1;
        })(),
        (async () => {
          const body = stopMessage({
            waId: String(33670000000 + i),
            wamid: `wamid.BENCHBLLIVE${runTag}x${i}`,
            text: 'Hello',
          });
          const a = performance.now();
          const code = await post(agent, new URL('/webhooks/whatsapp', gateway.base), body, {
            'content-type': 'application/json',
            'x-hub-signature-256': sign(secrets.appSecret, body),
          });
          webhookMs.push(performance.now() - a);
          codes.webhook[code] = (codes.webhook[code] ?? 0) + 1;
        })(),
      );
      await sleep(200);
    }
    await Promise.all(served);
    clearInterval(sampler);
    const elapsed = (Date.now() - t0) / 1000;
    const pending1 = await pendingCount(db);
    const end = memoryOf(gateway.pid);
    const result = {
      rows: count,
      bootMs,
      startRssMb: startMem.rssMb,
      peakRssMb: Math.max(startMem.rssMb, ...samples.filter(Number.isFinite)),
      endRssMb: end.rssMb,
      hwmMb: end.hwmMb,
      samples: samples.length,
      pendingAtStart: pending0,
      pendingAtEnd: pending1,
      // Sent webhooks (one per 200 ms) add to the backlog; counted out so the rate is of the backlog's drain.
      drainRate: (pending0 - pending1 + webhookMs.length) / elapsed,
      seconds: elapsed,
      check: { ...stats(checkMs), codes: codes.check },
      webhook: { ...stats(webhookMs), codes: codes.webhook },
      jobs,
    };
    log(
      `backlog: gateway stopped and started again in ${bootMs} ms; RSS at start ${result.startRssMb.toFixed(0)} MB, ` +
        `peak ${result.peakRssMb.toFixed(0)} MB (VmHWM ${result.hwmMb.toFixed(0)} MB), end ${result.endRssMb.toFixed(0)} MB; ` +
        `backlog ${pending0} → ${pending1} in ${elapsed.toFixed(0)} s = ${result.drainRate.toFixed(0)}/s`,
    );
    log(
      `  served meanwhile: checks p50 ${result.check.p50?.toFixed(0)} ms p99 ${result.check.p99?.toFixed(0)} ms ` +
        `${JSON.stringify(codes.check)}; webhooks p50 ${result.webhook.p50?.toFixed(0)} ms p99 ` +
        `${result.webhook.p99?.toFixed(0)} ms ${JSON.stringify(codes.webhook)}`,
    );
    return result;
  } finally {
    agent.destroy();
    await db.end();
  }
}

module.exports = { runBacklog };
