import type { DpaStatus } from './registry.types';

/** The facts of one DPA version that decide whether it is in force. Dates are calendar days, YYYY-MM-DD. */
export interface DpaTerms {
  version: number;
  status: DpaStatus;
  effective_from: string | null;
  expires_at: string | null;
}

/**
 * Versions that decide the vendor's position. A draft or an agreement in negotiation is work in progress:
 * renegotiating does not void the agreement in force, so it never governs while a decided version exists.
 */
const DECIDED: readonly DpaStatus[] = ['signed', 'expired', 'terminated', 'not_required'];

/** The version that governs: the latest decided one, else (nothing decided yet) the latest of all. */
export function governingVersion<T extends Pick<DpaTerms, 'version' | 'status'>>(
  versions: readonly T[],
): T | null {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  return sorted.find((v) => DECIDED.includes(v.status)) ?? sorted[0] ?? null;
}

/** Today as a calendar day in UTC: the day every DPA date is compared with. */
export function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Whether the agreement is in force on `day`: signed, effective on or before that day, and not yet at its
 * expiry date, or recorded as not required. expires_at is the first day the agreement is NO LONGER in
 * force: on the expiry day itself it is expired (from 00:00 UTC). A null expires_at never expires; a null
 * effective_from is in force from signature.
 */
export function isDpaValidOn(
  dpa: Pick<DpaTerms, 'status' | 'effective_from' | 'expires_at'> | null,
  day: string,
) {
  if (!dpa) return false;
  switch (dpa.status) {
    case 'not_required':
      return true;
    case 'signed':
      return (!dpa.effective_from || dpa.effective_from <= day) && (!dpa.expires_at || dpa.expires_at > day);
    case 'draft':
    case 'in_negotiation':
    case 'expired':
    case 'terminated':
      return false;
  }
}

export type EffectiveDpaStatus = DpaStatus | 'not_yet_effective' | 'none';

/** The status a DPO reads: a signed agreement past its expiry date is expired, one not yet in force says so. */
export function effectiveDpaStatus(
  dpa: Pick<DpaTerms, 'status' | 'effective_from' | 'expires_at'> | null,
  day: string,
): EffectiveDpaStatus {
  if (!dpa) return 'none';
  if (dpa.status === 'signed') {
    if (dpa.expires_at && dpa.expires_at <= day) return 'expired';
    if (dpa.effective_from && dpa.effective_from > day) return 'not_yet_effective';
  }
  return dpa.status;
}
