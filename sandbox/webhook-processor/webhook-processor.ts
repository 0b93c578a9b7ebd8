/**
 * A local Standard Webhooks receiver ("a processor"): verifies `v1` signatures and the ±5 minute timestamp window,
 * records each message once (deduplicated by `webhook-id`), and can be told to fail (500, 429 + retry-after, 410,
 * hang) so the gateway's retry, throttling and endpoint-disabling paths can be tested. Plain `node:http`.
 *
 * Answers: 204 for a new message, 200 for a duplicate webhook-id, 401 for a bad signature or stale timestamp,
 * 400 for a body that is not JSON. Admin: GET /__admin/state, POST /__admin/faults, DELETE /__admin/faults,
 * POST /__admin/reset, POST /__admin/secret {secret} (the signing secret the gateway issued),
 * POST /__admin/confirmations {mode: auto|manual|never}, POST /__admin/erasures/{delivery_id}/confirm | /fail
 * {detail?}. A `subject.erasure_requested` event is recorded and confirmed by a signed callback to its confirm_url
 * (erasure-confirmations.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ErasureConfirmations,
  type ConfirmationMode,
  type ConfirmationOptions,
  type ErasureRecord,
} from './erasure-confirmations';
import {
  verifyStandardWebhook,
  type StandardWebhookFailure,
  type VerifyOptions,
} from './standard-webhooks-verifier';

export type WebhookFaultKind = '500' | '429' | '410' | '503' | 'timeout';

export interface WebhookFaultSpec {
  kind: WebhookFaultKind;
  /** How many deliveries the fault affects (default 1). */
  count?: number;
  /** For '429' and '503': the `retry-after` header, in seconds (default 30 for 429). */
  retryAfterSeconds?: number;
  /** For 'timeout': how long to hang before destroying the socket (default 60 s). */
  hangMs?: number;
}

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  /** The parsed JSON body. */
  payload: unknown;
  /** `payload.type`, when present. */
  type?: string;
  rawBody: string;
  path: string;
  headers: Record<string, string>;
  receivedAt: string;
  /** Deliveries of this webhook-id that were accepted (1 + duplicates). */
  deliveries: number;
}

export interface DeliveryAttempt {
  at: string;
  id?: string;
  status: number;
  outcome:
    'accepted' | 'duplicate' | 'fault' | StandardWebhookFailure | 'invalid_json' | 'method_not_allowed';
}

export interface WebhookProcessorOptions extends VerifyOptions {
  /** Also accept signatures made with these secrets (key rotation). */
  additionalSecrets?: string[];
  /** How erasure requests are confirmed (default 'auto'; switchable at runtime: POST /__admin/confirmations). */
  confirmations?: ConfirmationMode;
  /** Timing of the confirmation callbacks (erasure-confirmations.ts). */
  confirmationTiming?: ConfirmationOptions;
}

export class WebhookProcessorSimulator {
  /** Accepted messages, one per webhook-id, in arrival order. */
  readonly received: ReceivedWebhook[] = [];
  /** Every delivery attempt, including refused and faulted ones. */
  readonly attempts: DeliveryAttempt[] = [];
  private faults: Array<WebhookFaultSpec & { remaining: number }> = [];
  private server?: Server;
  private baseUrl = '';
  private readonly sockets = new Set<Socket>();
  private readonly hangTimers = new Set<NodeJS.Timeout>();

  /** Erasure requests received and their confirmation callbacks (erasure-confirmations.ts). */
  readonly confirmations: ErasureConfirmations;

  constructor(
    private secret: string,
    private readonly options: WebhookProcessorOptions = {},
  ) {
    this.confirmations = new ErasureConfirmations(() => this.secret, options.confirmationTiming);
    this.confirmations.mode = options.confirmations ?? 'auto';
  }

  /** What the processor was asked to erase, in arrival order. */
  get erasures(): readonly ErasureRecord[] {
    return this.confirmations.erasures;
  }

  /** 'auto' confirms on its own, 'manual' waits for confirm()/fail(), 'never' stays silent. */
  setConfirmations(mode: ConfirmationMode): void {
    this.confirmations.mode = mode;
  }

  /** Confirms (or reports as failed) one erasure now: a signed callback to its confirm_url. */
  settleErasure(deliveryId: string, outcome: 'completed' | 'failed', detail?: string): Promise<boolean> {
    return this.confirmations.settle(deliveryId, outcome, detail);
  }

