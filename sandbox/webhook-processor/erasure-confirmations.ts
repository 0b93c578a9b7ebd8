/**
 * How the simulated processor answers `subject.erasure_requested`: it records what it was asked to erase and, by
 * its confirmation mode, calls the gateway back at the event's `confirm_url` with a Standard-Webhooks-signed
 * `subject.erasure_completed` (or, when told, `subject.erasure_failed`), signed with the connection's secret.
 *
 * - 'auto': confirms on its own, a moment after accepting the event (a processor erases asynchronously);
 * - 'manual': waits for POST /__admin/erasures/{delivery_id}/confirm or /fail;
 * - 'never': never calls back (the gateway's "acknowledged, not confirmed" timeout).
 *
 * A callback the gateway does not accept (non-2xx, unreachable) is retried with doubling delays, as a Standard
 * Webhooks sender does; every attempt is kept.
 */
import { signedHeaders } from './standard-webhooks-signer';

export type ConfirmationMode = 'auto' | 'manual' | 'never';

export interface ErasureRecord {
  deliveryId: string;
  requestId: string | null;
  subjectId: string | null;
  /** What the processor was asked to erase (it would delete these from its own systems). */
  identifiers: { phones: string[]; emails: string[] };
  confirmUrl: string | null;
  receivedAt: string;
  status: 'received' | 'confirming' | 'confirmed' | 'failed_reported' | 'callback_failed';
  callbacks: Array<{ at: string; type: string; status: number; error?: string }>;
}

export interface ConfirmationOptions {
  /** Delay before an automatic confirmation (default 100 ms). */
  autoDelayMs?: number;
  /** Callback attempts before giving up (default 5), the first retry after `retryBaseMs` (default 250 ms). */
  maxAttempts?: number;
  retryBaseMs?: number;
}

export class ErasureConfirmations {
  readonly erasures: ErasureRecord[] = [];
  mode: ConfirmationMode = 'auto';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly secret: () => string,
    private readonly options: ConfirmationOptions = {},
  ) {}

  /** An accepted `subject.erasure_requested` event (called once per webhook-id). */
  received(payload: unknown): void {
    const data = (payload as { data?: Record<string, unknown> } | null)?.data ?? {};
    const deliveryId = typeof data.delivery_id === 'string' ? data.delivery_id : null;
    if (!deliveryId) return;
    const ids = (data.identifiers ?? {}) as { phones?: unknown; emails?: unknown };
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    const record: ErasureRecord = {
      deliveryId,
      requestId: typeof data.request_id === 'string' ? data.request_id : null,
      subjectId: typeof data.subject_id === 'string' ? data.subject_id : null,
      identifiers: { phones: strings(ids.phones), emails: strings(ids.emails) },
      confirmUrl: typeof data.confirm_url === 'string' ? data.confirm_url : null,
      receivedAt: new Date().toISOString(),
      status: 'received',
      callbacks: [],
    };
    this.erasures.push(record);
    if (this.mode === 'auto')
      this.later(this.options.autoDelayMs ?? 100, () => this.callBack(record, 'completed'));
  }

  /** The admin's confirm / fail of one erasure (after its first callback attempt); false when never received. */
  settle(deliveryId: string, outcome: 'completed' | 'failed', detail?: string): Promise<boolean> {
    const record = this.erasures.find((e) => e.deliveryId === deliveryId);
    if (!record) return Promise.resolve(false);
    return this.callBack(record, outcome, detail).then(() => true);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  reset(): void {
    this.stop();
    this.erasures.length = 0;
    this.mode = 'auto';
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void fn();
    }, ms);
    this.timers.add(timer);
  }

  private async callBack(
    record: ErasureRecord,
    outcome: 'completed' | 'failed',
    detail?: string,
    attempt = 1,
  ): Promise<void> {
    if (!record.confirmUrl) {
      record.status = 'callback_failed';
      return;
    }
    record.status = 'confirming';
    const type = outcome === 'completed' ? 'subject.erasure_completed' : 'subject.erasure_failed';
    const body = JSON.stringify({
      type,
      data: { delivery_id: record.deliveryId, ...(detail !== undefined ? { detail } : {}) },
    });
    // One webhook-id per callback message: a retry of it is the same message.
    const headers = signedHeaders(this.secret(), `confirm_${record.deliveryId}_${outcome}`, body);
    let status = 0;
    let error: string | undefined;
    try {
      const res = await fetch(record.confirmUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        redirect: 'manual',
      });
      status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    record.callbacks.push({ at: new Date().toISOString(), type, status, ...(error ? { error } : {}) });
    if (status >= 200 && status < 300) {
      record.status = outcome === 'completed' ? 'confirmed' : 'failed_reported';
      return;
    }
    if (attempt >= (this.options.maxAttempts ?? 5)) {
      record.status = 'callback_failed';
      return;
    }
    // Retried in the background: an admin's confirm answers after the first attempt.
    const delay = (this.options.retryBaseMs ?? 250) * 2 ** (attempt - 1);
    this.later(delay, () => this.callBack(record, outcome, detail, attempt + 1));
  }
}
