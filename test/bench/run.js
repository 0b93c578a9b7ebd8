'use strict';
/**
 * `npm run bench` (after `npm run build`): the gateway as `node dist/main.js` on fresh databases, against a
 * bare Fastify baseline, both in child processes; load from autocannon in this process.
 *
 *   intake       signed all-different webhooks, POST /webhooks/whatsapp vs POST /bare, API+worker in one
 *                process and API role alone (GATEWAY_ROLES=api)
 *   sustained    highest rate the worker keeps pace with for BENCH_SUSTAIN_SECONDS, ack → processed, for
 *                campaign statuses and for STOPs from new senders (definition in sustained.js), vs bare POST
 *   check        GET /v1/consents/check over a 100k-person seeded ledger vs GET /bare
 *   stop         STOP acknowledged → its withdrawal visible in the ledger (same seeded ledger)
 *   flood        STOP acknowledged → the check answers allowed:false, while statuses stream at 80% of the
 *                sustained status rate (same seeded ledger)
 *   backlog      gateway RSS (peak, at start) and drain rate over a 1M-webhook inbox backlog
 *   vendors      STOP acknowledged → its deliveries to HubSpot, Salesforce and a webhook all succeeded
 *   ratelimit    vendor calls/s against a rate-limited HubSpot, as a fraction of its limit, and 429s
 *   backfill     importing 100k HubSpot contacts, as a fraction of the rate-limit ceiling; peak RSS
 *   audit        audited writes (POST /v1/vendors) from 20 clients; GET /v1/audit at 50,000 entries
 *   console      every console page's API calls at 100k people, 50 vendors, 1M deliveries vs GET /bare
 *   dbrestart    database restarted under the gateway → first webhook answered 200 again (own PostgreSQL)
 *   (vendors, ratelimit, backfill run the vendor simulators of sandbox/, compiled to dist-sandbox/, here)
 * The groups are the table GROUPS below, run in that order; the summary ends with every goal, PASS or MISS,
 * and the bare baselines of the same run (ratios are in-run, so comparable across runs on a shared machine).
 *
 * Figures only: nothing is asserted and the exit code is 0 unless the benchmark itself could not run.
 *
 * Environment (all optional):
 *   BENCH_SECONDS=10            duration of each measured load run
 *   BENCH_CONNECTIONS=50        intake connections
 *   BENCH_CHECK_CONNECTIONS=64  check connections
 *   BENCH_SUBJECTS=100000       people seeded for the check
 *   BENCH_UNKNOWN_SHARE=0.05    share of check lookups for phones nobody is known by
 *   BENCH_STOP_COUNT=300        STOPs sent for the latency bench
 *   BENCH_STOP_RATE=50          STOPs per second
 *   BENCH_ONLY=intake,sustained,check,stop,flood,backlog,vendors,ratelimit,backfill,audit,console,dbrestart
 *                               run a subset (stop and flood use the check's seeded ledger; seeded if alone)
 *   BENCH_GATEWAY_DIR=<this checkout>  checkout whose build (dist/) is measured, e.g. a worktree of main to
 *                               take "before" figures with this bench code; its dist/ must be built
 *   BENCH_SUSTAIN_SECONDS=60    length of the confirming run of the sustained group
 *   BENCH_SUSTAIN_TRIAL_SECONDS=8  length of each trial of the rate search
 *   BENCH_SUSTAIN_TRIALS=8      trials of the rate search (before the confirming run; 4 stopped below the
 *                               status ceiling, ×1.2 per passing trial)
 *   BENCH_SUSTAIN_KINDS=statuses,stops  which streams the sustained group measures
 *   BENCH_FLOOD_RATE=…          status webhooks/s during the flood (default: 80% of the sustained status
 *                               rate of this run, else 300)
 *   BENCH_FLOOD_STOP_RATE=3     STOPs per second during the flood
 *   BENCH_FLOOD_SECONDS=30      duration of the flood (longer while STOPs are still awaited, up to +60 s)
 *   BENCH_BACKLOG=1000000       webhooks put in the inbox (COPY) before the gateway starts on them
 *   BENCH_BACKLOG_SECONDS=30    how long the gateway's RSS is sampled (every 250 ms) while it drains
 *   BENCH_BACKLOG_JOBS=0        1: also insert one pg-boss job per 100 backlog rows (for builds whose worker
 *                               only takes work from jobs; without them such a build sees the rows by sweeps)
 *   BENCH_VENDOR_RATE=100       STOPs per second for the vendors bench (for BENCH_SECONDS)
 *   BENCH_VENDOR_LATENCY_MS=50  simulated latency of each vendor (vendors bench)
 *   BENCH_HUBSPOT_MAX=190 BENCH_HUBSPOT_WINDOW_MS=10000   HubSpot limit in the vendors bench (Pro tier)
 *   BENCH_WEBHOOK_MAX=200       webhook connection rate_limit per second in the vendors bench
 *   BENCH_RL_PHASES=50/1000@0,50/1000@50,100/10000@0   ratelimit phases: HubSpot limit max/window_ms
 *                               (simulator and connection rate_limit) @ simulated latency ms
 *   BENCH_RL_BACKLOG=…          deliveries queued per ratelimit phase (default: enough for the window)
 *   BENCH_BACKFILL_CONTACTS=100000  HubSpot contacts to import
 *   BENCH_BACKFILL_MAX=1000 BENCH_BACKFILL_WINDOW_MS=10000  simulator limit (and connection rate_limit)
 *   BENCH_BACKFILL_LATENCY_MS=0 simulated HubSpot latency during the backfill
 *   BENCH_BACKFILL_CONSENT_SHARE=0.5  share of contacts carrying a wa_marketing_consent value
 *   BENCH_AUDIT_CONNECTIONS=20  concurrent clients of the audited-writes run
 *   BENCH_AUDIT_ENTRIES=50000   entries the audit log holds when GET /v1/audit is timed
 *   BENCH_CONSOLE_PEOPLE=100000 BENCH_CONSOLE_VENDORS=50 BENCH_CONSOLE_DELIVERIES=1000000  console bench data
 *   BENCH_CONSOLE_AUDIT=50000   audit entries added in SQL for the console bench
 *   BENCH_CONSOLE_ROUNDS=20     loads of each page (after one warm-up)
 *   BENCH_KEEP_DATABASES=1      keep each group's database (for EXPLAIN afterwards); drop them by hand
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432  server on which the fresh databases are created
 *   BENCH_LOG_LEVEL=warn        gateway LOG_LEVEL
 *   BENCH_BOOT_SETTLE_MS=3000   pause after the gateway restarts on the seeded ledger, for a build without the
 *                               cg_consent_projection_ready metric (otherwise the bench waits for it)
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const processes = require('./lib/processes');
const db = require('./lib/db');
const { seed } = require('./lib/seed');
const { runIntake, measureBarePost } = require('./intake');
const { runSustained } = require('./sustained');
const { runFlood } = require('./flood');
const { runBacklog } = require('./backlog');
const { runCheck } = require('./check');
const { runStopLatency } = require('./stop-latency');
const { runPropagationLatency } = require('./propagation-latency');
const { runRateLimit } = require('./rate-limit');
const { runBackfill } = require('./backfill');
const { runAudit } = require('./audit');
const consolePages = require('./console-pages');
const { runDbRestart } = require('./db-restart');
const { GATEWAY_ENV } = require('./lib/vendors');

const int = (name, fallback) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const settings = {
  seconds: int('BENCH_SECONDS', 10),
  connections: int('BENCH_CONNECTIONS', 50),
  checkConnections: int('BENCH_CHECK_CONNECTIONS', 64),
  subjects: int('BENCH_SUBJECTS', 100_000),
  unknownShare: Math.min(0.9, int('BENCH_UNKNOWN_SHARE', 0.05)),
  stopCount: int('BENCH_STOP_COUNT', 300),
  stopRate: int('BENCH_STOP_RATE', 50),
  only: new Set(
    (
      process.env.BENCH_ONLY ||
      'intake,sustained,check,stop,flood,backlog,vendors,ratelimit,backfill,audit,console,dbrestart'
    )
      .split(',')
      .map((s) => s.trim()),
  ),
  vendorRate: int('BENCH_VENDOR_RATE', 100),
  vendorLatencyMs: Number(process.env.BENCH_VENDOR_LATENCY_MS ?? 50),
  hubspotLimit: { max: int('BENCH_HUBSPOT_MAX', 190), windowMs: int('BENCH_HUBSPOT_WINDOW_MS', 10_000) },
  webhookLimit: { max: int('BENCH_WEBHOOK_MAX', 200), windowMs: 1000 },
  rlPhases: (process.env.BENCH_RL_PHASES || '50/1000@0,50/1000@50,100/10000@0').split(',').map((spec) => {
    const m = /^\s*(\d+)\/(\d+)@(\d+)\s*$/.exec(spec);
    if (!m) throw new Error(`BENCH_RL_PHASES: "${spec}" is not max/window_ms@latency_ms`);
    return { limit: { max: Number(m[1]), windowMs: Number(m[2]) }, latencyMs: Number(m[3]) };
  }),
  rlBacklog: process.env.BENCH_RL_BACKLOG ? int('BENCH_RL_BACKLOG', 0) : undefined,
  sustainSeconds: int('BENCH_SUSTAIN_SECONDS', 60),
  sustainTrialSeconds: int('BENCH_SUSTAIN_TRIAL_SECONDS', 8),
  sustainTrials: int('BENCH_SUSTAIN_TRIALS', 8),
  sustainKinds: (process.env.BENCH_SUSTAIN_KINDS || 'statuses,stops').split(',').map((s) => s.trim()),
  floodRate: process.env.BENCH_FLOOD_RATE ? int('BENCH_FLOOD_RATE', 0) : undefined,
  floodStopRate: int('BENCH_FLOOD_STOP_RATE', 3),
  floodSeconds: int('BENCH_FLOOD_SECONDS', 30),
  backlog: int('BENCH_BACKLOG', 1_000_000),
  backlogSeconds: int('BENCH_BACKLOG_SECONDS', 30),
  backlogJobs: process.env.BENCH_BACKLOG_JOBS === '1',
  backfillContacts: int('BENCH_BACKFILL_CONTACTS', 100_000),
  backfillLimit: {
    max: int('BENCH_BACKFILL_MAX', 1000),
    windowMs: int('BENCH_BACKFILL_WINDOW_MS', 10_000),
  },
  backfillLatencyMs: Number(process.env.BENCH_BACKFILL_LATENCY_MS ?? 0),
  backfillConsentShare: Number(process.env.BENCH_BACKFILL_CONSENT_SHARE ?? 0.5),
  auditConnections: int('BENCH_AUDIT_CONNECTIONS', 20),
  auditEntries: int('BENCH_AUDIT_ENTRIES', 50_000),
  console: {
    people: int('BENCH_CONSOLE_PEOPLE', 100_000),
    vendors: int('BENCH_CONSOLE_VENDORS', 50),
    deliveries: int('BENCH_CONSOLE_DELIVERIES', 1_000_000),
    auditEntries: int('BENCH_CONSOLE_AUDIT', 50_000),
    rounds: int('BENCH_CONSOLE_ROUNDS', 20),
  },
};

const log = (line) => process.stdout.write(`${line}\n`);
/** Status rate of the flood when neither the sustained group ran nor BENCH_FLOOD_RATE is set. */
const FLOOD_FALLBACK_RATE = 300;
const tmpDirs = [];

