import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  baseKeyId,
  CryptoService,
  markKeyId,
  UnreadableCiphertextError,
  type Sealed,
} from '../../platform/crypto/crypto.service';
import { NotificationListener } from '../../platform/database/notification-listener';
import { Notifications } from '../../platform/database/notifications';
import { SUBJECT_FORGOTTEN_CHANNEL } from './ledger.channels';
import { BoundedMemo } from './phone-number';
import { wrappedKeyPlace } from './sealed-places';
import { SubjectKeyRepository, type WrappedKeyRow } from './subject-key.repository';

/** key_id of a value sealed under a person's own key: the prefix, then the id of the person who owns the key. */
const PERSON_KEY_PREFIX = 'sk:';
const KEY_MEMO_MAX = 100_000;

/** The person whose own key sealed a value with this key_id; null: the master key sealed it. */
export function keyOwnerOf(keyId: string | null): string | null {
  return keyId && keyId.startsWith(PERSON_KEY_PREFIX)
    ? baseKeyId(keyId).slice(PERSON_KEY_PREFIX.length)
    : null;
}

/** Keys for a batch of sealed values: open() opens any of them (master-key or person-key sealed). */
export interface Opener {
  /**
   * The plaintext, or null when the value's person key is gone (forgotten) or the ciphertext does not open here
   * (`place`, see sealed-places.ts: a ciphertext copied from another row reads as no value, never as an error).
   */
  open(sealed: { ciphertext: Buffer; keyId: string }, place?: string): string | null;
}

/**
 * Per-person data keys (crypto-shredding). A person's identities and sealed evidence are sealed under their own
 * key (key_id `sk:<owner id>`), itself stored wrapped by the master key; forgetting the person deletes it, so
 * every copy of those ciphertexts becomes unreadable. Values sealed under the master key before keep opening.
 * An identity moved by a merge keeps the key that sealed it (the absorbed person's key row stays, and erasing the
 * survivor destroys the keys of everyone merged into them). Unwrapped keys are memoised (bounded); a forgotten
 * person's key is dropped from every process's memo by NOTIFY.
 */
@Injectable()
export class SubjectKeyService {
  private readonly memo = new BoundedMemo<string, Buffer>(KEY_MEMO_MAX);
  private readonly logger = new Logger(SubjectKeyService.name);

  constructor(
    private readonly keys: SubjectKeyRepository,
    private readonly crypto: CryptoService,
    private readonly notifications: Notifications,
    listener: NotificationListener,
  ) {
    listener.on(SUBJECT_FORGOTTEN_CHANNEL, (subjectId) => this.memo.delete(subjectId));
  }

  /** New keys for new people, in memory: the rows to insert with them (the caller inserts them in its statement). */
  generate(subjectIds: readonly string[]): { keys: Map<string, Buffer>; rows: WrappedKeyRow[] } {
    const keys = new Map<string, Buffer>();
    const rows = subjectIds.map((subjectId) => {
      const key = CryptoService.newDataKey();
      keys.set(subjectId, key);
      const wrapped = this.crypto.seal(key, wrappedKeyPlace(subjectId));
      return { subjectId, wrappedKey: wrapped.ciphertext, keyId: wrapped.keyId };
    });
    return { keys, rows };
  }

  /** Remembers keys the caller has just inserted (after its statement succeeded). */
  remember(keys: ReadonlyMap<string, Buffer>): void {
    for (const [id, key] of keys) this.memo.set(id, key);
  }

  /**
   * The person's key for sealing new values, created now for a person from before per-person keys. Throws for a
   * forgotten person (nothing may be sealed for them any more).
   */
  async keyFor(manager: EntityManager, subjectId: string): Promise<Buffer> {
    const known = this.memo.get(subjectId);
    if (known) return known;
    const [found] = await this.keys.find([subjectId], manager);
    const row = found ?? (await this.keys.ensure(manager, this.generate([subjectId]).rows[0]));
    if (!row) throw new Error(`Subject ${subjectId} has no key: forgotten or unknown`);
    return this.unwrap(row);
  }

  /**
   * Seals a value under a person's key, labelled so that it can be opened (and shredded) as theirs, and bound to
   * its place (see sealed-places.ts).
   */
  static sealFor(ownerId: string, key: Buffer, plaintext: string, place: string): Sealed {
    return {
      ciphertext: CryptoService.sealWith(key, plaintext, place),
      keyId: markKeyId(`${PERSON_KEY_PREFIX}${ownerId}`, place),
    };
  }

  /** An opener for these key ids: the person keys among them are read in one query (memoised ones not at all). */
  async opener(keyIds: readonly (string | null)[], manager?: EntityManager): Promise<Opener> {
    const owners = [...new Set(keyIds.map(keyOwnerOf).filter((o): o is string => o !== null))];
    const keys = new Map<string, Buffer>();
    const missing: string[] = [];
    for (const owner of owners) {
      const key = this.memo.get(owner);
      if (key) keys.set(owner, key);
      else missing.push(owner);
    }
    for (const row of await this.keys.find(missing, manager)) {
      const key = this.unwrapIfIntact(row);
      if (key) keys.set(row.subjectId, key);
    }
    return {
      open: (sealed, place) => {
        const owner = keyOwnerOf(sealed.keyId);
        try {
          if (owner === null) return this.crypto.openText(sealed, place);
          const key = keys.get(owner);
          return key ? CryptoService.openMarked(key, sealed, place).toString('utf8') : null;
        } catch (error) {
          if (!(error instanceof UnreadableCiphertextError)) throw error;
          // Tampering (a ciphertext copied from another row) or a wrong key: say where, never what.
          this.logger.warn(`A sealed value does not open at ${place?.split(':')[0] ?? 'an unbound place'}`);
          return null;
        }
      },
    };
  }

  /** These people's data keys, unwrapped (absent: forgotten): keys:rotate re-binds their values with them. */
  async dataKeysOf(subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
    const keys = new Map<string, Buffer>();
    for (const row of await this.keys.find(subjectIds)) {
      const key = this.unwrapIfIntact(row);
      if (key) keys.set(row.subjectId, key);
    }
    return keys;
  }

  /** Destroys these people's keys in the caller's transaction; every process drops them from memory on commit. */
  async destroy(manager: EntityManager, subjectIds: readonly string[]): Promise<number> {
    const destroyed = await this.keys.destroy(manager, subjectIds);
    for (const id of subjectIds) this.memo.delete(id);
    if (subjectIds.length)
      await this.notifications.notifyEach(manager, SUBJECT_FORGOTTEN_CHANNEL, subjectIds);
    return destroyed;
  }

  /** The key, or null when its wrap does not open (copied from another person's row): their values read as none. */
  private unwrapIfIntact(row: WrappedKeyRow): Buffer | null {
    try {
      return this.unwrap(row);
    } catch (error) {
      if (!(error instanceof UnreadableCiphertextError)) throw error;
      this.logger.warn('A person key does not open at subject_key.wrapped_key');
      return null;
    }
  }

  private unwrap(row: WrappedKeyRow): Buffer {
    const key = this.crypto.open(
      { ciphertext: row.wrappedKey, keyId: row.keyId },
      wrappedKeyPlace(row.subjectId),
    );
    this.memo.set(row.subjectId, key);
    return key;
  }
}
