'use strict';
/**
 * 6. Backfill of a HubSpot portal: `contacts` contacts seeded in the simulator (all with a WhatsApp phone;
 * a share `consentShare` carrying wa_marketing_consent OPTED_IN / OPTED_OUT, so that the import records
 * ledger events for them), the simulator's limit `limit` (and the connection's rate_limit the same), then
 * the connection made (which starts a backfill) and POST /v1/connections/:id/backfill (which returns the
 * running one), GET polled until it completes.
 *
 * Figures: contacts/s and pages/s (from the run's started_at/completed_at), vendor calls/s during the run
 * ÷ the rate-limit ceiling (limit per second; one page of ≤100 contacts per call), and the gateway
 * process's peak resident memory (VmRSS sampled every 200 ms, and the kernel's VmHWM).
 */
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const cpu = require('./lib/cpu');
const v = require('./lib/vendors');

async function runBackfill({ gateway, databaseUrl, secrets, contacts, limit, latencyMs, consentShare, log }) {
  const { HubSpotSimulator } = v.simulators();
  const hubspot = new HubSpotSimulator({
    clientId: v.CLIENT.id,
    clientSecret: v.CLIENT.secret,
    rateLimit: limit,
    latencyMs,
    dailyLimit: 10_000_000,
  });
  const api = v.apiClient(gateway, secrets.apiKey);
  const db = new Client({ connectionString: databaseUrl });
  try {
    const hubspotUrl = await hubspot.start();
    await db.connect();
    const withConsent = Math.round(contacts * consentShare);
    const capturedAt = new Date(Date.now() - 86_400_000).toISOString();
    const t = Date.now();
    hubspot.seedContacts({
      count: Math.ceil(withConsent / 2),
      whatsapp: true,
      properties: { wa_marketing_consent: 'OPTED_IN', wa_consent_updated_at: capturedAt },
    });
    hubspot.seedContacts({
      count: Math.floor(withConsent / 2),
      whatsapp: true,
      properties: { wa_marketing_consent: 'OPTED_OUT', wa_consent_updated_at: capturedAt },
    });
    hubspot.seedContacts({ count: contacts - withConsent, whatsapp: true });
    log(
      `[backfill] ${contacts} HubSpot contacts seeded in ${Date.now() - t} ms (${withConsent} with a consent value); ` +
        `simulator limit ${limit.max} per ${limit.windowMs} ms, latency ${latencyMs} ms`,
    );

    const memBefore = v.memoryOf(gateway.pid);
    const stopMemory = v.sampleMemory(gateway.pid, 200);
    const stopCpu = cpu.measure({ gateway: gateway.pid });
    const calls0 = { total: hubspot.state.callLog.total, r429: hubspot.state.callLog.rateLimited };
    const t0 = performance.now();
    // Connecting starts the backfill (src/modules/connectors/connection-admin.service.ts afterConnect);
    // POST …/backfill then answers with the run already going.
    const hs = await v.connectHubspot(api, {
      baseUrl: hubspotUrl,
      name: 'HubSpot (backfill)',
      rateLimit: limit,
    });
    const callsAfterSetup = hubspot.state.callLog.total - calls0.total;
    const started = await api(`/v1/connections/${hs.id}/backfill`, { method: 'POST', expect: 202 });
    log(
      `[backfill] connected (${callsAfterSetup} setup calls); backfill ${started.body.id} ${started.body.status}, ` +
        `${started.body.contacts_seen} contacts seen so far`,
    );
    let lastLog = 0;
    const run = await v.waitBackfill(api, hs.id, {
      timeoutMs: 1_800_000,
      everyMs: 250,
      onProgress: (r) => {
        if (r && Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          const m = v.memoryOf(gateway.pid);
          log(
            `[backfill]   ${r.contacts_seen} contacts, ${r.pages} pages, ${r.events_recorded} events ` +
              `(${((performance.now() - t0) / 1000).toFixed(0)} s; gateway RSS ${m.rssMb.toFixed(0)} MB)`,
          );
        }
      },
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpuResult = stopCpu();
    const memory = { ...stopMemory(), beforeMb: memBefore.rssMb };
    const calls = hubspot.state.callLog.total - calls0.total - callsAfterSetup;
    const calls429 = hubspot.state.callLog.rateLimited - calls0.r429;
    const seconds = (new Date(run.completed_at ?? run.updated_at) - new Date(run.started_at)) / 1000;
    const ceilingPagesPerSecond = limit.max / (limit.windowMs / 1000);
    const subjects = (await db.query(`SELECT count(*)::int AS n FROM subject`)).rows[0].n;
    const records = (await db.query(`SELECT count(*)::int AS n FROM connection_record`)).rows[0].n;
    const result = {
      status: run.status,
      lastError: run.last_error,
      contacts: run.contacts_seen,
      pages: run.pages,
      events: run.events_recorded,
      seconds,
      wallSeconds,
      contactsPerSecond: run.contacts_seen / seconds,
      pagesPerSecond: run.pages / seconds,
      calls,
      calls429,
      callsPerSecond: calls / seconds,
      ceilingPagesPerSecond,
      ceilingContactsPerSecond: ceilingPagesPerSecond * 100,
      fraction: calls / seconds / ceilingPagesPerSecond,
      limit,
      latencyMs,
      memory,
      subjects,
      records,
      cpu: cpuResult,
    };
    log(
      `[backfill] ${run.status}: ${run.contacts_seen} contacts, ${run.pages} pages, ${run.events_recorded} ledger events ` +
        `in ${seconds.toFixed(1)} s (run timestamps; ${wallSeconds.toFixed(1)} s from connect to seen completed)` +
        (run.last_error ? `; last_error ${run.last_error}` : ''),
    );
    log(
      `[backfill]   ${result.contactsPerSecond.toFixed(0)} contacts/s, ${result.pagesPerSecond.toFixed(1)} pages/s; ` +
        `${calls} list calls (${result.callsPerSecond.toFixed(1)}/s) of a ceiling of ${ceilingPagesPerSecond}/s ` +
        `(${result.ceilingContactsPerSecond} contacts/s) = ${result.fraction.toFixed(2)}; 429s ${calls429}`,
    );
    log(
      `[backfill]   gateway RSS before ${memBefore.rssMb.toFixed(0)} MB, peak sampled ${memory.peakRssMb.toFixed(0)} MB, ` +
        `VmHWM ${memory.hwmMb.toFixed(0)} MB (${memory.samples} samples); ${subjects} subjects, ${records} record ids`,
    );
    log(`[backfill]   ${cpu.format(cpuResult)}`);
    return result;
  } finally {
    await db.end().catch(() => undefined);
    await hubspot.stop().catch(() => undefined);
  }
}

module.exports = { runBackfill };