function secrets() {
  return {
    apiKey: `bench-${randomBytes(16).toString('hex')}`,
    appSecret: randomBytes(24).toString('hex'),
    verifyToken: randomBytes(16).toString('hex'),
    encryptionKey: randomBytes(32).toString('base64'),
    blindIndexKey: randomBytes(32).toString('base64'),
  };
}

/** Runs one benchmark group when selected; a failure is reported in the summary, not thrown. */
async function group(results, key, enabled, run) {
  if (!enabled) return undefined;
  try {
    return await run();
  } catch (error) {
    results.failures[key] = error.message.split('\n')[0];
    log(`${key} failed: ${error.stack}`);
    return undefined;
  }
}

async function withGateway(label, fn, extraEnv = {}) {
  const database = await db.createDatabase(label);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cg-bench-${label}-`));
  tmpDirs.push(dataDir);
  const keys = secrets();
  let gateway = null;
  try {
    const t = Date.now();
    gateway = await processes.startGateway({ databaseUrl: database.url, dataDir, secrets: keys, extraEnv });
    log(
      `[${label}] gateway pid ${gateway.pid} on ${gateway.base}, database ${database.name} (ready in ${Date.now() - t} ms)`,
    );
    // `whileDown` runs between the stop and the start (e.g. filling tables the gateway must not see filling).
    const restart = async (whileDown) => {
      await processes.stop(gateway);
      gateway = null;
      if (whileDown) await whileDown();
      const t2 = Date.now();
      gateway = await processes.startGateway({ databaseUrl: database.url, dataDir, secrets: keys, extraEnv });
      log(
        `[${label}] gateway restarted, pid ${gateway.pid} on ${gateway.base} (ready in ${Date.now() - t2} ms)`,
      );
      return gateway;
    };
    return await fn({ gateway, database, secrets: keys, restart });
  } catch (error) {
    if (gateway) log(`[${label}] last gateway output:\n${gateway.lines.slice(-40).join('\n')}`);
    throw error;
  } finally {
    await processes.stop(gateway);
    // BENCH_KEEP_DATABASES=1 leaves the seeded database for EXPLAIN (its name is in the log); drop it by hand.
    if (process.env.BENCH_KEEP_DATABASES === '1') db.forget(database.name);
    else await db.dropDatabase(database.name);
  }
}

/**
 * Waits until the gateway says its consent projection is in memory (cg_consent_projection_ready 1 on
 * /metrics), so that the check measures answers from memory, not the load; at most 180 s. A build without
 * that metric gets the fixed BENCH_BOOT_SETTLE_MS pause instead.
 */
async function waitForProjection(gateway, apiKey) {
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const res = await fetch(`${gateway.base}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = res.ok ? await res.text() : '';
    if (/^cg_consent_projection_ready 1$/m.test(text)) {
      log(`[ledger] projection in memory ${Date.now() - started} ms after the restart`);
      return;
    }
    if (res.ok && !/cg_consent_projection_ready/.test(text)) break;
    await processes.sleep(250);
  }
  await processes.sleep(int('BENCH_BOOT_SETTLE_MS', 3000));
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const SUSTAIN_GOALS = { statuses: 0.15, stops: 0.05 };

