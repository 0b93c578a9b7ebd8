'use strict';
/**
 * 8. Console pages at scale: every console page's API calls, made as the browser makes them (the calls a
 * page awaits together are sent together), against a gateway holding `people` people, `vendors` vendors
 * (each with a signed DPA) and `deliveries` deliveries; a bare Fastify route is timed in the same run.
 * The goal of issue 11 is that every page answers within 300 ms; nothing is asserted.
 *
 * What is seeded, and how realistic it is:
 *   - people: test/bench/lib/seed.js, in SQL with the gateway's own crypto (sealed, blind-indexed phone and
 *     wa_id, one consent event and state each): the same rows the ledger writes; each event recorded when
 *     it was captured (spread over 30 days), not all at seeding time;
 *   - vendors, DPAs and connections: through the API, as an admin would (10 connections are webhook
 *     processors, each creating its vendor; the rest of the vendors are added by name);
 *   - deliveries: in SQL with generate_series: spread over the last 180 days and the connections, people
 *     drawn at random, operations and outcomes in realistic shares (mostly succeeded consent updates; some
 *     skipped as not found or held for a missing DPA, some dead, a few flagged), all finished, so the
 *     workers have nothing to send during the measurement. No sealed payload (finished consent updates
 *     carry none);
 *   - requests: a few dozen through the API, so the requests pages show real rows;
 *   - audit: whatever the setup wrote through the API, plus `auditEntries` entries in SQL, unchained, as the
 *     writers insert them (the gateway chains them).
 */
const { Client } = require('pg');
const { seed, seededPhone } = require('./lib/seed');
const { apiClient, stats } = require('./lib/vendors');

/**
 * The console's pages and the calls each makes on load, read from console/pages/*.js: each inner array is
 * one Promise.all (sent at once); the page has answered when its last group has. `ctx` holds ids seeded here.
 * Kept beside the pages' code by hand: a page that changes its fetches changes its line here.
 */
const PAGES = [
  {
    name: 'overview',
    groups: (ctx) => [
      [
        '/v1/overview',
        '/v1/registry/attention',
        '/v1/requests/summary',
        '/v1/requests?overdue=true&limit=5',
        `/v1/requests?overdue=false&due_before=${encodeURIComponent(ctx.weekAhead)}&limit=20`,
        '/v1/requests?status=waiting_on_processors&limit=5',
        '/v1/retention/upcoming?within_days=90',
      ],
    ],
  },
  { name: 'vendors', groups: () => [['/v1/vendors']] },
  { name: 'vendor', groups: (ctx) => [[`/v1/vendors/${ctx.vendorId}`]] },
  { name: 'connections', groups: () => [['/v1/connections', '/v1/vendors']] },
  {
    name: 'deliveries (one connection, dead)',
    groups: (ctx) => [
      ['/v1/connections'],
      [`/v1/deliveries?connection_id=${ctx.connectionId}&limit=200&status=dead`],
    ],
  },
  {
    name: 'deliveries (all connections)',
    groups: () => [['/v1/connections'], ['/v1/deliveries?limit=100']],
  },
  {
    name: 'deliveries (all, skipped)',
    groups: () => [['/v1/connections'], ['/v1/deliveries?limit=100&status=skipped']],
  },
  {
    name: 'deliveries (next page)',
    groups: (ctx) => [[`/v1/deliveries?limit=100&before=${encodeURIComponent(ctx.midTime)}`]],
  },
  { name: 'requests', groups: () => [['/v1/requests/summary', '/v1/requests?limit=50']] },
  { name: 'request', groups: (ctx) => [[`/v1/requests/${ctx.requestId}`]] },
  {
    name: 'person',
    groups: (ctx) => [
      [`/v1/consents?phone=${encodeURIComponent(ctx.phone)}`],
      [
        `/v1/consents?subject_id=${ctx.subjectId}`,
        `/v1/subjects/${ctx.subjectId}/timeline`,
        `/v1/deliveries?subject_id=${ctx.subjectId}&limit=200`,
      ],
    ],
  },
  { name: 'audit', groups: () => [['/v1/audit']] },
  { name: 'api keys', groups: () => [['/v1/api-keys']] },
  { name: 'users', groups: () => [['/v1/users']] },
];

const DAY = 86_400_000;

