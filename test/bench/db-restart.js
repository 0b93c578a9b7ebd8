'use strict';
/**
 * dbrestart: how long after its database is back the gateway acknowledges webhooks again. The gateway
 * (dist/main.js) runs on a PostgreSQL of its own (the embedded server, so the shared one is never stopped);
 * the database is stopped (a fast shutdown, as a restart or failover does), left down for a moment while
 * signed STOPs keep arriving (answered 503 + Retry-After), then started again; the figure is the time from
 * the database accepting connections to the first STOP answered 200. No figure is asserted.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const processes = require('./lib/processes');
const { Client } = require('pg');
const { sign, stopMessage } = require('./lib/webhooks');

const { EmbeddedDatabase } = require(
  path.join(processes.ROOT, 'dist', 'platform', 'database', 'embedded-database.js'),
);

/** Sends distinct signed STOPs, `every` ms apart, until one is answered 200; returns when it was. */
async function untilAcknowledged(base, appSecret, tag, every = 20) {
  for (let i = 0; ; i++) {
    const body = stopMessage({
      waId: `3363${String(i % 1_000_000).padStart(7, '0')}`,
      wamid: `wamid.DBR${tag}x${i}`,
    });
    const res = await fetch(`${base}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(appSecret, body) },
      body,
    }).catch(() => null);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) return process.hrtime.bigint();
    await processes.sleep(every);
  }
}

/** When the database first accepts a connection again (polled every 10 ms from this process). */
async function whenAccepting(url) {
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      const at = process.hrtime.bigint();
      await client.end();
      return at;
    } catch {
      await client.end().catch(() => undefined);
      await processes.sleep(10);
    }
  }
}

async function runDbRestart({ secrets, rounds = 3, downMs = 3000, log }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-bench-dbrestart-'));
  const port = await processes.freePort();
  let database = new EmbeddedDatabase({ dataDir: path.join(dataDir, 'pg'), port });
  const url = await database.start();
  let gateway = null;
  const figures = [];
  try {
    gateway = await processes.startGateway({ databaseUrl: url, dataDir, secrets });
    log(`[dbrestart] gateway pid ${gateway.pid} on ${gateway.base}, its own PostgreSQL on port ${port}`);
    await untilAcknowledged(gateway.base, secrets.appSecret, 'warm');
    for (let round = 0; round < rounds; round++) {
      await database.stop();
      await processes.sleep(downMs);
      database = new EmbeddedDatabase({ dataDir: path.join(dataDir, 'pg'), port });
      const sending = untilAcknowledged(gateway.base, secrets.appSecret, `r${round}`);
      const accepting = whenAccepting(url);
      await database.start();
      const back = await accepting;
      const acknowledged = await sending;
      const ms = Number(acknowledged > back ? acknowledged - back : 0n) / 1e6;
      figures.push(ms);
      log(`[dbrestart] round ${round + 1}: first 200 ${ms.toFixed(0)} ms after the database was back`);
    }
    if (gateway.exited) throw new Error(`the gateway exited (${gateway.exitCode}) during the restarts`);
  } finally {
    await processes.stop(gateway);
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const sorted = [...figures].sort((a, b) => a - b);
  return { rounds: figures, median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), downMs };
}

module.exports = { runDbRestart };