/** Every goal of the benchmark (issue 12 and earlier ones) with its measured value, PASS or MISS. */
function goals(results) {
  const ratio = (name, r, goal) => ({
    name,
    value: r === undefined ? undefined : fmt(r, 3),
    pass: r >= goal,
    goal: `≥ ${goal}`,
  });
  const out = [
    ratio('intake, API role / bare POST', results.intakeApi?.ratio, 0.5),
    ratio('intake, API+worker / bare POST', results.intake?.ratio, 0.35),
    ratio('check at 100k people / bare GET', results.check?.ratio, 0.7),
  ];
  for (const kind of ['statuses', 'stops']) {
    const s = results.sustained?.[kind];
    const r = s ? s.rate / results.sustained.bare.rps : undefined;
    out.push({
      ...ratio(`sustained ${kind}, keeping pace / bare POST`, r, SUSTAIN_GOALS[kind]),
      pass: s !== undefined && s.keeps && r >= SUSTAIN_GOALS[kind],
    });
  }
  const flood = results.flood?.latency;
  out.push({
    name: 'STOP → check allowed:false under flood, p99',
    value: flood ? `${fmt(flood.p99)} ms` : undefined,
    pass:
      flood !== undefined && flood.n > 0 && results.flood.seen === results.flood.acked && flood.p99 < 1000,
    goal: '< 1000 ms (every STOP seen)',
  });
  const v = results.vendors?.ackToAll;
  out.push({
    name: 'STOP → all three vendors, p99',
    value: v ? `${fmt(v.p99)} ms` : undefined,
    pass: v !== undefined && v.p99 < 1000,
    goal: '< 1000 ms',
  });
  for (const p of results.ratelimit?.phases ?? []) {
    out.push(
      ratio(
        `ratelimit ${p.limit.max}/${p.limit.windowMs / 1000} s @ ${p.latencyMs} ms, share of limit`,
        p.fraction,
        0.9,
      ),
    );
  }
  return out;
}

