'use strict';
/**
 * 4. STOP → all three vendors: HubSpot, Salesforce and a webhook processor, each answering after
 * `latencyMs`; signed typed STOPs at `rate` per second for `seconds`, from distinct people both CRMs
 * already hold (seeded in the simulators, imported by the connect-time backfills, so the gateway knows
 * their record ids). For each STOP: from its 200 to the moment the last of its three deliveries is
 * succeeded — delivery.completed_at (DB clock, same machine) minus the wall-clock ack time, cross-checked
 * with the time the poll (every `pollMs`) first saw all three succeeded.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const { sign, stopMessage } = require('./lib/webhooks');
const { sleep } = require('./lib/processes');
const { messageEventIds } = require('./lib/seed');
const v = require('./lib/vendors');

function post(agent, base, p, body, headers) {
  return new Promise((resolve, reject) => {
    const url = new URL(p, base);
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
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runPropagationLatency({
  gateway,
  databaseUrl,
  secrets,
  rate,
  seconds,
  latencyMs,
  hubspotLimit,
  webhookLimit,
  pollMs = 20,
  log,
}) {
  const { HubSpotSimulator, SalesforceSimulator, WebhookProcessorSimulator } = v.simulators();
  const count = Math.round(rate * seconds);
  const hubspot = new HubSpotSimulator({
    clientId: v.CLIENT.id,
    clientSecret: v.CLIENT.secret,
    latencyMs,
    rateLimit: hubspotLimit,
  });
  const salesforce = new SalesforceSimulator({
    clientId: v.CLIENT.id,
    clientSecret: v.CLIENT.secret,
    latencyMs,
    // Enough daily API calls for the run (a Developer Edition org's 15,000 would do as well).
    dailyLimit: 1_000_000,
  });
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  v.delayProcessor(processor, latencyMs);
  const api = v.apiClient(gateway, secrets.apiKey);
  const db = new Client({ connectionString: databaseUrl });
  let agent = null;
  try {
    const [hubspotUrl, salesforceUrl, processorUrl] = await Promise.all([
      hubspot.start(),
      salesforce.start(),
      processor.start(),
    ]);
    await db.connect();

    // The same people in both CRMs, by the phone WhatsApp will report.
    const seeded = hubspot.seedContacts({ count, whatsapp: true });
    const phones = Array.from({ length: count }, (_, i) =>
      HubSpotSimulator.seededPhone(Number(seeded.firstId) + i),
    );
    salesforce.seed({ contacts: phones.map((phone, i) => ({ LastName: `Bench ${i}`, MobilePhone: phone })) });

    const t0 = Date.now();
    const hs = await v.connectHubspot(api, { baseUrl: hubspotUrl, rateLimit: hubspotLimit });
    log(`[vendors]   ${await v.ensureDpa(api, hs.id)}`);
    const hsRun = await v.waitBackfill(api, hs.id);
    const sf = await v.connectSalesforce(api, { baseUrl: salesforceUrl });
    log(`[vendors]   ${await v.ensureDpa(api, sf.id)}`);
    const sfRun = await v.waitBackfill(api, sf.id);
    const wh = await v.connectWebhook(api, { url: `${processorUrl}/hooks`, rateLimit: webhookLimit });
    processor.useSecret(wh.signing_secret);
    log(`[vendors]   ${await v.ensureDpa(api, wh.id)}`);
    const { body: list } = await api('/v1/connections');
    const rl = (c) =>
      c.rate_limit ? `${c.rate_limit.max}/${c.rate_limit.window_ms ?? c.rate_limit.windowMs} ms` : '?';
    log(
      `[vendors] connected in ${Date.now() - t0} ms: ${list.connections.map((c) => `${c.type} (${rl(c)})`).join(', ')}; ` +
        `backfills: hubspot ${hsRun.status} ${hsRun.contacts_seen} contacts, salesforce ${sfRun.status} ${sfRun.contacts_seen} contacts`,
    );
    const known = await db.query(
      `SELECT c.type, count(*)::int AS n FROM connection_record r JOIN connection c ON c.id = r.connection_id GROUP BY c.type`,
    );
    log(`[vendors] record ids known: ${known.rows.map((r) => `${r.type} ${r.n}`).join(', ')}`);
    const callsBefore = { hubspot: hubspot.state.callLog.total, salesforce: salesforceCalls(salesforce) };

    const runTag = Date.now().toString(36);
    const items = phones.map((phone, k) => ({
      k,
      waId: phone.slice(1),
      wamid: `wamid.BENCHPROP${runTag}x${k}`,
      sentAt: NaN,
      ackAt: NaN,
      ackWall: NaN,
      status: null,
      subjectId: null,
      doneDbMs: NaN,
      donePolledAt: NaN,
    }));
    const eventIdOf = messageEventIds(secrets);
    for (const it of items) it.eventKey = eventIdOf(it.wamid);
    const byEventId = new Map(items.map((it) => [it.eventKey, it]));
    const bySubject = new Map();

    let polling = true;
    let polls = 0;
    const pollLoop = (async () => {
      while (polling) {
        const unmapped = items.filter((it) => Number.isFinite(it.ackAt) && !it.subjectId);
        if (unmapped.length) {
          const { rows } = await db.query(
            `SELECT source_event_id, subject_id, id, extract(epoch FROM recorded_at) * 1000 AS recorded_ms
               FROM consent_event WHERE source_event_id = ANY($1::text[])`,
            [unmapped.map((it) => it.eventKey)],
          );
          for (const r of rows) {
            const it = byEventId.get(r.source_event_id);
            it.subjectId = r.subject_id;
            it.eventId = r.id;
            it.recordedMs = Number(r.recorded_ms);
            bySubject.set(r.subject_id, it);
          }
        }
        const waiting = items.filter((it) => it.subjectId && !Number.isFinite(it.donePolledAt));
        if (waiting.length) {
          const { rows } = await db.query(
            `SELECT subject_id, extract(epoch FROM max(completed_at)) * 1000 AS done_ms
               FROM delivery WHERE subject_id = ANY($1::uuid[])
              GROUP BY subject_id HAVING count(*) FILTER (WHERE status = 'succeeded') = 3`,
            [waiting.map((it) => it.subjectId)],
          );
          const at = performance.now();
          for (const r of rows) {
            const it = bySubject.get(r.subject_id);
            it.doneDbMs = Number(r.done_ms);
            it.donePolledAt = at;
          }
        }
        polls++;
        await sleep(pollMs);
      }
    })();

    agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const interval = 1000 / rate;
    const stopCpu = cpu.measure({ gateway: gateway.pid });
    const started = performance.now();
    log(
      `[vendors] sending ${count} STOPs at ${rate}/s (vendor latency ${latencyMs} ms, poll every ${pollMs} ms)`,
    );
    await Promise.all(
      items.map(async (it) => {
        const wait = started + it.k * interval - performance.now();
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
      }),
    );
    const sendSeconds = (performance.now() - started) / 1000;
    const acked = items.filter((it) => it.status === 200);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !acked.every((it) => Number.isFinite(it.donePolledAt))) await sleep(50);
    const cpuResult = stopCpu();
    polling = false;
    await pollLoop;

    const outcome = await db.query(
      `SELECT c.type, d.status, count(*)::int AS n, round(avg(d.attempts), 2) AS attempts
         FROM delivery d JOIN connection c ON c.id = d.connection_id GROUP BY c.type, d.status ORDER BY 1, 2`,
    );
    const perVendor = await db.query(
      `SELECT c.type, extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY d.completed_at - e.recorded_at)) * 1000 AS p99_ms,
              extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY d.completed_at - e.recorded_at)) * 1000 AS p50_ms
         FROM delivery d JOIN connection c ON c.id = d.connection_id JOIN consent_event e ON e.id = d.trigger_event_id
        WHERE d.status = 'succeeded' AND e.source = 'whatsapp' GROUP BY c.type ORDER BY 1`,
    );
    const done = acked.filter((it) => Number.isFinite(it.donePolledAt));
    // How fast STOPs reached the ledger (intake → inbox worker → ledger + planner), first to last.
    const recorded = items.map((it) => it.recordedMs).filter(Number.isFinite);
    const ledgerRate = (recorded.length - 1) / ((Math.max(...recorded) - Math.min(...recorded)) / 1000);
    const result = {
      sent: items.length,
      acked: acked.length,
      completed: done.length,
      sendSeconds,
      achievedRate: items.length / sendSeconds,
      latencyMs,
      hubspotLimit,
      webhookLimit,
      ack: v.stats(items.map((it) => it.ackAt - it.sentAt)),
      ackToAll: v.stats(done.map((it) => it.doneDbMs - it.ackWall)),
      ackToPoll: v.stats(done.map((it) => it.donePolledAt - it.ackAt)),
      ackToLedger: v.stats(done.map((it) => it.recordedMs - it.ackWall)),
      ledgerToAll: v.stats(done.map((it) => it.doneDbMs - it.recordedMs)),
      ledgerRate,
      vendorCalls: {
        hubspot: hubspot.state.callLog.total - callsBefore.hubspot,
        hubspot429: hubspot.state.callLog.rateLimited,
        salesforce: salesforceCalls(salesforce) - callsBefore.salesforce,
        webhook: processor.attempts.length,
      },
      polls,
      cpu: cpuResult,
    };
    log(
      `[vendors] sent ${result.sent} in ${sendSeconds.toFixed(1)} s (${result.achievedRate.toFixed(1)}/s); ` +
        `200s ${result.acked}; all three succeeded for ${result.completed}`,
    );
    log(`[vendors]   request → 200                  : ${v.fmtStats(result.ack)}`);
    log(`[vendors]   200 → last delivery completed_at: ${v.fmtStats(result.ackToAll)}`);
    log(`[vendors]   200 → seen by the poll         : ${v.fmtStats(result.ackToPoll)}  (${polls} polls)`);
    log(
      `[vendors]   of which 200 → ledger recorded_at: ${v.fmtStats(result.ackToLedger)} ` +
        `(STOPs entered the ledger at ${ledgerRate.toFixed(1)}/s)`,
    );
    log(`[vendors]   and recorded_at → last completed : ${v.fmtStats(result.ledgerToAll)}`);
    for (const r of perVendor.rows)
      log(
        `[vendors]   ${r.type.padEnd(10)} ledger recorded_at → completed_at p50 ${Number(r.p50_ms).toFixed(0)} ms p99 ${Number(r.p99_ms).toFixed(0)} ms`,
      );
    log(
      `[vendors]   deliveries: ${outcome.rows.map((r) => `${r.type} ${r.status} ${r.n} (avg attempts ${r.attempts})`).join('; ')}`,
    );
    log(
      `[vendors]   vendor calls during the run: hubspot ${result.vendorCalls.hubspot} (429s in total ${result.vendorCalls.hubspot429}), ` +
        `salesforce ${result.vendorCalls.salesforce}, webhook ${result.vendorCalls.webhook}`,
    );
    log(`[vendors]   ${cpu.format(cpuResult)}`);
    return result;
  } finally {
    agent?.destroy();
    await db.end().catch(() => undefined);
    await Promise.all([hubspot.stop(), salesforce.stop(), processor.stop()]).catch(() => undefined);
  }
}

/** Salesforce API requests served so far (the simulator's apiUsage counter). */
function salesforceCalls(salesforce) {
  const s = salesforce.state;
  return s.apiUsage ?? NaN;
}

module.exports = { runPropagationLatency };
