'use strict';
/**
 * Helpers for the propagation benchmarks: the vendor simulators (compiled from sandbox/ to dist-sandbox/ by npm run build:sandbox,
 * run in this process), the gateway environment they need, connecting each vendor through the gateway's
 * API exactly as the e2e tests do, DPAs, backfill polling, memory sampling and latency statistics.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, GATEWAY_DIR, sleep } = require('./processes');

const dist = (p) => require(path.join(GATEWAY_DIR, 'dist', p));
const sandbox = (p) => require(path.join(ROOT, 'dist-sandbox', p));
const CLIENT = { id: 'sandbox-client-id', secret: 'sandbox-client-secret' };

/** Extra gateway environment: outbound calls to the local simulators, sandbox OAuth clients. */
const GATEWAY_ENV = {
  OUTBOUND_ALLOWLIST: '127.0.0.1:*',
  HUBSPOT_CLIENT_ID: CLIENT.id,
  HUBSPOT_CLIENT_SECRET: CLIENT.secret,
  SALESFORCE_CLIENT_ID: CLIENT.id,
  SALESFORCE_CLIENT_SECRET: CLIENT.secret,
  // PUBLIC_BASE_URL defaults to http://127.0.0.1:$PORT, the gateway's own URL (src/config/app-config.ts).
};

function simulators() {
  return {
    HubSpotSimulator: sandbox('hubspot/index.js').HubSpotSimulator,
    SalesforceSimulator: sandbox('salesforce/index.js').SalesforceSimulator,
    WebhookProcessorSimulator: sandbox('webhook-processor/index.js').WebhookProcessorSimulator,
  };
}

/**
 * The webhook processor simulator has no latency option: hold every request `ms` before it is handled
 * (its server calls `this.handle(req, res)` per request, so the instance method is wrapped).
 */
function delayProcessor(processor, ms) {
  const handle = processor.handle.bind(processor);
  processor.handle = async (req, res) => {
    if (ms > 0) await sleep(ms);
    return handle(req, res);
  };
}

/** An API client for one gateway with the bootstrap key. Throws on an unexpected status. */
function apiClient(gateway, apiKey) {
  const call = async (p, { method = 'GET', json, body: raw, contentType, expect, redirect } = {}) => {
    const headers = { authorization: `Bearer ${apiKey}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (contentType) headers['content-type'] = contentType;
    const res = await fetch(gateway.base + p, {
      method,
      headers,
      body: json !== undefined ? JSON.stringify(json) : raw,
      redirect: redirect ?? 'follow',
    });
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    const ok = expect ? [].concat(expect).includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 500)}`);
    return { status: res.status, body, headers: res.headers };
  };
  return call;
}

const today = () => new Date().toISOString().slice(0, 10);

/** The Art. 28(3) clauses a complete agreement confirms, and the smallest PDF the gateway accepts. */
const ALL_CLAUSES = Object.fromEntries(
  [
    'documented_instructions',
    'confidentiality',
    'security_measures',
    'sub_processor_conditions',
    'assists_with_dsr',
    'assists_with_32_36',
    'deletion_or_return',
    'audit_rights',
  ].map((c) => [c, true]),
);
const BENCH_PDF = Buffer.from('%PDF-1.7\n%%EOF\n');

