import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Notifications } from '../../platform/database/notifications';
import { decide, effectiveState, type StateRow } from './conflict-rules';
import { ConsentStateRepository } from './consent-state.repository';
import type { MergeReason, SubjectMergeEntity } from './entities/subject-merge.entity';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.channels';
import { SubjectMergeRepository, type IdentifierOwner, type MergeStateRow } from './subject-merge.repository';

/** A state now in force for the survivor that differs from what was in force before the merge. */
export interface StateChangedByMerge {
  eventId: string;
  source: string;
}

/** Rounds of "lock the owners, read them again" before giving up (each round locks at least one more). */
const MAX_LOCK_ROUNDS = 5;

type Row = StateRow & Pick<MergeStateRow, 'source' | 'eventId'>;

const groupKey = (r: Pick<MergeStateRow, 'purpose' | 'channel'>) => `${r.purpose}\u0000${r.channel}`;

/**
 * Makes one person of several: the oldest absorbs the others' identifiers and, through the conflict rules,
 * their states; their events stay theirs (the ledger is append-only) and are read through the survivor.
 */
@Injectable()
export class SubjectMergeService {
  private readonly logger = new Logger(SubjectMergeService.name);

  constructor(
    private readonly merges: SubjectMergeRepository,
    private readonly states: ConsentStateRepository,
    private readonly notifications: Notifications,
  ) {}

  /**
   * The people (not erased) who own these identifiers, oldest first (created_at, then id), holding the
   * writer lock of each when there are two or more. The owners are read again after locking: a merge that
   * committed meanwhile may have moved an identifier to someone else, who is then locked too.
   */
  async lockOwners(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
  ): Promise<IdentifierOwner[]> {
    const kinds = prepared.map((p) => p.kind);
    const hashes = prepared.map((p) => p.hash);
    const locked = new Set<string>();
    for (let round = 0; round < MAX_LOCK_ROUNDS; round++) {
      const owners = (await this.merges.ownersOf(manager, kinds, hashes)).filter((o) => !o.erased);
      const unlocked = owners.map((o) => o.id).filter((id) => !locked.has(id));
      if (owners.length < 2 || unlocked.length === 0) return owners;
      unlocked.sort();
      await this.merges.lockWriters(manager, unlocked);
      for (const id of unlocked) locked.add(id);
    }
    throw new Error('The people owning these identifiers kept changing while being locked');
  }

  /**
   * Merges the absorbed people into the survivor, in the caller's transaction (their writer locks held).
   * Returns the states in force for the survivor that the merge changed.
   */
  async merge(
    manager: EntityManager,
    survivorId: string,
    mergedIds: readonly string[],
    reason: MergeReason,
    evidence: SubjectMergeEntity['evidence'],
  ): Promise<StateChangedByMerge[]> {
    const moved = await this.merges.moveIdentities(manager, survivorId, mergedIds);
    await this.merges.markMerged(manager, survivorId, mergedIds);
    await this.merges.recordMerges(manager, survivorId, mergedIds, reason, evidence);
    const changed = await this.foldStates(manager, survivorId, mergedIds);
    await this.merges.deleteStates(manager, mergedIds);

    // Delivered on commit: readers drop what they cached of every person involved and of each moved key.
    await this.notifications.notifyEach(manager, CONSENT_CHANGED_CHANNEL, [survivorId, ...mergedIds]);
    if (moved.length)
      await this.notifications.notifyEach(
        manager,
        IDENTITY_ADDED_CHANNEL,
        moved.map((m) => IdentityService.cacheKey(m.kind, m.value_hash)),
      );
    this.logger.log(
      { survivorId, mergedIds, identities: moved.length, changed: changed.length },
      'people merged',
    );
    return changed;
  }

  /**
   * Runs each absorbed state row through the conflict rules against the survivor's, as if it were arriving
   * now (oldest capture first), writes the survivor's rows that changed, and says which states in force
   * changed (status differs, or a state now exists where there was none).
   */
  private async foldStates(
    manager: EntityManager,
    survivorId: string,
    mergedIds: readonly string[],
  ): Promise<StateChangedByMerge[]> {
    const all = await this.merges.statesOf(manager, [survivorId, ...mergedIds]);
    const before = new Map<string, Row[]>();
    const after = new Map<string, Row[]>();
    const meta = new Map<string, Pick<MergeStateRow, 'purpose' | 'channel'>>();
    for (const r of all.filter((s) => s.subjectId === survivorId)) {
      const key = groupKey(r);
      before.set(key, [...(before.get(key) ?? []), toRow(r)]);
      after.set(key, [...(after.get(key) ?? []), toRow(r)]);
      meta.set(key, r);
    }

    for (const r of all.filter((s) => s.subjectId !== survivorId)) {
      const key = groupKey(r);
      meta.set(key, r);
      const rows = after.get(key) ?? [];
      const decision = decide({ scope: r.scope, status: r.status, capturedAt: r.capturedAt }, rows);
      const written = new Set(decision.writes);
      after.set(key, [
        ...rows.filter((x) => !written.has(x.scope)),
        ...decision.writes.map((scope) => toRow({ ...r, scope })),
      ]);
    }

    const changed = new Map<string, StateChangedByMerge>();
    for (const [key, rows] of after) {
      const { purpose, channel } = meta.get(key)!;
      const old = before.get(key) ?? [];
      for (const row of rows) {
        const previous = old.find((o) => o.scope === row.scope);
        if (previous?.eventId === row.eventId) continue;
        await this.states.writeScopes(
          manager,
          {
            subjectId: survivorId,
            purpose,
            channel,
            status: row.status,
            capturedAt: row.capturedAt,
            source: row.source,
            eventId: row.eventId,
          },
          [row.scope],
        );
      }
      for (const scope of new Set([...old, ...rows].map((r) => r.scope))) {
        const was = effectiveState(old, scope) as Row | null;
        const is = effectiveState(rows, scope) as Row | null;
        if (is && was?.status !== is.status)
          changed.set(is.eventId, { eventId: is.eventId, source: is.source });
      }
    }
    return [...changed.values()];
  }
}

function toRow(r: MergeStateRow): Row {
  return { scope: r.scope, status: r.status, capturedAt: r.capturedAt, source: r.source, eventId: r.eventId };
}
