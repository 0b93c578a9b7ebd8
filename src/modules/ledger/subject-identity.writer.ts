import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Notifications } from '../../platform/database/notifications';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { IDENTITY_ADDED_CHANNEL } from './ledger.channels';
import type { IdentityKind } from './ledger.types';
import { identityPlace } from './sealed-places';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectRepository, type SealedIdentityRows } from './subject.repository';

/** Folds a 32-byte hash into a signed 64-bit advisory-lock key. */
function lockKey(hash: Buffer): string {
  return hash.readBigInt64BE(0).toString();
}

/**
 * Writes people and their identifiers: each person gets their own data key with them (made and wrapped in memory,
 * inserted in the same statement), identities are sealed under their person's key, and every identity added is
 * announced to the readers that may have cached "nobody is known by this".
 */
@Injectable()
export class SubjectIdentityWriter {
  constructor(
    private readonly subjects: SubjectRepository,
    private readonly keys: SubjectKeyService,
    private readonly notifications: Notifications,
  ) {}

  /** The identifiers' advisory locks, sorted (concurrent resolutions of the same identifiers are serialised). */
  async lockIdentities(manager: EntityManager, prepared: readonly PreparedIdentity[]): Promise<void> {
    if (prepared.length === 0) throw new Error('Cannot resolve a subject without a usable identifier');
    await this.subjects.lockIdentityKeys(manager, [...new Set(prepared.map((p) => lockKey(p.hash)))].sort());
  }

  /** The person the oldest known identifier names, given the identifiers nobody knew yet; null when none is known. */
  async findOrAttach(manager: EntityManager, prepared: readonly PreparedIdentity[]): Promise<string | null> {
    const known = await this.subjects.knownAmong(
      manager,
      prepared.map((p) => p.kind),
      prepared.map((p) => p.hash),
    );
    if (known.length === 0) return null;
    const owner = known[0].subject_id;
    const seen = new Set(known.map((k) => IdentityService.cacheKey(k.kind, k.value_hash)));
    const added = prepared.filter((p) => !seen.has(IdentityService.cacheKey(p.kind, p.hash)));
    // Nothing is written (nor sealed) in the common case of identifiers all known.
    await this.attach(manager, owner, added);
    return owner;
  }

  /** A new person with their own data key, known by these identifiers (the caller holds their locks). */
  async createPerson(manager: EntityManager, prepared: readonly PreparedIdentity[]): Promise<string> {
    const id = randomUUID();
    const { keys, rows } = this.keys.generate([id]);
    const added = await this.subjects.createWithIdentities(
      manager,
      rows[0],
      this.seal(id, keys.get(id)!, prepared),
    );
    this.keys.remember(keys);
    await this.announce(manager, added);
    return id;
  }

  /**
   * One new person per group of identifiers, for a page of CRM records, in a few statements instead of several per
   * record: the identifiers are locked (sorted) and checked under the lock; a group with an identifier someone owns,
   * or shares with an earlier group, gets null (the caller resolves it one by one).
   */
  async createPeople(
    manager: EntityManager,
    groups: readonly (readonly PreparedIdentity[])[],
  ): Promise<(string | null)[]> {
    const all = groups.flat();
    if (all.length === 0) return groups.map(() => null);
    await this.subjects.lockIdentityKeys(manager, [...new Set(all.map((p) => lockKey(p.hash)))].sort());
    const owners = await this.subjects.ownersOf(
      manager,
      all.map((p) => p.kind),
      all.map((p) => p.hash),
    );
    const owned = new Set(owners.map((r) => IdentityService.cacheKey(r.kind, r.value_hash)));
    const taken = new Set<string>();
    const fresh: { id: string; group: readonly PreparedIdentity[] }[] = [];
    const ids = groups.map((group) => {
      const keys = group.map((p) => IdentityService.cacheKey(p.kind, p.hash));
      if (group.length === 0 || keys.some((k) => owned.has(k) || taken.has(k))) return null;
      for (const k of keys) taken.add(k);
      const id = randomUUID();
      fresh.push({ id, group });
      return id;
    });
    if (fresh.length === 0) return ids;
    // Keys are made and wrapped in memory, and inserted in the same statement as the people.
    const { keys, rows } = this.keys.generate(fresh.map((f) => f.id));
    const people = fresh.map((f) => ({ id: f.id, rows: this.seal(f.id, keys.get(f.id)!, f.group) }));
    await this.announce(manager, await this.subjects.createMany(manager, people, rows));
    this.keys.remember(keys);
    return ids;
  }

  /** Attaches identifiers to the person, sealed under their key (one already known stays with its owner). */
  async attach(
    manager: EntityManager,
    subjectId: string,
    prepared: readonly PreparedIdentity[],
  ): Promise<void> {
    if (prepared.length === 0) return;
    const key = await this.keys.keyFor(manager, subjectId);
    const added = await this.subjects.attachIdentities(
      manager,
      subjectId,
      this.seal(subjectId, key, prepared),
    );
    await this.announce(manager, added);
  }

  /** Identities sealed under their person's own key. */
  private seal(ownerId: string, key: Buffer, prepared: readonly PreparedIdentity[]): SealedIdentityRows {
    const sealed = prepared.map((p) =>
      SubjectKeyService.sealFor(ownerId, key, p.normalised, identityPlace(p.kind, p.hash)),
    );
    return {
      kinds: prepared.map((p) => p.kind),
      hashes: prepared.map((p) => p.hash),
      ciphertexts: sealed.map((s) => s.ciphertext),
      keyIds: sealed.map((s) => s.keyId),
    };
  }

  /** Tells readers that may have cached "nobody is known by this" that someone now is. */
  private async announce(
    manager: EntityManager,
    added: readonly { kind: IdentityKind; value_hash: Buffer }[],
  ): Promise<void> {
    if (!added.length) return;
    await this.notifications.notifyEach(
      manager,
      IDENTITY_ADDED_CHANNEL,
      added.map((a) => IdentityService.cacheKey(a.kind, a.value_hash)),
    );
  }
}
