import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Notifications } from '../../platform/database/notifications';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.channels';
import { IdentifierInvalidError, IdentifierTakenError, PersonNotFoundError } from './ledger.errors';
import { LedgerService } from './ledger.service';
import { SubjectErasureRepository } from './subject-erasure.repository';
import { identityPlace } from './sealed-places';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectRepository } from './subject.repository';
import { SubjectRightsRepository } from './subject-rights.repository';

export interface ContactIdentifiers {
  phones: string[];
  emails: string[];
}

const KINDS = { phone: 'phone', email: 'email' } as const;

/** Art. 16: a person's phone or email replaced by the corrected value. */
@Injectable()
export class SubjectRectificationService {
  constructor(
    private readonly identities: IdentityService,
    private readonly ledger: LedgerService,
    private readonly subjects: SubjectRepository,
    private readonly people: SubjectErasureRepository,
    private readonly rights: SubjectRightsRepository,
    private readonly keys: SubjectKeyService,
    private readonly notifications: Notifications,
  ) {}

  /**
   * Replaces the person's phones and/or emails by the corrected value (normalised; the old identities of that kind
   * removed), in the caller's transaction. Invalid value: IdentifierInvalidError naming `changes.<field>`; a
   * value another person is known by: IdentifierTakenError.
   */
  async rectify(
    manager: EntityManager,
    subjectId: string,
    changes: { phone?: string; email?: string },
  ): Promise<{ previous: ContactIdentifiers; current: ContactIdentifiers }> {
    const corrected: PreparedIdentity[] = [];
    for (const field of ['phone', 'email'] as const) {
      const value = changes[field];
      if (value === undefined) continue;
      const [prepared] = this.identities.prepare([{ kind: KINDS[field], value }]);
      if (!prepared)
        throw new IdentifierInvalidError(`Invalid changes.${field}.`, [
          { field: `changes.${field}`, message: `is not a valid ${field}` },
        ]);
      corrected.push(prepared);
    }
    const person = await this.people.personOf(manager, subjectId);
    if (!person || person.erased) throw new PersonNotFoundError(`No subject ${subjectId}`);
    await this.subjects.lockWriter(manager, person.id);
    if (corrected.length === 0) {
      const same = await this.contactsOf(manager, person.id);
      return { previous: same, current: same };
    }
    await this.subjects.lockIdentityKeys(
      manager,
      [...new Set(corrected.map((p) => p.hash.readBigInt64BE(0).toString()))].sort(),
    );
    const owners = await this.subjects.knownAmong(
      manager,
      corrected.map((p) => p.kind),
      corrected.map((p) => p.hash),
    );
    const taken = owners.find((o) => o.subject_id !== person.id);
    if (taken)
      throw new IdentifierTakenError(`The corrected ${taken.kind} belongs to another person.`, [
        { field: `changes.${taken.kind}`, message: 'belongs to another person' },
      ]);

    const previous = await this.contactsOf(manager, person.id);
    const removed: { kind: PreparedIdentity['kind']; value_hash: Buffer }[] = [];
    for (const p of corrected) {
      const old = await this.rights.identitiesOfKind(manager, person.id, p.kind);
      const stale = old.filter((o) => !o.value_hash.equals(p.hash));
      await this.rights.deleteIdentities(
        manager,
        stale.map((o) => o.id),
      );
      removed.push(...stale.map((o) => ({ kind: p.kind, value_hash: o.value_hash })));
    }
    await this.ledger.attachIdentities(manager, person.id, corrected);
    // Delivered on commit: readers drop the person and every key that named them.
    await this.notifications.notify(manager, CONSENT_CHANGED_CHANNEL, person.id);
    if (removed.length)
      await this.notifications.notifyEach(
        manager,
        IDENTITY_ADDED_CHANNEL,
        removed.map((r) => IdentityService.cacheKey(r.kind, r.value_hash)),
      );
    return { previous, current: await this.contactsOf(manager, person.id) };
  }

  private async contactsOf(manager: EntityManager, subjectId: string): Promise<ContactIdentifiers> {
    const out: ContactIdentifiers = { phones: [], emails: [] };
    for (const kind of ['phone', 'email'] as const) {
      const rows = await this.rights.identitiesOfKind(manager, subjectId, kind);
      const opener = await this.keys.opener(
        rows.map((r) => r.key_id),
        manager,
      );
      for (const r of rows) {
        const value = opener.open(
          { ciphertext: r.value_ciphertext, keyId: r.key_id },
          identityPlace(kind, r.value_hash),
        );
        if (value !== null) (kind === 'phone' ? out.phones : out.emails).push(value);
      }
    }
    return out;
  }
}
