'use strict';
/**
 * 5. Against a rate-limited vendor: one HubSpot connection whose simulator allows `limit.max` requests per
 * `limit.windowMs` (the connection's rate_limit is set to the same published limit), and more work than
 * that limit lets through, so that only the pacing decides how fast deliveries go out.
 *
 * "Deliveries per second as a fraction of the limit" is measured as vendor calls per second ÷ the limit
 * (goal ≥ 0.9) with the share of calls answered 429 (goal < 1%), both from the simulator's own call counter
 * over a steady-state window; deliveries per second (succeeded, from the delivery table) are reported too,
 * since HubSpot's batch endpoint carries up to 100 people per call.
 *
 * Setup: people whose HubSpot record ids the gateway already knows (so one batch update per 100 people
 * and no search): contacts seeded in the simulator; each person's subject, phone identity, withdrawn
 * consent (event + state) and connection_record row written directly in SQL with the gateway's own crypto
 * (as lib/seed.js does). Per phase (one simulated vendor latency each, on its own people): the connection
 * paused, one open delivery per person inserted as the planner would (the rows of
 * PropagationPlanner.plan, then its NOTIFY), the connection resumed (PATCH, which queues a drain), and the
 * drain sampled every 100 ms. The backlog is built in SQL because the API path (POST /v1/consent-events)
 * creates it at only ~170 withdrawals/s on this machine, which is the intake's figure, not this one's.
 * While paused with a due backlog the gateway's CPU is measured for 3 s (a paused connection should cost
 * nothing).
 */
const { randomUUID } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const { sleep } = require('./lib/processes');
const v = require('./lib/vendors');

async function seedKnownPeople({ db, secrets, connectionId, contacts }) {
  const { crypto, identities } = v.cryptoFor(secrets);
  const batch = 5000;
  for (let from = 0; from < contacts.length; from += batch) {
    const part = contacts.slice(from, from + batch);
    const ids = [];
    const idSubjects = [];
    const kinds = [];
    const hashes = [];
    const cts = [];
    const keyIds = [];
    const recHashes = [];
    const recCts = [];
    const recKeys = [];
    for (const c of part) {
      const id = randomUUID();
      c.subjectId = id;
      ids.push(id);
      for (const p of identities.prepare([{ kind: 'phone', value: c.phone }])) {
        const sealed = crypto.seal(p.normalised);
        idSubjects.push(id);
        kinds.push(p.kind);
        hashes.push(p.hash);
        cts.push(sealed.ciphertext);
        keyIds.push(sealed.keyId);
      }
      const sealed = crypto.seal(c.remoteId);
      recHashes.push(crypto.blindIndex(`remote:${connectionId}`, c.remoteId));
      recCts.push(sealed.ciphertext);
      recKeys.push(sealed.keyId);
    }
    await db.query('BEGIN');
    await db.query(`INSERT INTO subject (id) SELECT * FROM unnest($1::uuid[])`, [ids]);
    await db.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::text[])`,
      [idSubjects, kinds, hashes, cts, keyIds],
    );
    await db.query(
      `INSERT INTO connection_record (connection_id, subject_id, remote_id_hash, remote_id_ciphertext, key_id, record_type)
       SELECT $1, *, 'contact' FROM unnest($2::uuid[], $3::bytea[], $4::bytea[], $5::text[])`,
      [connectionId, ids, recHashes, recCts, recKeys],
    );
    const eventIds = ids.map(() => randomUUID());
    part.forEach((c, i) => (c.eventId = eventIds[i]));
    await db.query(
      `INSERT INTO consent_event (id, subject_id, purpose, channel, scope, status, effect, source, source_event_id,
          method, actor, captured_at, received_at, legal_basis, evidence)
       SELECT e.id, e.subject_id, 'marketing', 'whatsapp', '*', 'withdrawn', 'changed', 'api', 'bench-rl:' || e.subject_id,
              'import', 'automation', now(), now(), 'consent', '{"bench":"ratelimit"}'::jsonb
         FROM unnest($1::uuid[], $2::uuid[]) AS e(id, subject_id)`,
      [eventIds, ids],
    );
    await db.query(
      `INSERT INTO consent_state (subject_id, purpose, channel, scope, status, captured_at, source, event_id)
       SELECT e.subject_id, 'marketing', 'whatsapp', '*', 'withdrawn', now(), 'api', e.id
         FROM unnest($1::uuid[], $2::uuid[]) AS e(id, subject_id)`,
      [eventIds, ids],
    );
    await db.query('COMMIT');
  }
  await db.query('ANALYZE subject, subject_identity, connection_record, consent_event, consent_state');
}

async function deliveryCounts(db, connectionId) {
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status IN ('pending','retrying','in_progress'))::int AS open,
            count(*) FILTER (WHERE status NOT IN ('succeeded','pending','retrying','in_progress'))::int AS other
       FROM delivery WHERE connection_id = $1`,
    [connectionId],
  );
  return rows[0];
}