function summary(results) {
  const lines = ['', '================ summary ================'];
  if (results.intake) {
    const { intake, bare, ratio } = results.intake;
    lines.push(
      `intake      : ${fmt(intake.rps)} req/s p50 ${intake.p50}ms p99 ${intake.p99}ms non-2xx ${intake.non2xx} | ` +
        `bare ${fmt(bare.rps)} req/s p50 ${bare.p50}ms p99 ${bare.p99}ms non-2xx ${bare.non2xx} | ` +
        `ratio ${fmt(ratio, 2)} (API+worker in one process; goal ≥ 0.35)`,
    );
  }
  if (results.intakeApi) {
    const { intake, bare, ratio } = results.intakeApi;
    lines.push(
      `intake api  : ${fmt(intake.rps)} req/s p50 ${intake.p50}ms p99 ${intake.p99}ms non-2xx ${intake.non2xx} | ` +
        `bare ${fmt(bare.rps)} req/s | ratio ${fmt(ratio, 2)} (GATEWAY_ROLES=api; workers elsewhere; goal ≥ 0.5)`,
    );
  }
  if (results.check) {
    const { cold, hot, bare, ratio, hotRatio } = results.check;
    lines.push(
      `check       : ${fmt(cold.rps)} req/s p50 ${cold.p50}ms p99 ${cold.p99}ms non-2xx ${cold.non2xx} ` +
        `(${cold.distinctPhones} distinct phones) | bare ${fmt(bare.rps)} req/s p99 ${bare.p99}ms | ` +
        `ratio ${fmt(ratio, 2)} (goal ≥ 0.7)`,
    );
    lines.push(
      `check cached: ${fmt(hot.rps)} req/s p50 ${hot.p50}ms p99 ${hot.p99}ms non-2xx ${hot.non2xx} | ` +
        `ratio ${fmt(hotRatio, 2)}`,
    );
  }
  if (results.stop) {
    const s = results.stop;
    lines.push(
      `stop→ledger : p50 ${fmt(s.ackToLedger.p50, 1)} ms p99 ${fmt(s.ackToLedger.p99, 1)} ms ` +
        `max ${fmt(s.ackToLedger.max, 1)} ms (${s.recorded}/${s.sent} recorded, ${fmt(s.achievedRate, 1)}/s; ` +
        `ack p99 ${fmt(s.ack.p99, 1)} ms)`,
    );
  }
  for (const kind of ['statuses', 'stops']) {
    const s = results.sustained?.[kind];
    if (!s) continue;
    const c = s.confirmed;
    lines.push(
      `sustained   : ${kind.padEnd(8)} ${c.keeps ? '' : 'NOT keeping pace at '}${s.rate}/s for ${fmt(c.seconds)} s ` +
        `= ${fmt(s.rate / results.sustained.bare.rps, 3)} of bare POST ${fmt(results.sustained.bare.rps)} req/s ` +
        `(goal ≥ ${SUSTAIN_GOALS[kind]}) | ack→processed p50 ${fmt(c.latency.p50)} ms p99 ${fmt(c.latency.p99)} ms ` +
        `max ${fmt(c.latency.max)} ms (n=${c.latency.n}) | backlog at end ${c.backlog}, processed ` +
        `${fmt((100 * c.processed) / Math.max(1, c.ok), 1)}% | drain with nothing incoming ${fmt(s.drainRate)}/s`,
    );
  }
  if (results.flood) {
    const f = results.flood;
    lines.push(
      `flood       : STOP 200 → check allowed:false p50 ${fmt(f.latency.p50)} ms p99 ${fmt(f.latency.p99)} ms ` +
        `max ${fmt(f.latency.max)} ms (n=${f.latency.n} of ${f.acked} STOPs; goal p99 < 1000) while statuses ` +
        `streamed at ${f.statusRate}/s (${f.rateFrom}; ${f.flood.ok}/${f.flood.sent} acknowledged, behind ${f.flood.behind})`,
    );
  }
  if (results.backlog) {
    const b = results.backlog;
    lines.push(
      `backlog     : ${b.rows} webhooks in the inbox: gateway RSS at start ${fmt(b.startRssMb)} MB, peak ` +
        `${fmt(b.peakRssMb)} MB (VmHWM ${fmt(b.hwmMb)} MB) over ${fmt(b.seconds)} s draining ${fmt(b.drainRate)}/s ` +
        `(${b.pendingAtStart} → ${b.pendingAtEnd} pending${b.jobs ? ', pg-boss jobs inserted' : ''}) | meanwhile checks ` +
        `p99 ${fmt(b.check.p99)} ms, webhooks p99 ${fmt(b.webhook.p99)} ms`,
    );
  }
  if (results.vendors) {
    const s = results.vendors;
    lines.push(
      `stop→vendors: p50 ${fmt(s.ackToAll.p50)} ms p99 ${fmt(s.ackToAll.p99)} ms max ${fmt(s.ackToAll.max)} ms ` +
        `(goal p99 < 1000) | ${s.completed}/${s.sent} completed at all three, ${fmt(s.achievedRate, 1)} STOPs/s, ` +
        `vendor latency ${s.latencyMs} ms, HubSpot ${s.hubspotLimit.max}/${s.hubspotLimit.windowMs / 1000} s, ` +
        `webhook ${s.webhookLimit.max}/s | poll-seen p99 ${fmt(s.ackToPoll.p99)} ms | ` +
        `200→ledger p99 ${fmt(s.ackToLedger.p99)} ms (${fmt(s.ledgerRate, 1)}/s), ledger→all three p99 ${fmt(s.ledgerToAll.p99)} ms`,
    );
  }
  for (const p of results.ratelimit?.phases ?? []) {
    lines.push(
      `ratelimit   : ${p.limit.max}/${p.limit.windowMs / 1000} s @ ${p.latencyMs} ms: ${fmt(p.callsPerSecond, 1)} calls/s of ${fmt(p.limitPerSecond, 1)}/s ` +
        `= ${fmt(p.fraction, 2)} (goal ≥ 0.9), 429s ${p.calls429}/${p.calls} = ${fmt(p.share429 * 100, 2)}% (goal < 1%), ` +
        `${fmt(p.deliveriesPerSecond)} deliveries/s (${fmt(p.perCall, 0)}/call) over ${fmt(p.windowSeconds, 1)} s`,
    );
  }
  if (results.backfill) {
    const b = results.backfill;
    lines.push(
      `backfill    : ${b.contacts} contacts in ${fmt(b.seconds, 1)} s = ${fmt(b.contactsPerSecond)} contacts/s, ` +
        `${fmt(b.pagesPerSecond, 1)} pages/s, ${fmt(b.callsPerSecond, 1)} calls/s of ${fmt(b.ceilingPagesPerSecond)}/s ` +
        `= ${fmt(b.fraction, 2)} of the ceiling (limit ${b.limit.max}/${b.limit.windowMs / 1000} s), ` +
        `429s ${b.calls429}; gateway peak RSS ${fmt(b.memory.peakRssMb)} MB (VmHWM ${fmt(b.memory.hwmMb)} MB, ` +
        `${fmt(b.memory.beforeMb)} MB before)`,
    );
  }
  if (results.audit) {
    const { writes, reads, fullVerifyMs, keyed } = results.audit;
    lines.push(
      `audit writes: ${fmt(writes.rps)} req/s p50 ${writes.p50}ms p99 ${writes.p99}ms non-2xx ${writes.non2xx} ` +
        `(${writes.connections} clients, POST /v1/vendors; ${keyed ? 'keyed chain' : 'legacy lock'} build)`,
    );
    lines.push(
      `audit reads : GET /v1/audit at ${reads.entries} entries p50 ${fmt(reads.p50, 1)} ms p99 ${fmt(reads.p99, 1)} ms; ` +
        `10 at once ${fmt(reads.tenParallelMs)} ms; first after the fill ${fmt(reads.firstMs)} ms` +
        (fullVerifyMs === null ? '' : `; full verification ${fmt(fullVerifyMs)} ms`),
    );
  }
  if (results.console) lines.push(...consolePages.summaryLines(results.console));
  if (results.dbrestart) {
    const { rounds, median, max, downMs } = results.dbrestart;
    lines.push(
      `dbrestart   : first 200 after the database is back: median ${fmt(median)} ms, max ${fmt(max)} ms ` +
        `(${rounds.map((ms) => fmt(ms)).join(', ')}; down ${downMs} ms each)`,
    );
  }
  for (const [name, error] of Object.entries(results.failures))
    lines.push(`${name.padEnd(12)}: FAILED — ${error}`);
  lines.push('', '---------------- goals ----------------');
  for (const g of goals(results)) {
    const verdict = g.value === undefined ? 'NOT RUN' : g.pass ? 'PASS' : 'MISS';
    lines.push(
      `${verdict.padEnd(8)} ${g.name.padEnd(44)} ${g.value === undefined ? '' : g.value.padEnd(12)} goal ${g.goal}`,
    );
  }
  const baselines = [];
  if (results.intake)
    baselines.push(`bare POST ${fmt(results.intake.bare.rps)} req/s p99 ${results.intake.bare.p99} ms`);
  else if (results.sustained) baselines.push(`bare POST ${fmt(results.sustained.bare.rps)} req/s`);
  if (results.check)
    baselines.push(`bare GET ${fmt(results.check.bare.rps)} req/s p99 ${results.check.bare.p99} ms`);
  if (baselines.length) lines.push(`baselines (this run): ${baselines.join(', ')}`);
  lines.push(
    `durations: ${Object.entries(results.durations)
      .map(([k, v]) => `${k} ${fmt(v)} s`)
      .join(', ')}`,
  );
  lines.push(
    `(${os.cpus().length} cores, node ${process.version}; load generator, gateway, baseline and PostgreSQL share the machine)`,
  );
  return lines.join('\n');
}

