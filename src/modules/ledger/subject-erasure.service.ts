import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { Notifications } from '../../platform/database/notifications';
import { InboxService } from '../inbox';
import { RelayService } from '../relay';
import { EVIDENCE_KEPT_AFTER_ERASURE } from './erasure-evidence';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.channels';
import { SubjectErasureRepository } from './subject-erasure.repository';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectRepository } from './subject.repository';
import { SuppressionRepository } from './suppression.repository';

export interface ForgetReport {
  identitiesRemoved: number;
  eventsStripped: number;
  inboxBodiesPurged: number;
  suppressed: number;
}

/** Runs in the transaction that forgets a person (modules holding personal data per person clear it here). */
export type SubjectForgottenHook = (manager: EntityManager, subjectId: string) => Promise<void>;

const NOTHING: ForgetReport = Object.freeze({
  identitiesRemoved: 0,
  eventsStripped: 0,
  inboxBodiesPurged: 0,
  suppressed: 0,
});

/**
 * Art. 17 in the ledger: the person is marked (the check answers erased from then on), then forgotten: their
 * identifiers go to the suppression list as blind indexes and are deleted, their events keep only the
 * pseudonymous skeleton (Art. 17(3)(b): the proof of consent and its withdrawal), the raw inbox bodies their
 * events came from are purged, and their data keys are destroyed, so copies of their ciphertexts (dead tuples,
 * WAL, replicas, backups) can no longer be opened. A person merged into them is forgotten with them.
 */
@Injectable()
export class SubjectErasureService {
  private readonly logger = new Logger(SubjectErasureService.name);
  private readonly forgottenHooks: SubjectForgottenHook[] = [];

  constructor(
    private readonly erasure: SubjectErasureRepository,
    private readonly subjects: SubjectRepository,
    private readonly suppressions: SuppressionRepository,
    private readonly keys: SubjectKeyService,
    private readonly inbox: InboxService,
    private readonly relay: RelayService,
    private readonly notifications: Notifications,
    private readonly crypto: CryptoService,
  ) {}

  onSubjectForgotten(hook: SubjectForgottenHook): void {
    this.forgottenHooks.push(hook);
  }

  /**
   * From commit on, the check answers erased for the person (by any identifier or subject id), and grants a CRM,
   * an automation or an admin reports for them are recorded stale. Idempotent.
   */
  async markErasureRequested(manager: EntityManager, subjectId: string): Promise<void> {
    const person = await this.lockedPerson(manager, subjectId);
    if (!person || person.erased || person.erasureRequested) return;
    await this.erasure.markErasureRequested(manager, person.id);
    await this.notifications.notify(manager, CONSENT_CHANGED_CHANNEL, person.id);
  }

  /** Forgets the person in the caller's transaction; a second call (or one for an unknown id) reports zeros. */
  async forget(manager: EntityManager, subjectId: string, requestId: string | null): Promise<ForgetReport> {
    const person = await this.lockedPerson(manager, subjectId);
    if (!person || person.erased) return { ...NOTHING };
    const everyone = [person.id, ...(await this.erasure.absorbedInto(manager, person.id))];

    const suppressed = await this.suppressions.suppressIdentitiesOf(manager, everyone, person.id, requestId);
    const removed = await this.erasure.deleteIdentities(manager, everyone);
    const inboxIds = await this.erasure.inboxIdsOf(manager, everyone);
    const eventsStripped = await this.erasure.stripEvents(manager, everyone, EVIDENCE_KEPT_AFTER_ERASURE);
    await this.erasure.pseudonymiseClientEventIds(
      manager,
      everyone,
      (id) => `bi:${this.crypto.blindIndex('client_event_id', id).toString('base64url')}`,
    );
    const inboxBodiesPurged = await this.inbox.purgeBodies(manager, inboxIds);
    // The relay's copies of the same deliveries go too, and are never forwarded afterwards.
    await this.relay.eraseDeliveries(manager, inboxIds);
    await this.erasure.deleteStates(manager, everyone);
    await this.keys.destroy(manager, everyone);
    await this.erasure.markErased(manager, everyone);

    // Delivered on commit: readers drop what they hold of the person and of each identifier removed.
    await this.notifications.notifyEach(manager, CONSENT_CHANGED_CHANNEL, everyone);
    if (removed.length)
      await this.notifications.notifyEach(
        manager,
        IDENTITY_ADDED_CHANNEL,
        removed.map((r) => IdentityService.cacheKey(r.kind, r.value_hash)),
      );
    // cross-module: propagation, connectors, requests clear what they hold of the person, in this transaction.
    for (const hook of this.forgottenHooks) await hook(manager, person.id);
    const report = { identitiesRemoved: removed.length, eventsStripped, inboxBodiesPurged, suppressed };
    this.logger.log({ subjectId: person.id, requestId, ...report }, 'person forgotten');
    return report;
  }

  /**
   * Which of these identifiers are suppressed (an erased person's), by IdentityService.cacheKey → the erased
   * person's id. Importers create and link nobody for them.
   */
  async suppressedAmong(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
  ): Promise<Map<string, string>> {
    const rows = await this.suppressions.activeAmong(
      prepared.map((p) => ({
        kind: p.kind,
        hash: p.hash,
        previous: this.crypto.previousBlindIndexes(p.kind, p.normalised),
      })),
      manager,
    );
    return new Map(rows.map((r) => [IdentityService.cacheKey(r.kind, r.value_hash), r.subject_id]));
  }

  /** The person an id answers for, under their writer lock (taken again if a merge moved them meanwhile). */
  private async lockedPerson(manager: EntityManager, subjectId: string) {
    for (let hops = 0; hops < 4; hops++) {
      const person = await this.erasure.personOf(manager, subjectId);
      if (!person) return null;
      await this.subjects.lockWriter(manager, person.id);
      const again = await this.erasure.personOf(manager, subjectId);
      if (again?.id === person.id) return again;
    }
    throw new Error(`Subject ${subjectId} kept being merged while it was locked`);
  }
}