/** The steady-state window of a phase: after the first limit window (its initial burst), for ≥ `seconds`. */
function windowOf(limit, seconds) {
  const skipMs = Math.max(1000, limit.windowMs);
  const durationMs = Math.max(seconds * 1000, limit.windowMs);
  return { skipMs, durationMs };
}

/** People needed so the backlog outlasts the window even at 25 calls/s (or the pacer's rate if lower). */
function backlogFor(limit, seconds) {
  const { skipMs, durationMs } = windowOf(limit, seconds);
  const perSecond = Math.min(limit.max / (limit.windowMs / 1000), 25);
  return Math.ceil((((skipMs + durationMs) / 1000) * perSecond * 100 * 1.2) / 1000) * 1000;
}

async function runPhase({ api, db, hubspot, connectionId, people, latencyMs, limit, seconds, gateway, log }) {
  const tag = `[ratelimit ${limit.max}/${limit.windowMs} ms, latency ${latencyMs} ms]`;
  await api(`/v1/connections/${connectionId}`, { method: 'PATCH', json: { status: 'paused' } });
  hubspot.setLatency(latencyMs);
  // The simulator's limit and the connection's published rate_limit, the same.
  hubspot.options.rateLimit = { ...limit };
  await api(`/v1/connections/${connectionId}`, {
    method: 'PATCH',
    json: { rate_limit: { max: limit.max, window_ms: limit.windowMs } },
  });
  const before = await deliveryCounts(db, connectionId);

  // The backlog: one open delivery per person, as the planner writes it, while the connection is paused.
  const t0 = performance.now();
  await db.query(
    `INSERT INTO delivery (connection_id, subject_id, operation, trigger_event_id)
     SELECT $1, p.subject_id, 'consent_update', p.event_id FROM unnest($2::uuid[], $3::uuid[]) AS p(subject_id, event_id)`,
    [connectionId, people.map((p) => p.subjectId), people.map((p) => p.eventId)],
  );
  await db.query(`ANALYZE delivery`);
  await db.query(`SELECT pg_notify('cg_propagation', $1)`, [connectionId]);
  const queued = await deliveryCounts(db, connectionId);
  const queuedMs = performance.now() - t0;
  const pausedCpu = cpu.measure({ gateway: gateway.pid });
  await sleep(3000);
  const pausedCpuResult = pausedCpu();
  // The previous phase's calls must be out of the vendor's window before this one starts.
  if (limit.windowMs > 3000) await sleep(limit.windowMs - 3000);
  log(
    `${tag} ${queued.open} open deliveries queued in ${queuedMs.toFixed(0)} ms; ` +
      `paused with them due, 3 s: ${cpu.format(pausedCpuResult)}`,
  );

  // Resume, and sample the vendor's call counter and the delivery table every 100 ms.
  const log0 = { total: hubspot.state.callLog.total, r429: hubspot.state.callLog.rateLimited };
  const samples = [];
  const sample = async () => {
    const c = await deliveryCounts(db, connectionId);
    samples.push({
      t: performance.now(),
      calls: hubspot.state.callLog.total - log0.total,
      r429: hubspot.state.callLog.rateLimited - log0.r429,
      succeeded: c.succeeded - before.succeeded,
      open: c.open,
    });
  };
  const drainCpu = cpu.measure({ gateway: gateway.pid });
  const resumedDb = (await db.query(`SELECT now() AS t`)).rows[0].t;
  const resumedAt = performance.now();
  await api(`/v1/connections/${connectionId}`, { method: 'PATCH', json: { status: 'active' } });
  await sample();
  const deadline = Date.now() + Math.max(180_000, (people.length / 100 / (limit.max / limit.windowMs)) * 3);
  while (Date.now() < deadline) {
    await sleep(100);
    await sample();
    if (samples[samples.length - 1].open === 0) break;
  }
  const cpuResult = drainCpu();
  const last = samples[samples.length - 1];

  // Steady state: from one limit window (≥ 1 s) after the resume, past the first burst into an empty
  // window, for max(`seconds`, one window); ending earlier if the backlog falls under 10% (partial batches).
  const { skipMs, durationMs } = windowOf(limit, seconds);
  const startAt = resumedAt + skipMs;
  const first = samples.find((s) => s.t >= startAt) ?? samples[0];
  const endCandidates = samples.filter(
    (s) => s.t > first.t && s.t <= startAt + durationMs && s.open >= people.length * 0.1,
  );
  const end = endCandidates[endCandidates.length - 1] ?? last;
  const windowSeconds = (end.t - first.t) / 1000;
  const limitPerSecond = limit.max / (limit.windowMs / 1000);
  const calls = end.calls - first.calls;
  const calls429 = end.r429 - first.r429;
  const delivered = end.succeeded - first.succeeded;
  const totalSeconds = (last.t - resumedAt) / 1000;
  const result = {
    latencyMs,
    limit,
    backlog: people.length,
    pausedCpu: pausedCpuResult,
    windowSeconds,
    limitPerSecond,
    calls,
    calls429,
    callsPerSecond: calls / windowSeconds,
    fraction: calls / windowSeconds / limitPerSecond,
    share429: calls ? calls429 / calls : NaN,
    deliveriesPerSecond: delivered / windowSeconds,
    perCall: calls - calls429 > 0 ? delivered / (calls - calls429) : NaN,
    total: {
      seconds: totalSeconds,
      calls: last.calls,
      calls429: last.r429,
      succeeded: last.succeeded,
      open: last.open,
      callsPerSecond: last.calls / totalSeconds,
    },
    cpu: cpuResult,
  };
  const after = await deliveryCounts(db, connectionId);
  // Where a drain iteration's time goes, from the delivery rows: each claim stamps its batch's started_at
  // (one statement); the outcome UPDATE stamps completed_at. claim → completed_at covers building the
  // pushes (decrypting identities), the DPA screen and the vendor call; completed_at → next claim covers
  // the outcome UPDATE, linking the records the push wrote (RecordLinks.link, one upsert per batch), the
  // lease renewal, the connection context and the next claim.
  const { rows: batches } = await db.query(
    `WITH b AS (SELECT started_at, max(completed_at) AS done, count(*)::int AS n FROM delivery
                 WHERE connection_id = $1 AND started_at >= $2 AND status = 'succeeded' GROUP BY started_at)
     SELECT n, extract(epoch FROM done - started_at) * 1000 AS work_ms,
            extract(epoch FROM lead(started_at) OVER (ORDER BY started_at) - done) * 1000 AS after_ms
       FROM b ORDER BY started_at`,
    [connectionId, resumedDb],
  );
  const work = v.stats(batches.map((b) => Number(b.work_ms)));
  const afterCall = v.stats(batches.filter((b) => b.after_ms !== null).map((b) => Number(b.after_ms)));
  result.iteration = { batches: batches.length, workP50: work.p50, afterP50: afterCall.p50 };
  log(
    `${tag} steady state over ${windowSeconds.toFixed(1)} s: ${result.callsPerSecond.toFixed(1)} calls/s of ` +
      `${limitPerSecond.toFixed(1)}/s = ${result.fraction.toFixed(2)} of the limit; 429s ${calls429}/${calls} ` +
      `(${(result.share429 * 100).toFixed(2)}%); ${result.deliveriesPerSecond.toFixed(0)} deliveries/s ` +
      `(${result.perCall.toFixed(1)} per successful call)`,
  );
  log(
    `${tag} whole drain: ${last.succeeded} succeeded in ${totalSeconds.toFixed(1)} s, ${last.calls} calls ` +
      `(${result.total.callsPerSecond.toFixed(1)}/s), ${last.r429} answered 429; still open ${after.open}, other ${after.other}`,
  );
  log(
    `${tag} ${batches.length} batches: claim → outcome UPDATE p50 ${work.p50.toFixed(0)} ms (p90 ${work.p90.toFixed(0)}), ` +
      `outcome UPDATE → next claim p50 ${afterCall.p50.toFixed(0)} ms (p90 ${afterCall.p90.toFixed(0)})`,
  );
  log(`${tag} ${cpu.format(cpuResult)}`);
  return result;
}