  /** The signing secret the gateway returned when the webhook connection was created. */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.confirmations.stop();
    for (const t of this.hangTimers) clearTimeout(t);
    this.hangTimers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return this.baseUrl;
  }

  injectFault(spec: WebhookFaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.received.length = 0;
    this.attempts.length = 0;
    this.faults = [];
    this.confirmations.reset();
    this.confirmations.mode = this.options.confirmations ?? 'auto';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    if (url.pathname.startsWith('/__admin/')) {
      this.handleAdmin(method, url.pathname.replace(/\/+$/, ''), rawBody, res);
      return;
    }
    const id = single(req.headers['webhook-id']);
    const attempt = (status: number, outcome: DeliveryAttempt['outcome']) =>
      this.attempts.push({ at: new Date().toISOString(), id, status, outcome });
    if (method !== 'POST') {
      attempt(405, 'method_not_allowed');
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }

    const fault = this.faults.find((f) => f.remaining > 0);
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
      this.applyFault(fault, res, attempt);
      return;
    }

    const secrets = [this.secret, ...(this.options.additionalSecrets ?? [])];
    let failure: StandardWebhookFailure = 'no_matching_signature';
    let verified: { id: string; timestamp: number } | undefined;
    for (const secret of secrets) {
      const result = verifyStandardWebhook(secret, req.headers, rawBody, this.options);
      if (result.valid) {
        verified = result;
        break;
      }
      failure = result.reason;
    }
    if (!verified) {
      attempt(401, failure);
      sendJson(res, 401, { error: failure });
      return;
    }

    const existing = this.received.find((r) => r.id === verified.id);
    if (existing) {
      existing.deliveries++;
      attempt(200, 'duplicate');
      sendJson(res, 200, { duplicate: true });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody);
    } catch {
      attempt(400, 'invalid_json');
      sendJson(res, 400, { error: 'invalid_json' });
      return;
    }
    const type =
      typeof payload === 'object' &&
      payload !== null &&
      typeof (payload as { type?: unknown }).type === 'string'
        ? (payload as { type: string }).type
        : undefined;
    this.received.push({
      id: verified.id,
      timestamp: verified.timestamp,
      payload,
      type,
      rawBody,
      path: url.pathname,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      ),
      receivedAt: new Date().toISOString(),
      deliveries: 1,
    });
    attempt(204, 'accepted');
    res.writeHead(204).end();
    if (type === 'subject.erasure_requested') this.confirmations.received(payload);
  }

  private applyFault(
    fault: WebhookFaultSpec,
    res: ServerResponse,
    attempt: (status: number, outcome: 'fault') => void,
  ): void {
    switch (fault.kind) {
      case 'timeout': {
        attempt(0, 'fault');
        const timer = setTimeout(() => {
          this.hangTimers.delete(timer);
          res.socket?.destroy();
        }, fault.hangMs ?? 60_000);
        this.hangTimers.add(timer);
        return;
      }
      case '429':
        attempt(429, 'fault');
        sendJson(
          res,
          429,
          { error: 'too_many_requests' },
          { 'Retry-After': String(fault.retryAfterSeconds ?? 30) },
        );
        return;
      case '503':
        attempt(503, 'fault');
        sendJson(
          res,
          503,
          { error: 'unavailable' },
          fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {},
        );
        return;
      case '410':
        attempt(410, 'fault');
        sendJson(res, 410, { error: 'gone' });
        return;
      case '500':
        attempt(500, 'fault');
        sendJson(res, 500, { error: 'internal_error' });
        return;
    }
  }

  private handleAdmin(method: string, path: string, rawBody: string, res: ServerResponse): void {
    try {
      const body = rawBody ? (JSON.parse(rawBody) as unknown) : {};
      const settle = /^\/__admin\/erasures\/([^/]+)\/(confirm|fail)$/.exec(path);
      if (method === 'GET' && path === '/__admin/state') {
        sendJson(res, 200, {
          received: this.received,
          attempts: this.attempts,
          faults: this.faults,
          confirmations: this.confirmations.mode,
          erasures: this.erasures,
        });
      } else if (method === 'POST' && path === '/__admin/confirmations') {
        const mode = (body as { mode?: unknown }).mode;
        if (mode !== 'auto' && mode !== 'manual' && mode !== 'never')
          throw new Error('mode must be auto, manual or never');
        this.setConfirmations(mode);
        sendJson(res, 200, { confirmations: mode });
      } else if (method === 'POST' && settle) {
        const detail = (body as { detail?: unknown }).detail;
        void this.settleErasure(
          decodeURIComponent(settle[1]),
          settle[2] === 'confirm' ? 'completed' : 'failed',
          typeof detail === 'string' ? detail : undefined,
        ).then((found) => {
          const record = this.erasures.find((e) => e.deliveryId === decodeURIComponent(settle[1]));
          if (found) sendJson(res, 200, record);
          else sendJson(res, 404, { error: 'unknown_delivery' });
        });
      } else if (method === 'POST' && path === '/__admin/faults') {
        const specs = (Array.isArray(body) ? body : [body]) as WebhookFaultSpec[];
        for (const spec of specs) {
          if (!['500', '429', '410', '503', 'timeout'].includes(String(spec.kind)))
            throw new Error(`unknown fault kind: ${String(spec.kind)}`);
          this.injectFault(spec);
        }
        sendJson(res, 201, { faults: this.faults });
      } else if (method === 'DELETE' && path === '/__admin/faults') {
        this.clearFaults();
        res.writeHead(204).end();
      } else if (method === 'POST' && path === '/__admin/secret') {
        const secret = (body as { secret?: unknown }).secret;
        if (typeof secret !== 'string' || !secret.startsWith('whsec_'))
          throw new Error('secret must be a whsec_ string');
        this.useSecret(secret);
        res.writeHead(204).end();
      } else if (method === 'POST' && path === '/__admin/reset') {
        this.reset();
        res.writeHead(204).end();
      } else {
        sendJson(res, 404, { error: 'not_found' });
      }
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
