'use strict';
/**
 * 7. Audit: audited writes (POST /v1/vendors, each one audit entry) from `connections` concurrent clients, then
 * GET /v1/audit (a page and the chain's verification) once the log holds `entries` entries: one call at a time
 * and ten at once.
 *
 * The log is filled in SQL, in the form the running build writes: a build with the keyed chain (column
 * `chain_seq`) gets entries inserted unchained, as its writers insert them, and chains them itself; an older
 * build gets entries chained with its unkeyed SHA-256 (computed here with the same function), so that its
 * verification walks a valid chain. Either way the gateway under test does all the verifying.
 */
const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const load = require('./lib/load');
const { GATEWAY_DIR } = require('./lib/processes');

// The legacy (unkeyed) hash, identical in every build that has it.
const { auditHash } = require(path.join(GATEWAY_DIR, 'dist', 'modules', 'audit', 'audit-chain.js'));

const SEED_BATCH = 2000;

async function keyedSchema(db) {
  const { rows } = await db.query(
    `SELECT 1 FROM information_schema.columns WHERE table_name = 'audit_event' AND column_name = 'chain_seq'`,
  );
  return rows.length > 0;
}

async function count(db) {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM audit_event`);
  return rows[0].n;
}

/** Entries as the keyed build's writers insert them: no place, no hash; the gateway chains them. */
async function seedUnchained(db, n) {
  await db.query(
    `INSERT INTO audit_event (at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, outcome, details)
     SELECT clock_timestamp(), 'api_key', 'bench', 'bench', 'POST /v1/vendors', 'vendors', gen_random_uuid()::text,
            '127.0.0.1', 'success', '{"lookup":[]}'::jsonb
     FROM generate_series(1, $1)`,
    [n],
  );
}

/** Entries chained as a build before the keyed chain chained them (its global lock is taken, as it did). */
async function seedLegacy(db, n) {
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(74202)`);
    const { rows } = await db.query(`SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1`);
    let prev = rows[0]?.hash ?? '0'.repeat(64);
    for (let done = 0; done < n; done += SEED_BATCH) {
      const batch = [];
      for (let i = 0; i < Math.min(SEED_BATCH, n - done); i++) {
        const row = {
          id: randomUUID(),
          at: new Date(),
          actor_type: 'api_key',
          actor_id: 'bench',
          actor_name: 'bench',
          action: 'POST /v1/vendors',
          target_type: 'vendors',
          target_id: randomUUID(),
          ip: '127.0.0.1',
          outcome: 'success',
          details: { lookup: [] },
        };
        const hash = auditHash(prev, row);
        batch.push({ ...row, prev_hash: prev, hash });
        prev = hash;
      }
      const col = (k) => batch.map((r) => (k === 'details' ? JSON.stringify(r[k]) : r[k]));
      await db.query(
        `INSERT INTO audit_event (id, at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, outcome,
           details, prev_hash, hash)
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`,
        [
          'id',
          'at',
          'actor_type',
          'actor_id',
          'actor_name',
          'action',
          'target_type',
          'target_id',
          'ip',
          'outcome',
          'details',
          'prev_hash',
          'hash',
        ].map(col),
      );
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function runAudit({ gateway, databaseUrl, secrets, seconds, connections, entries, log }) {
  const auth = { authorization: `Bearer ${secrets.apiKey}` };
  const runTag = Date.now().toString(36);
  let n = 0;
  const write = () => ({
    method: 'POST',
    path: '/v1/vendors',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Bench vendor ${runTag}-${++n}` }),
  });
  const get = (p) => fetch(gateway.base + p, { headers: auth });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const keyed = await keyedSchema(db);
    log(
      `audit: ${keyed ? 'keyed chain (chained after the write)' : 'legacy chain (one lock per write)'} build`,
    );
    const sanity = await fetch(gateway.base + '/v1/vendors', write());
    if (sanity.status !== 201) throw new Error(`audited write got ${sanity.status}: ${await sanity.text()}`);

    await load.run({ base: gateway.base, seconds: 2, connections: 10, make: write, title: 'warm-up writes' });
    const stop = cpu.measure({ gateway: gateway.pid });
    const writes = await load.run({
      base: gateway.base,
      seconds,
      connections,
      make: write,
      title: `audited writes ×${connections}`,
    });
    writes.cpu = stop();
    log(load.describe(writes));
    log(`  ${cpu.format(writes.cpu)}`);

    // Fill the log up to `entries`.
    const have = await count(db);
    const missing = Math.max(0, entries - have);
    const seeded = await timed(() => (keyed ? seedUnchained(db, missing) : seedLegacy(db, missing)));
    log(
      `audit: ${missing} entries added in SQL (${(seeded.ms / 1000).toFixed(1)} s); log holds ${await count(db)}`,
    );

    // The first read after the fill: on the keyed build it chains and verifies everything added.
    const first = await timed(() => get('/v1/audit?limit=100'));
    const firstBody = await first.value.json();
    if (first.value.status !== 200) throw new Error(`GET /v1/audit got ${first.value.status}`);
    log(
      `audit: first GET /v1/audit after the fill ${first.ms.toFixed(0)} ms; chain ${JSON.stringify(firstBody.chain)}`,
    );

    const sequential = [];
    for (let i = 0; i < 20; i++) {
      const r = await timed(async () => (await get('/v1/audit?limit=100')).arrayBuffer());
      sequential.push(r.ms);
    }
    sequential.sort((a, b) => a - b);
    const parallel = [];
    for (let round = 0; round < 3; round++) {
      const r = await timed(() =>
        Promise.all(Array.from({ length: 10 }, async () => (await get('/v1/audit?limit=100')).arrayBuffer())),
      );
      parallel.push(r.ms);
    }
    parallel.sort((a, b) => a - b);
    const reads = {
      entries: await count(db),
      firstMs: first.ms,
      p50: pct(sequential, 50),
      p99: pct(sequential, 99),
      max: sequential[sequential.length - 1],
      tenParallelMs: pct(parallel, 50),
    };
    log(
      `audit: GET /v1/audit at ${reads.entries} entries: p50 ${reads.p50.toFixed(1)} ms p99 ${reads.p99.toFixed(1)} ms ` +
        `(20 one at a time); 10 at once: ${reads.tenParallelMs.toFixed(0)} ms for all ten (median of 3 rounds)`,
    );

    const full = await timed(() => get('/v1/audit/verify?full=true'));
    const fullBody = full.value.status === 200 ? await full.value.json() : null;
    if (fullBody) {
      log(`audit: full verification ${full.ms.toFixed(0)} ms (${JSON.stringify(fullBody)})`);
    } else {
      log(`audit: no full verification route on this build (${full.value.status})`);
    }
    return { keyed, writes, reads, fullVerifyMs: fullBody ? full.ms : null };
  } finally {
    await db.end();
  }
}

module.exports = { runAudit };