/**
 * `phases`: [{ limit: {max, windowMs}, latencyMs }], run in order on one gateway and one connection, each
 * on its own people.
 */
async function runRateLimit({ gateway, databaseUrl, secrets, phases: specs, backlog, seconds, log }) {
  const { HubSpotSimulator } = v.simulators();
  const limit = specs[0].limit;
  const hubspot = new HubSpotSimulator({
    clientId: v.CLIENT.id,
    clientSecret: v.CLIENT.secret,
    rateLimit: limit,
    dailyLimit: 10_000_000,
  });
  const api = v.apiClient(gateway, secrets.apiKey);
  const db = new Client({ connectionString: databaseUrl });
  try {
    const hubspotUrl = await hubspot.start();
    await db.connect();
    const hs = await v.connectHubspot(api, {
      baseUrl: hubspotUrl,
      name: 'HubSpot (rate-limited)',
      rateLimit: limit,
    });
    log(`[ratelimit] ${await v.ensureDpa(api, hs.id)}`);
    await v.waitBackfill(api, hs.id); // an empty portal: nothing to import
    log(
      `[ratelimit] phases (simulator limit = connection rate_limit; the gateway paces at 95% of it): ` +
        specs.map((p) => `${p.limit.max}/${p.limit.windowMs} ms @ ${p.latencyMs} ms latency`).join(', '),
    );

    const sizes = specs.map((p) => backlog ?? backlogFor(p.limit, seconds));
    const total = sizes.reduce((a, b) => a + b, 0);
    const seeded = hubspot.seedContacts({ count: total, whatsapp: true });
    const contacts = Array.from({ length: total }, (_, i) => {
      const remoteId = String(Number(seeded.firstId) + i);
      return { remoteId, phone: HubSpotSimulator.seededPhone(remoteId) };
    });
    const t = Date.now();
    await seedKnownPeople({ db, secrets, connectionId: hs.id, contacts });
    log(`[ratelimit] ${total} people with known HubSpot record ids seeded in ${Date.now() - t} ms`);

    const phases = [];
    let from = 0;
    for (const [i, spec] of specs.entries()) {
      const people = contacts.slice(from, from + sizes[i]);
      from += sizes[i];
      phases.push(
        await runPhase({
          api,
          db,
          hubspot,
          connectionId: hs.id,
          people,
          latencyMs: spec.latencyMs,
          limit: spec.limit,
          seconds,
          gateway,
          log,
        }),
      );
    }
    const out = [...hubspot.portal().contacts.values()].filter(
      (c) => c.properties.wa_marketing_consent === 'OPTED_OUT',
    ).length;
    log(`[ratelimit] HubSpot contacts now OPTED_OUT: ${out}/${total}`);
    return { phases };
  } finally {
    await db.end().catch(() => undefined);
    await hubspot.stop().catch(() => undefined);
  }
}

module.exports = { runRateLimit };