/** The one-step form: the version's fields and its signed PDF in one multipart body. */
function dpaForm(fields) {
  const boundary = `----bench${Date.now()}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="dpa"\r\n\r\n${JSON.stringify(fields)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="bench-dpa.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    ),
    BENCH_PDF,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * A complete signed DPA (every clause, with its PDF) for the connection's vendor, when the registry
 * (POST /v1/vendors/:id/dpas) exists: without one, only withdrawals go out (the DPA gate). Returns what
 * happened, for the log.
 */
async function ensureDpa(api, connectionId) {
  const { body: connection } = await api(`/v1/connections/${connectionId}`);
  if (!connection.vendor_id) return 'no vendor_id on the connection; DPA skipped';
  const res = await api(`/v1/vendors/${connection.vendor_id}/dpas`, {
    method: 'POST',
    ...dpaForm({ status: 'signed', signed_at: today(), effective_from: today(), clauses: ALL_CLAUSES }),
    expect: [200, 201, 404, 409],
  });
  if (res.status === 404) return 'no DPA endpoint (404); skipped';
  if (res.status === 409) return `DPA not created (409 ${JSON.stringify(res.body).slice(0, 200)})`;
  return `DPA signed for vendor ${connection.vendor_name ?? connection.vendor_id}`;
}

async function connectHubspot(api, { baseUrl, name = 'HubSpot', rateLimit }) {
  const { body } = await api('/v1/connections', {
    method: 'POST',
    json: {
      type: 'hubspot',
      name,
      base_url: baseUrl,
      credentials: { access_token: 'pat-na1-sandbox' },
      ...(rateLimit ? { rate_limit: { max: rateLimit.max, window_ms: rateLimit.windowMs } } : {}),
    },
    expect: 201,
  });
  return body;
}

/** Salesforce by the OAuth web-server flow: gateway authorize → simulator consent screen → callback. */
async function connectSalesforce(api, { baseUrl, name = 'Salesforce' }) {
  const authorize = await api(
    `/v1/connections/oauth/salesforce/authorize?name=${encodeURIComponent(name)}&base_url=${encodeURIComponent(baseUrl)}`,
    { redirect: 'manual', expect: 302 },
  );
  const consent = await fetch(authorize.headers.get('location'), { redirect: 'manual' });
  if (consent.status !== 302) throw new Error(`salesforce consent screen: ${consent.status}`);
  const callback = await fetch(consent.headers.get('location'));
  if (callback.status !== 201)
    throw new Error(`salesforce callback: ${callback.status} ${await callback.text()}`);
  return callback.json();
}

async function connectWebhook(api, { url, name = 'Webhook processor', rateLimit }) {
  const { body } = await api('/v1/connections', {
    method: 'POST',
    json: {
      type: 'webhook',
      name,
      credentials: { url },
      ...(rateLimit ? { rate_limit: { max: rateLimit.max, window_ms: rateLimit.windowMs } } : {}),
    },
    expect: 201,
  });
  return body;
}

/** Polls GET /v1/connections/:id/backfill until the latest run is no longer running. */
async function waitBackfill(api, connectionId, { timeoutMs = 600_000, everyMs = 250, onProgress } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(`/v1/connections/${connectionId}/backfill`);
    const run = body.backfill;
    if (onProgress) onProgress(run);
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`backfill still running after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Resident memory of a process (kB → MB) from /proc: current (VmRSS) and peak since start (VmHWM). */
function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) || [])[1]);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, hwmMb: NaN };
  }
}

/** Samples a process's RSS every `everyMs`; stop() → { peakRssMb, hwmMb, samples }. */
function sampleMemory(pid, everyMs = 200) {
  let peak = 0;
  let samples = 0;
  const tick = () => {
    const m = memoryOf(pid);
    if (Number.isFinite(m.rssMb)) {
      peak = Math.max(peak, m.rssMb);
      samples++;
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => {
    clearInterval(timer);
    tick();
    return { peakRssMb: peak, hwmMb: memoryOf(pid).hwmMb, samples };
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function stats(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1],
    min: s[0],
  };
}

const fmtStats = (s) =>
  s.n === 0
    ? 'n/a'
    : `p50 ${s.p50.toFixed(0)} ms p90 ${s.p90.toFixed(0)} ms p99 ${s.p99.toFixed(0)} ms max ${s.max.toFixed(0)} ms (n=${s.n})`;

/** The crypto of the gateway (from dist/) for direct seeding: blind indexes and sealed values. */
function cryptoFor(secrets) {
  const { CryptoService } = dist('platform/crypto/crypto.service.js');
  const { IdentityService } = dist('modules/ledger/identity.service.js');
  const crypto = new CryptoService({
    crypto: {
      encryptionKey: Buffer.from(secrets.encryptionKey, 'base64'),
      previousEncryptionKeys: [],
      previousBlindIndexKeys: [],
      blindIndexKey: Buffer.from(secrets.blindIndexKey, 'base64'),
    },
  });
  return { crypto, identities: new IdentityService(crypto) };
}

module.exports = {
  CLIENT,
  GATEWAY_ENV,
  simulators,
  delayProcessor,
  apiClient,
  ensureDpa,
  connectHubspot,
  connectSalesforce,
  connectWebhook,
  waitBackfill,
  memoryOf,
  sampleMemory,
  stats,
  fmtStats,
  cryptoFor,
};
