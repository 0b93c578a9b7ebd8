'use strict';
/**
 * 1. Intake: signed, all-different webhook bodies (fixtures + typed STOPs) against POST /webhooks/whatsapp,
 * and the same bodies against the bare Fastify POST /bare.
 */
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const load = require('./lib/load');
const { intakeMix } = require('./lib/webhooks');
const { sleep } = require('./lib/processes');

async function pending(client) {
  const { rows } = await client.query(
    `SELECT count(*) FILTER (WHERE status <> 'processed')::int AS pending, count(*)::int AS total FROM inbox`,
  );
  return rows[0];
}

async function waitDrained(client, maxMs) {
  const deadline = Date.now() + maxMs;
  let p = await pending(client);
  while (p.pending > 0 && Date.now() < deadline) {
    await sleep(250);
    p = await pending(client);
  }
  return p;
}

async function runIntake({
  gateway,
  bare,
  databaseUrl,
  secrets,
  seconds,
  connections,
  log,
  apiOnly = false,
}) {
  const mix = intakeMix({ appSecret: secrets.appSecret, runTag: Date.now().toString(36) });
  const request = (path) => () => {
    const { body, signature } = mix.next();
    return {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    };
  };
  const pids = { gateway: gateway.pid, bare: bare.pid };
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // Sanity: one delivery of each kind is accepted.
    for (let i = 0; i < 2; i++) {
      const r = request('/webhooks/whatsapp')();
      const res = await fetch(gateway.base + r.path, { method: 'POST', headers: r.headers, body: r.body });
      if (res.status !== 200) throw new Error(`intake sanity request got ${res.status}: ${await res.text()}`);
    }

    log(`intake: warm-up (2 s each, 10 connections); fixtures: ${mix.fixtures.length} + synthetic STOPs`);
    await load.run({
      base: bare.base,
      seconds: 2,
      connections: 10,
      make: request('/bare'),
      title: 'warm-up bare',
    });
    await load.run({
      base: gateway.base,
      seconds: 2,
      connections: 10,
      make: request('/webhooks/whatsapp'),
      title: 'warm-up intake',
    });
    // An API-only gateway has no worker: its backlog waits for one, so there is nothing to drain here.
    const drained = apiOnly ? await pending(db) : await waitDrained(db, 60_000);
    log(`intake: warm-up backlog drained (pending ${drained.pending} of ${drained.total})`);

    let stop = cpu.measure(pids);
    const bareResult = await load.run({
      base: bare.base,
      seconds,
      connections,
      make: request('/bare'),
      title: 'bare POST /bare',
    });
    bareResult.cpu = stop();
    log(load.describe(bareResult));
    log(`  ${cpu.format(bareResult.cpu)}`);

    const before = await pending(db);
    stop = cpu.measure(pids);
    const intakeResult = await load.run({
      base: gateway.base,
      seconds,
      connections,
      make: request('/webhooks/whatsapp'),
      title: 'intake POST webhook',
    });
    intakeResult.cpu = stop();
    log(load.describe(intakeResult));
    log(`  ${cpu.format(intakeResult.cpu)}`);

    // What the worker (same process, npm start) managed meanwhile, and how fast it drains the rest alone.
    const after = await pending(db);
    const stored = after.total - before.total;
    const processedDuring = stored - (after.pending - before.pending);
    const drainStart = Date.now();
    stop = cpu.measure(pids);
    const drainSeconds = apiOnly ? 0 : Math.min(10, seconds);
    await sleep(drainSeconds * 1000);
    const later = await pending(db);
    const drainCpu = stop();
    const drainRate = (after.pending - later.pending) / ((Date.now() - drainStart) / 1000);
    const worker = {
      stored,
      processedDuring,
      backlogAtEnd: after.pending,
      drainRate,
      backlogAfterDrain: later.pending,
      drainCpu,
    };
    log(
      `  inbox rows stored during run ${stored}; processed by the worker meanwhile ${processedDuring}; ` +
        `backlog at end ${after.pending}; worker alone then drains ${drainRate.toFixed(0)} deliveries/s ` +
        `(${later.pending} left after ${drainSeconds} s)`,
    );
    log(`  drain ${cpu.format(drainCpu)}`);
    return { intake: intakeResult, bare: bareResult, ratio: intakeResult.rps / bareResult.rps, worker };
  } finally {
    await db.end();
  }
}

/** The bare POST alone (same bodies, warm-up, connections), for groups that need it when intake did not run. */
async function measureBarePost({ bare, seconds, connections, log }) {
  const mix = intakeMix({ appSecret: 'baseline', runTag: Date.now().toString(36) });
  const make = () => {
    const { body, signature } = mix.next();
    return {
      method: 'POST',
      path: '/bare',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    };
  };
  await load.run({ base: bare.base, seconds: 2, connections: 10, make, title: 'warm-up bare' });
  const result = await load.run({ base: bare.base, seconds, connections, make, title: 'bare POST /bare' });
  log(load.describe(result));
  return result;
}

module.exports = { runIntake, measureBarePost };
