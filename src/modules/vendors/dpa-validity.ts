import { DPA_CLAUSES, type DpaClause, type DpaStatus } from './registry.types';

/** The facts of one DPA version that decide whether it is in force. Dates are calendar days, YYYY-MM-DD. */
export interface DpaTerms {
  version: number;
  status: DpaStatus;
  signed_at: string | null;
  effective_from: string | null;
  expires_at: string | null;
  clauses: Partial<Record<DpaClause, boolean>>;
  /** Whether the signed agreement itself is stored (document_sha256 set). */
  has_document: boolean;
}

/** The facts the gate reads; the version number only orders versions. */
export type GateTerms = Omit<DpaTerms, 'version'>;

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

/** What a version claiming to be signed lacks to count: its document, a clause, a signature date not ahead. */
export type DpaGap = 'document' | 'clauses' | 'signed_in_future';

/** The Art. 28(3)(a)-(h) clauses the version does not tick (all eight are required). */
export function missingClauses(dpa: Pick<DpaTerms, 'clauses'>): DpaClause[] {
  return DPA_CLAUSES.filter((c) => dpa.clauses?.[c] !== true);
}

/**
 * Why a signed version is incomplete on `day`, in a fixed order; empty when it is complete (or is not
 * signed: only a signature claims what these facts must back). A signature dated after `day` is a typo
 * or a promise, not a signature.
 */
export function dpaGaps(dpa: Omit<GateTerms, 'effective_from' | 'expires_at'>, day: string): DpaGap[] {
  if (dpa.status !== 'signed') return [];
  const gaps: DpaGap[] = [];
  if (!dpa.has_document) gaps.push('document');
  if (missingClauses(dpa).length) gaps.push('clauses');
  if (dpa.signed_at && dpa.signed_at > day) gaps.push('signed_in_future');
  return gaps;
}

/**
 * Whether the agreement is in force on `day`: signed and complete (document, every Art. 28(3) clause, a
 * signature not dated after `day`), effective on or before that day, and not yet at its expiry date; or
 * recorded as not required. expires_at is the first day the agreement is NO LONGER in force: on the expiry
 * day itself it is expired (from 00:00 UTC). A null expires_at never expires; a null effective_from is in
 * force from signature.
 */
export function isDpaValidOn(dpa: GateTerms | null, day: string): boolean {
  if (!dpa) return false;
  switch (dpa.status) {
    case 'not_required':
      return true;
    case 'signed':
      return (
        dpaGaps(dpa, day).length === 0 &&
        (!dpa.effective_from || dpa.effective_from <= day) &&
        (!dpa.expires_at || dpa.expires_at > day)
      );
    case 'draft':
    case 'in_negotiation':
    case 'expired':
    case 'terminated':
      return false;
  }
}

export type EffectiveDpaStatus = DpaStatus | 'not_yet_effective' | 'incomplete' | 'none';

/**
 * The status a DPO reads: a signed agreement past its expiry date is expired (whatever else it lacks: it
 * needs renewing either way); one lacking a document, a clause or a past signature is incomplete; a
 * complete one not yet in force says so.
 */
export function effectiveDpaStatus(dpa: GateTerms | null, day: string): EffectiveDpaStatus {
  if (!dpa) return 'none';
  if (dpa.status === 'signed') {
    if (dpa.expires_at && dpa.expires_at <= day) return 'expired';
    if (dpaGaps(dpa, day).length) return 'incomplete';
    if (dpa.effective_from && dpa.effective_from > day) return 'not_yet_effective';
  }
  return dpa.status;
}

const DAY_MS = 86_400_000;

/** Whole days from `from` to `to`, both YYYY-MM-DD. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** An agreement in force this close to its expiry is flagged ("expires in N days"). */
export const EXPIRING_SOON_DAYS = 30;

/** Days left until a valid agreement expires, when that is within EXPIRING_SOON_DAYS; else null. */
export function expiresSoonIn(dpa: GateTerms | null, day: string): number | null {
  if (!dpa || dpa.status !== 'signed' || !dpa.expires_at || !isDpaValidOn(dpa, day)) return null;
  const left = daysBetween(day, dpa.expires_at);
  return left <= EXPIRING_SOON_DAYS ? left : null;
}
