import type { RemoteContact } from './connector.port';

/** A consent time the gateway can stand behind, and the time the CRM claimed when it had to be clamped. */
export interface Capture {
  at: Date;
  clampedFrom?: string;
}

/**
 * When a consent read from a CRM was captured: what the CRM claims, but never later than the moment the gateway
 * observed the record (the vendor's own modification time, else when the gateway read it), and so never in the
 * future. A CRM user who dates a grant in 2100 must not outrank every later STOP. Null: the claim is unreadable.
 */
export function clampCapture(claimed: string, observedAt: string | null, receivedAt: Date): Capture | null {
  const at = Date.parse(claimed);
  if (!Number.isFinite(at)) return null;
  const observed = observedAt ? Date.parse(observedAt) : NaN;
  const bound = Number.isFinite(observed) ? Math.min(observed, receivedAt.getTime()) : receivedAt.getTime();
  if (at <= bound) return { at: new Date(at) };
  return { at: new Date(bound), clampedFrom: new Date(at).toISOString() };
}

/** The record's values the connector could not read, as unmatched-record problems (field and reason only). */
export function recordProblems(record: RemoteContact): { field: string; reason: string }[] {
  return record.unreadable.map((u) => ({ field: u.field, reason: u.reason }));
}