/** The deliveries, in one statement per batch (a million rows in a handful of statements). */
async function seedDeliveries(db, { count, connectionIds, log }) {
  const batch = 250_000;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    // Shares: 84% succeeded consent updates, 7% skipped (no record at the processor), 2% held for a missing
    // DPA, 3% dead, 2% succeeded erasures with evidence; 0.5% flagged as sent without a DPA.
    await db.query(
      `WITH subjects AS (SELECT array_agg(id) AS ids FROM subject),
            rows AS (
              SELECT g, random() AS r, random() AS r2,
                     now() - (random() * interval '180 days') AS created
                FROM generate_series(1, $1) AS g)
       INSERT INTO delivery (connection_id, subject_id, operation, status, reason, attempts, next_attempt_at,
                             last_error, last_error_class, vendor_reference, created_at, updated_at,
                             started_at, completed_at, flags, evidence)
       SELECT ($2::uuid[])[1 + (g % array_length($2::uuid[], 1))],
              s.ids[1 + floor(r2 * array_length(s.ids, 1))::int],
              CASE WHEN r < 0.98 THEN 'consent_update' ELSE 'erasure' END,
              CASE WHEN r < 0.86 OR r >= 0.98 THEN 'succeeded' WHEN r < 0.93 THEN 'skipped'
                   WHEN r < 0.95 THEN 'skipped' ELSE 'dead' END,
              CASE WHEN r < 0.86 OR r >= 0.98 THEN NULL WHEN r < 0.93 THEN 'not_found'
                   WHEN r < 0.95 THEN 'dpa_missing' ELSE 'permanent' END,
              CASE WHEN r >= 0.95 AND r < 0.98 THEN 8 ELSE 1 END,
              created,
              CASE WHEN r >= 0.95 AND r < 0.98 THEN 'the processor answered 400' END,
              CASE WHEN r >= 0.95 AND r < 0.98 THEN 'permanent' END,
              CASE WHEN r < 0.86 OR r >= 0.98 THEN 'msg_' || g END,
              created, created + interval '2 seconds', created + interval '1 second',
              created + interval '2 seconds',
              CASE WHEN r < 0.005 THEN ARRAY['dpa_missing'] ELSE '{}'::text[] END,
              CASE WHEN r >= 0.98 THEN '{"erasure_mode":"delete","records_affected":1}'::jsonb ELSE '{}'::jsonb END
         FROM rows, subjects s`,
      [n, connectionIds],
    );
    log(`[console] deliveries ${done + n}/${count}`);
  }
}

async function seedAudit(db, n) {
  await db.query(
    `INSERT INTO audit_event (at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, outcome, details)
     SELECT clock_timestamp(), 'api_key', 'bench', 'bench', 'POST /v1/vendors', 'vendors', gen_random_uuid()::text,
            '127.0.0.1', 'success', '{"lookup":[]}'::jsonb
     FROM generate_series(1, $1)`,
    [n],
  );
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Loads each page `rounds` times, one page at a time; per page and per call: p50, p95, max. */
async function measure({ base, apiKey, ctx, rounds, bare, log }) {
  const headers = { authorization: `Bearer ${apiKey}` };
  // A call this build refuses (a route a page will use but that is not built yet) is reported with its
  // page, not fatal: the other pages are still measured.
  const refused = new Map();
  const call = async (p, sink) => {
    let status = 0;
    const ms = await timed(async () => {
      const res = await fetch(base + p, { headers });
      await res.arrayBuffer();
      status = res.status;
    });
    if (status !== 200) refused.set(p, status);
    (sink[p] ??= []).push(ms);
  };
  const bareTimes = [];
  for (let i = 0; i < rounds; i++) {
    bareTimes.push(await timed(async () => (await fetch(`${bare.base}/bare`)).arrayBuffer()));
  }
  const pages = [];
  for (const page of PAGES) {
    const groups = page.groups(ctx);
    const calls = {};
    const totals = [];
    // One warm-up load (connection pools, prepared plans), then the measured ones.
    for (let i = 0; i <= rounds; i++) {
      const sink = i === 0 ? {} : calls;
      const ms = await timed(async () => {
        for (const group of groups) await Promise.all(group.map((p) => call(p, sink)));
      });
      if (i > 0) totals.push(ms);
    }
    const result = {
      name: page.name,
      page: stats95(totals),
      calls: Object.entries(calls).map(([p, v]) => ({ path: p, ...stats95(v), refused: refused.get(p) })),
    };
    result.refused = result.calls.filter((c) => c.refused).map((c) => `${c.refused} ${c.path}`);
    pages.push(result);
    log(`[console] ${page.name.padEnd(36)} ${fmt(result.page)}`);
    for (const c of result.calls)
      log(`           ${fmt(c)}  ${c.path}${c.refused ? `  (answered ${c.refused})` : ''}`);
  }
  return { bare: stats95(bareTimes), pages };
}

function stats95(values) {
  const s = stats(values);
  const sorted = values.slice().sort((a, b) => a - b);
  return { ...s, p95: sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] };
}

const fmt = (s) =>
  `p50 ${s.p50.toFixed(1).padStart(7)} ms  p95 ${s.p95.toFixed(1).padStart(7)} ms  max ${s.max.toFixed(0).padStart(5)} ms`;