/** The bare Fastify POST baseline of this run: the intake group's, or measured now if intake did not run. */
async function barePost(ctx) {
  if (ctx.results.intake?.bare) return ctx.results.intake.bare;
  ctx.barePost ??= await measureBarePost({
    bare: ctx.bare,
    seconds: settings.seconds,
    connections: settings.connections,
    log,
  });
  return ctx.barePost;
}

/**
 * The groups, in the order they run. Each has the names BENCH_ONLY selects it by (`names`) and a `run(ctx,
 * selected)` that stores what it measured in ctx.results (a failure is caught per group and reported in the
 * summary). A new group is one more entry here, plus its lines in summary().
 */
const GROUPS = [
  {
    names: ['intake'],
    async run(ctx) {
      const { results } = ctx;
      results.intake = await group(results, 'intake', true, () =>
        withGateway('intake', ({ gateway, database, secrets: keys }) =>
          runIntake({
            gateway,
            bare: ctx.bare,
            databaseUrl: database.url,
            secrets: keys,
            seconds: settings.seconds,
            connections: settings.connections,
            log,
          }),
        ),
      );
      // The same load against an API-only process (GATEWAY_ROLES=api): what the acknowledging tier
      // sustains when workers run elsewhere, as the design scales them.
      results.intakeApi = await group(results, 'intakeApi', true, () =>
        withGateway(
          'intake_api',
          ({ gateway, database, secrets: keys }) =>
            runIntake({
              gateway,
              bare: ctx.bare,
              databaseUrl: database.url,
              secrets: keys,
              seconds: settings.seconds,
              connections: settings.connections,
              log,
              apiOnly: true,
            }),
          { GATEWAY_ROLES: 'api' },
        ),
      );
    },
  },
  {
    names: ['sustained'],
    async run(ctx) {
      const { results } = ctx;
      results.sustained = await group(results, 'sustained', true, async () => {
        const bare = await barePost(ctx);
        const out = await withGateway('sustained', ({ gateway, database, secrets: keys }) =>
          runSustained({
            gateway,
            databaseUrl: database.url,
            secrets: keys,
            seconds: settings.sustainSeconds,
            trialSeconds: settings.sustainTrialSeconds,
            trials: settings.sustainTrials,
            kinds: settings.sustainKinds,
            log,
          }),
        );
        return { ...out, bare };
      });
    },
  },
  {
    // One seeded ledger (BENCH_SUBJECTS people) for the check, the STOP → ledger latency and the flood.
    names: ['check', 'stop', 'flood'],
    async run(ctx, selected) {
      const { results } = ctx;
      await group(results, 'ledger', true, () =>
        withGateway('ledger', async ({ database, secrets: keys, restart }) => {
          log(`[ledger] seeding ${settings.subjects} people…`);
          const seeded = await seed({
            databaseUrl: database.url,
            secrets: keys,
            count: settings.subjects,
            log: () => {},
          });
          log(`[ledger] seeded ${settings.subjects} people in ${seeded.seconds.toFixed(1)} s`);
          // The gateway is started again on the seeded ledger, as it would be in production (it first ran
          // to create the schema); it loads what it needs at boot, so wait a moment for that.
          const gateway = await restart();
          await waitForProjection(gateway, keys.apiKey);
          for (const line of gateway.lines.filter((l) => /projection/.test(l)))
            log(`[ledger] gateway: ${line}`);
          if (selected.has('check')) {
            results.check = await group(results, 'check', true, () =>
              runCheck({
                gateway,
                bare: ctx.bare,
                secrets: keys,
                subjects: settings.subjects,
                seconds: settings.seconds,
                connections: settings.checkConnections,
                unknownShare: settings.unknownShare,
                log,
              }),
            );
          }
          if (selected.has('stop')) {
            await processes.sleep(1000);
            results.stop = await group(results, 'stop', true, () =>
              runStopLatency({
                gateway,
                databaseUrl: database.url,
                secrets: keys,
                people: seeded.subjects,
                count: settings.stopCount,
                rate: settings.stopRate,
                log,
              }),
            );
          }
          if (selected.has('flood')) {
            await processes.sleep(1000);
            const sustainedRate = results.sustained?.statuses?.rate;
            const statusRate =
              settings.floodRate ?? (sustainedRate ? Math.round(sustainedRate * 0.8) : FLOOD_FALLBACK_RATE);
            results.flood = await group(results, 'flood', true, async () => ({
              ...(await runFlood({
                gateway,
                databaseUrl: database.url,
                secrets: keys,
                people: seeded.subjects,
                subjects: settings.subjects,
                statusRate,
                stopRate: settings.floodStopRate,
                seconds: settings.floodSeconds,
                log,
              })),
              rateFrom: settings.floodRate
                ? 'BENCH_FLOOD_RATE'
                : sustainedRate
                  ? results.sustained.statuses.keeps
                    ? '80% of sustained statuses'
                    : '80% of the last sustained status rate tried, which did not keep pace'
                  : `fallback ${FLOOD_FALLBACK_RATE}/s (sustained not run)`,
            }));
          }
        }),
      );
    },
  },
  {
    names: ['backlog'],
    async run(ctx) {
      const { results } = ctx;
      results.backlog = await group(results, 'backlog', true, () =>
        withGateway('backlog', ({ database, secrets: keys, restart }) =>
          runBacklog({
            databaseUrl: database.url,
            secrets: keys,
            restart,
            count: settings.backlog,
            seconds: settings.backlogSeconds,
            jobs: settings.backlogJobs,
            log,
          }),
        ),
      );
    },
  },
  {
    names: ['vendors'],
    async run({ results }) {
      results.vendors = await group(results, 'vendors', true, () =>
        withGateway(
          'vendors',
          ({ gateway, database, secrets: keys }) =>
            runPropagationLatency({
              gateway,
              databaseUrl: database.url,
              secrets: keys,
              rate: settings.vendorRate,
              seconds: settings.seconds,
              latencyMs: settings.vendorLatencyMs,
              hubspotLimit: settings.hubspotLimit,
              webhookLimit: settings.webhookLimit,
              log,
            }),
          GATEWAY_ENV,
        ),
      );
    },
  },
  {
    names: ['ratelimit'],
    async run({ results }) {
      results.ratelimit = await group(results, 'ratelimit', true, () =>
        withGateway(
          'ratelimit',
          ({ gateway, database, secrets: keys }) =>
            runRateLimit({
              gateway,
              databaseUrl: database.url,
              secrets: keys,
              phases: settings.rlPhases,
              backlog: settings.rlBacklog,
              seconds: settings.seconds,
              log,
            }),
          GATEWAY_ENV,
        ),
      );
    },
  },
  {
    names: ['backfill'],
    async run({ results }) {
      results.backfill = await group(results, 'backfill', true, () =>
        withGateway(
          'backfill',
          ({ gateway, database, secrets: keys }) =>
            runBackfill({
              gateway,
              databaseUrl: database.url,
              secrets: keys,
              contacts: settings.backfillContacts,
              limit: settings.backfillLimit,
              latencyMs: settings.backfillLatencyMs,
              consentShare: settings.backfillConsentShare,
              log,
            }),
          GATEWAY_ENV,
        ),
      );
    },
  },
  {
    names: ['audit'],
    async run({ results }) {
      results.audit = await group(results, 'audit', true, () =>
        withGateway('audit', ({ gateway, database, secrets: keys }) =>
          runAudit({
            gateway,
            databaseUrl: database.url,
            secrets: keys,
            seconds: settings.seconds,
            connections: settings.auditConnections,
            entries: settings.auditEntries,
            log,
          }),
        ),
      );
    },
  },
  {
    names: ['console'],
    async run({ results, bare }) {
      results.console = await group(results, 'console', true, () =>
        withGateway(
          'console',
          ({ gateway, database, secrets: keys }) =>
            consolePages.runConsolePages({
              gateway,
              bare,
              databaseUrl: database.url,
              secrets: keys,
              ...settings.console,
              log,
            }),
          GATEWAY_ENV,
        ),
      );
    },
  },
  {
    names: ['dbrestart'],
    async run({ results }) {
      results.dbrestart = await group(results, 'dbrestart', true, () =>
        runDbRestart({ secrets: secrets(), log }),
      );
    },
  },
];

