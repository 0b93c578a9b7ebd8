import {
  ALL_SCOPES,
  type ConsentActor,
  type ConsentStatus,
  type EventEffect,
  type SubjectRightsFlags,
} from './ledger.types';

/** The current state of one subject × purpose × channel × scope. */
export interface StateRow {
  scope: string;
  status: ConsentStatus;
  capturedAt: Date;
}

export interface IncomingEvent {
  scope: string;
  status: ConsentStatus;
  capturedAt: Date;
}

export interface Decision {
  effect: EventEffect;
  /** Scopes whose state row the event becomes (inserted or replaced). */
  writes: string[];
}

/**
 * Capture times within this window of each other are "the same moment" when a withdrawal meets a grant.
 * WhatsApp stamps a message to the whole second, so a STOP typed at 12:00:00.9 reads 12:00:00 while a CRM
 * grant observed at 12:00:00.5 carries milliseconds: which came first cannot be known, and the stricter
 * reading is that the withdrawal stands.
 */
const SAME_MOMENT_MS = 1_000;

/**
 * Whether an event supersedes a state row: the event captured last wins; when a withdrawal and a grant
 * were captured within the same second, the withdrawal wins whichever is stamped first. An event that
 * does not supersede is "stale": recorded, changing nothing.
 * This also gives the CRM rule: a grant synced from a CRM cannot undo a withdrawal the person made
 * later than that grant, however late the sync arrives, because it is ordered by when it was captured.
 */
export function supersedes(event: IncomingEvent, row: StateRow): boolean {
  const diff = event.capturedAt.getTime() - row.capturedAt.getTime();
  if (event.status !== row.status && Math.abs(diff) < SAME_MOMENT_MS) return event.status === 'withdrawn';
  if (diff !== 0) return diff > 0;
  return false;
}

/**
 * The status in force for one scope: the newer of that scope's own row and the all-scopes row
 * (a withdrawal of every number applies to each number at once).
 */
export function effectiveState(rows: readonly StateRow[], scope: string): StateRow | null {
  const own = rows.find((r) => r.scope === scope) ?? null;
  const all = scope === ALL_SCOPES ? null : (rows.find((r) => r.scope === ALL_SCOPES) ?? null);
  if (!own) return all;
  if (!all) return own;
  return supersedes(all, own) ? all : own;
}

/**
 * Applies the consent conflict rules to one incoming event, given every state row of the subject for
 * that purpose and channel.
 * - A withdrawal takes effect for every scope it names at once: a withdrawal of all scopes replaces the
 *   all-scopes row and every scope row it supersedes.
 * - A grant applies only to the scope it names.
 * - An event for one scope that is older than the all-scopes row is stale for that scope.
 */
export function decide(event: IncomingEvent, rows: readonly StateRow[]): Decision {
  const byScope = new Map(rows.map((r) => [r.scope, r]));
  const targets =
    event.scope === ALL_SCOPES && event.status === 'withdrawn'
      ? [ALL_SCOPES, ...rows.filter((r) => r.scope !== ALL_SCOPES).map((r) => r.scope)]
      : [event.scope];

  if (event.scope !== ALL_SCOPES) {
    const all = byScope.get(ALL_SCOPES);
    if (all && !supersedes(event, all)) return { effect: 'stale', writes: [] };
  }

  const writes: string[] = [];
  let changed = false;
  for (const scope of targets) {
    const before = effectiveState(rows, scope);
    const row = byScope.get(scope);
    if (row && !supersedes(event, row)) continue;
    writes.push(scope);
    if (!before || before.status !== event.status) changed = true;
  }
  if (writes.length === 0) return { effect: 'stale', writes };
  return { effect: changed ? 'changed' : 'confirmed', writes };
}

/**
 * Why a grant changes nothing although it is newer: after an objection to direct marketing (Art. 21(3)) or an
 * erasure request, only the person's own new opt-in counts; grants a CRM, an automation or an admin reports are
 * recorded `stale`, with this reason as evidence. Null: the conflict rules decide as usual.
 */
export function blockedBy(
  flags: Pick<SubjectRightsFlags, 'erasureRequested' | 'objected'>,
  event: { status: ConsentStatus; actor: ConsentActor },
): 'objection' | 'erasure_requested' | null {
  if (event.status !== 'granted' || event.actor === 'subject') return null;
  if (flags.erasureRequested) return 'erasure_requested';
  if (flags.objected) return 'objection';
  return null;
}