async function runConsolePages({
  gateway,
  bare,
  databaseUrl,
  secrets,
  people,
  vendors,
  deliveries,
  auditEntries,
  rounds,
  log,
}) {
  const api = apiClient(gateway, secrets.apiKey);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    let t = Date.now();
    const seeded = await seed({ databaseUrl, secrets, count: people });
    // seed.js records every event at seeding time (one big import today); a gateway in steady state
    // recorded each as it came, over the 30 days seed.js spreads the captures across. The ledger is
    // append-only by trigger; the bench's superuser session sets it aside for this one seeding statement.
    await db.query(`SET session_replication_role = replica`);
    await db.query(`UPDATE consent_event SET recorded_at = captured_at + interval '1 second'`);
    await db.query(`RESET session_replication_role`);
    // As autovacuum would by the time anyone looks: without fresh statistics the planner still believes
    // every event was recorded today.
    await db.query(`VACUUM ANALYZE consent_event`);
    log(`[console] ${people} people in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    t = Date.now();
    const connectionIds = [];
    for (let i = 0; i < 10; i++) {
      const { body } = await api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: `Processor ${i + 1}`,
          credentials: { url: `${bare.base}/hooks/${i + 1}` },
        },
        expect: 201,
      });
      connectionIds.push(body.id);
    }
    const { body: listed } = await api('/v1/vendors');
    const have = (listed.vendors ?? listed.items ?? listed).length;
    for (let i = have; i < vendors; i++) {
      await api('/v1/vendors', {
        method: 'POST',
        json: { name: `Vendor ${i + 1}`, role: 'processor', country: 'DE' },
        expect: 201,
      });
    }
    const { body: all } = await api('/v1/vendors');
    const vendorList = all.vendors ?? all.items ?? all;
    for (const v of vendorList) {
      await api(`/v1/vendors/${v.id}/dpas`, {
        method: 'POST',
        json: { status: 'signed', signed_at: '2025-01-01' },
        expect: 201,
      });
    }
    log(
      `[console] ${connectionIds.length} connections, ${vendorList.length} vendors with DPAs in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );

    t = Date.now();
    const requestIds = [];
    for (let i = 0; i < 30; i++) {
      const { body } = await api('/v1/requests', {
        method: 'POST',
        json: { type: i % 3 === 0 ? 'erasure' : 'access', phone: seededPhone(1000 + i), source: 'email' },
        expect: 201,
      });
      requestIds.push(body.id);
    }
    log(`[console] ${requestIds.length} requests in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    t = Date.now();
    await seedDeliveries(db, { count: deliveries, connectionIds, log });
    await seedAudit(db, auditEntries);
    await db.query('VACUUM ANALYZE delivery');
    await db.query('ANALYZE audit_event');
    log(
      `[console] ${deliveries} deliveries, ${auditEntries} audit entries in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );

    // The person looked up: one of the seeded (about ten deliveries each, drawn at random).
    const person = seeded.subjects[Math.floor(people / 2)];
    const ctx = {
      vendorId: vendorList[0].id,
      connectionId: connectionIds[0],
      requestId: requestIds[0],
      subjectId: person.id,
      phone: person.phone,
      weekAhead: new Date(Date.now() + 7 * DAY).toISOString(),
      midTime: new Date(Date.now() - 90 * DAY).toISOString(),
    };
    // The audit chainer links the entries added in SQL (CPU-bound HMACs); measuring while it works would
    // charge its work to every page, so wait until it is done (at most three minutes).
    await fetch(`${gateway.base}/v1/audit?limit=1`, {
      headers: { authorization: `Bearer ${secrets.apiKey}` },
    });
    t = Date.now();
    for (;;) {
      const { rows: open } = await db.query(
        `SELECT count(*)::int AS n FROM audit_event WHERE chain_seq IS NULL`,
      );
      if (open[0].n === 0 || Date.now() - t > 180_000) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    log(`[console] audit chain caught up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return await measure({ base: gateway.base, apiKey: secrets.apiKey, ctx, rounds, bare, log });
  } finally {
    await db.end();
  }
}

function summaryLines(result) {
  const lines = [
    `console     : bare GET /bare p50 ${result.bare.p50.toFixed(1)} ms p95 ${result.bare.p95.toFixed(1)} ms; goal: every page ≤ 300 ms`,
  ];
  for (const p of result.pages) {
    const mark = p.refused.length ? 'N/A ' : p.page.p95 <= 300 ? 'ok  ' : 'SLOW';
    const note = p.refused.length ? `  (refused: ${p.refused.join(', ')})` : '';
    lines.push(`  ${mark} ${p.name.padEnd(36)} ${fmt(p.page)}${note}`);
  }
  return lines;
}

module.exports = { runConsolePages, summaryLines, PAGES };
