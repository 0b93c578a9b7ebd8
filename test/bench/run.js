'use strict';
/**
 * `npm run bench` (after `npm run build`): the gateway as `node dist/main.js` on fresh databases, against a
 * bare Fastify baseline, both in child processes; load from autocannon in this process.
 *
 *   1. intake       signed all-different webhooks, POST /webhooks/whatsapp vs POST /bare
 *   2. check        GET /v1/consents/check over a 100k-person seeded ledger vs GET /bare
 *   3. stop→ledger  STOP acknowledged → its withdrawal visible in the ledger
 *   4. vendors      STOP acknowledged → its deliveries to HubSpot, Salesforce and a webhook all succeeded
 *   5. ratelimit    vendor calls/s against a rate-limited HubSpot, as a fraction of its limit, and 429s
 *   6. backfill     importing 100k HubSpot contacts, as a fraction of the rate-limit ceiling; peak RSS
 *   7. audit        audited writes (POST /v1/vendors) from 20 clients; GET /v1/audit at 50,000 entries
 *   8. console      every console page's API calls at 100k people, 50 vendors, 1M deliveries vs GET /bare
 *   9. dbrestart    database restarted under the gateway → first webhook answered 200 again (own PostgreSQL)
 *   (4-6 run the vendor simulators of sandbox/, compiled to dist-sandbox/, in this process)
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
 *   BENCH_ONLY=intake,check,stop,vendors,ratelimit,backfill,audit,console,dbrestart  run a subset (stop needs the check's seeded
 *                               ledger; it seeds if alone)
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
 *   BENCH_BOOT_SETTLE_MS=3000   pause after the gateway restarts on the seeded ledger (its in-memory load)
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const processes = require('./lib/processes');
const db = require('./lib/db');
const { seed } = require('./lib/seed');
const { runIntake } = require('./intake');
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
    (process.env.BENCH_ONLY || 'intake,check,stop,vendors,ratelimit,backfill,audit,console,dbrestart')
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
    const restart = async () => {
      await processes.stop(gateway);
      gateway = null;
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

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function summary(results) {
  const lines = ['', '================ summary ================'];
  if (results.intake) {
    const { intake, bare, ratio } = results.intake;
    lines.push(
      `intake      : ${fmt(intake.rps)} req/s p50 ${intake.p50}ms p99 ${intake.p99}ms non-2xx ${intake.non2xx} | ` +
        `bare ${fmt(bare.rps)} req/s p50 ${bare.p50}ms p99 ${bare.p99}ms non-2xx ${bare.non2xx} | ` +
        `ratio ${fmt(ratio, 2)} (goal ≥ 0.5)`,
    );
  }
  if (results.intakeApi) {
    const { intake, bare, ratio } = results.intakeApi;
    lines.push(
      `intake api  : ${fmt(intake.rps)} req/s p50 ${intake.p50}ms p99 ${intake.p99}ms non-2xx ${intake.non2xx} | ` +
        `bare ${fmt(bare.rps)} req/s | ratio ${fmt(ratio, 2)} (GATEWAY_ROLES=api; workers elsewhere)`,
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
  lines.push(
    `(${os.cpus().length} cores, node ${process.version}; load generator, gateway, baseline and PostgreSQL share the machine)`,
  );
  return lines.join('\n');
}

async function main() {
  if (!fs.existsSync(path.join(processes.ROOT, 'dist', 'main.js'))) {
    throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does)');
  }
  log(`Consent Gateway benchmark — ${JSON.stringify({ ...settings, only: [...settings.only] })}`);
  const results = { failures: {} };
  const bare = await processes.startBare(3 * 1024 * 1024);
  log(`bare fastify pid ${bare.pid} on ${bare.base}`);
  try {
    results.intake = await group(results, 'intake', settings.only.has('intake'), () =>
      withGateway('intake', ({ gateway, database, secrets: keys }) =>
        runIntake({
          gateway,
          bare,
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
    results.intakeApi = await group(results, 'intakeApi', settings.only.has('intake'), () =>
      withGateway(
        'intake_api',
        ({ gateway, database, secrets: keys }) =>
          runIntake({
            gateway,
            bare,
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
    if (settings.only.has('check') || settings.only.has('stop')) {
      try {
        await withGateway('ledger', async ({ gateway: first, database, secrets: keys, restart }) => {
          let gateway = first;
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
          gateway = await restart();
          await processes.sleep(int('BENCH_BOOT_SETTLE_MS', 3000));
          for (const line of gateway.lines.filter((l) => /projection/.test(l)))
            log(`[ledger] gateway: ${line}`);
          if (settings.only.has('check')) {
            try {
              results.check = await runCheck({
                gateway,
                bare,
                secrets: keys,
                subjects: settings.subjects,
                seconds: settings.seconds,
                connections: settings.checkConnections,
                unknownShare: settings.unknownShare,
                log,
              });
            } catch (error) {
              results.failures.check = error.message.split('\n')[0];
              log(`check failed: ${error.stack}`);
            }
          }
          if (settings.only.has('stop')) {
            try {
              await processes.sleep(1000);
              results.stop = await runStopLatency({
                gateway,
                databaseUrl: database.url,
                secrets: keys,
                people: seeded.subjects,
                count: settings.stopCount,
                rate: settings.stopRate,
                log,
              });
            } catch (error) {
              results.failures.stop = error.message.split('\n')[0];
              log(`stop→ledger failed: ${error.stack}`);
            }
          }
        });
      } catch (error) {
        results.failures.ledger = error.message.split('\n')[0];
        log(`ledger setup failed: ${error.stack}`);
      }
    }
    results.vendors = await group(results, 'vendors', settings.only.has('vendors'), () =>
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
    results.ratelimit = await group(results, 'ratelimit', settings.only.has('ratelimit'), () =>
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
    results.backfill = await group(results, 'backfill', settings.only.has('backfill'), () =>
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
    results.audit = await group(results, 'audit', settings.only.has('audit'), () =>
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
    results.console = await group(results, 'console', settings.only.has('console'), () =>
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
    results.dbrestart = await group(results, 'dbrestart', settings.only.has('dbrestart'), () =>
      runDbRestart({ secrets: secrets(), log }),
    );
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