async function main() {
  if (!fs.existsSync(path.join(processes.GATEWAY_DIR, 'dist', 'main.js'))) {
    throw new Error(
      `${processes.GATEWAY_DIR}/dist/main.js is missing: run \`npm run build\` first (npm run bench does)`,
    );
  }
  const known = new Set(GROUPS.flatMap((g) => g.names));
  const unknown = [...settings.only].filter((name) => !known.has(name));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown group(s) ${unknown.join(', ')}`);
  log(
    `Consent Gateway benchmark — ${JSON.stringify({ ...settings, only: [...settings.only], gateway: processes.GATEWAY_DIR })}`,
  );
  const results = { failures: {}, durations: {} };
  const bare = await processes.startBare(3 * 1024 * 1024);
  log(`bare fastify pid ${bare.pid} on ${bare.base}`);
  const ctx = { results, bare };
  try {
    for (const g of GROUPS) {
      const selected = new Set(g.names.filter((name) => settings.only.has(name)));
      if (!selected.size) continue;
      const t = Date.now();
      log(`── ${[...selected].join(', ')} (${new Date(t).toISOString().slice(11, 19)} UTC)`);
      await g.run(ctx, selected);
      results.durations[[...selected].join('+')] = (Date.now() - t) / 1000;
    }
  } finally {
    await processes.stop(bare);
  }
  log(summary(results));
}

let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    await processes.stopAll();
    await db.dropAll();
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`\n${signal}: stopping children and dropping databases`);
    cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', processes.killAllSync);

main()
  .then(cleanup)
  .then(() => process.exit(0))
  .catch(async (error) => {
    process.stderr.write(`benchmark could not run: ${error.stack || error}\n`);
    await cleanup().catch(() => undefined);
    process.exit(1);
  });
