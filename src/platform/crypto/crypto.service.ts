import { Inject, Injectable } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AppError, ErrorKind } from '../http/problem';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * IVs are drawn from the CSPRNG 256 at a time: one randomBytes call costs about 7 µs however few bytes it
 * returns (measured on the webhook intake, which seals every body). Each IV is used once; IVs are not secret.
 */
const IV_POOL_BYTES = IV_BYTES * 256;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function freshIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return ivPool.subarray(ivOffset - IV_BYTES, ivOffset);
}

/**
 * Suffix of the key_id of a ciphertext sealed with associated data (its table, column and row). The marker is in
 * the key_id, not in the ciphertext, because a ciphertext from before starts with a random IV: no prefix byte could
 * tell the two formats apart. Unmarked ciphertexts (from before) open without associated data until keys:rotate
 * re-seals them.
 */
const BOUND_SUFFIX = '+a';

/** Short, stable, non-secret id of a key, stored beside each ciphertext so keys can rotate. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** The associated data binding a ciphertext to its place: `<table>.<column>:<row key>`. */
export function sealedAt(table: string, column: string, ...rowKey: (string | Buffer)[]): string {
  const parts = rowKey.map((k) => (typeof k === 'string' ? k : k.toString('hex')));
  return `${table}.${column}:${parts.join(':')}`;
}

/** Whether a key_id says its ciphertext is bound to its place (sealed with associated data). */
export function isBoundKeyId(keyId: string): boolean {
  return keyId.endsWith(BOUND_SUFFIX);
}

/** The key's own id, without the format marker. */
export function baseKeyId(keyId: string): string {
  return isBoundKeyId(keyId) ? keyId.slice(0, -BOUND_SUFFIX.length) : keyId;
}

/** The key_id to store for a ciphertext sealed under `keyId` (bound when there is associated data). */
export function markKeyId(keyId: string, aad: string | undefined): string {
  return aad === undefined ? keyId : `${keyId}${BOUND_SUFFIX}`;
}

/**
 * Raised when a ciphertext does not open: altered, or moved to another row or column. Answered as a 409 problem
 * that names neither the value nor the row (where a reader can do without the value, it reads it as none instead).
 */
export class UnreadableCiphertextError extends AppError {
  readonly code = 'sealed_value_unreadable';
  readonly kind = ErrorKind.Conflict;

  constructor(readonly keyId: string) {
    super('A stored value could not be decrypted (altered, or moved from another row).');
  }
}

export interface Sealed {
  ciphertext: Buffer;
  keyId: string;
}

/**
 * Encryption at rest (AES-256-GCM; layout iv ‖ tag ‖ ciphertext) and the HMAC blind index used to look
 * identifiers up without storing them in clear. A ciphertext sealed with associated data (`sealedAt(...)`) opens
 * only with the same associated data: copied to another row or column, it does not decrypt.
 */
@Injectable()
export class CryptoService {
  private readonly currentKey: Buffer;
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();
  private readonly blindIndexKey: Buffer;
  /** Previous blind-index keys: lookups where no plaintext exists to re-index (suppression) still try them. */
  private readonly previousBlindIndexKeys: Buffer[];
  readonly blindIndexKeyId: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.currentKey = config.crypto.encryptionKey;
    this.currentKeyId = keyIdOf(this.currentKey);
    for (const key of [this.currentKey, ...config.crypto.previousEncryptionKeys])
      this.keys.set(keyIdOf(key), key);
    this.blindIndexKey = config.crypto.blindIndexKey;
    this.blindIndexKeyId = keyIdOf(this.blindIndexKey);
    this.previousBlindIndexKeys = config.crypto.previousBlindIndexKeys;
  }

  /** Seals under the current key; with `aad` (see sealedAt) the ciphertext is bound to that place. */
  seal(plaintext: Buffer | string, aad?: string): Sealed {
    return {
      ciphertext: CryptoService.sealWith(this.currentKey, plaintext, aad),
      keyId: markKeyId(this.currentKeyId, aad),
    };
  }

  /**
   * Opens a ciphertext sealed by seal(). A bound one (key_id marked) needs the `aad` of the place it is read from
   * and throws UnreadableCiphertextError elsewhere; an unmarked one (from before binding) opens without.
   */
  open(sealed: Sealed, aad?: string): Buffer {
    const key = this.keys.get(baseKeyId(sealed.keyId));
    if (!key) throw new Error(`No decryption key with id ${sealed.keyId} is configured`);
    return CryptoService.openMarked(key, sealed, aad);
  }

  openText(sealed: Sealed, aad?: string): string {
    return this.open(sealed, aad).toString('utf8');
  }

  /** Whether this key_id is the current key's, in the bound format (nothing for keys:rotate to do). */
  isCurrent(keyId: string): boolean {
    return keyId === markKeyId(this.currentKeyId, '');
  }

  /** A fresh random data key (a person's own key: crypto-shredding destroys it). */
  static newDataKey(): Buffer {
    return randomBytes(32);
  }

  /** Seals under a given data key (same layout as seal); the caller records which key it was (see markKeyId). */
  static sealWith(key: Buffer, plaintext: Buffer | string, aad?: string): Buffer {
    const iv = freshIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext);
    const final = cipher.final();
    return Buffer.concat([iv, cipher.getAuthTag(), body, final]);
  }

  /** Opens what sealWith sealed under this data key; throws when the key or associated data is not the one. */
  static openWith(key: Buffer, ciphertext: Buffer, aad?: string): Buffer {
    const iv = ciphertext.subarray(0, IV_BYTES);
    const tag = ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    return Buffer.concat([decipher.update(ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /**
   * Opens under a data key, honouring the format its key_id says: bound ones need `aad`, unmarked ones are read
   * without (a bound ciphertext relabelled as unmarked fails too: GCM authenticated it with its associated data).
   */
  static openMarked(key: Buffer, sealed: Sealed, aad?: string): Buffer {
    const bound = isBoundKeyId(sealed.keyId);
    if (bound && aad === undefined) throw new UnreadableCiphertextError(baseKeyId(sealed.keyId));
    try {
      return CryptoService.openWith(key, sealed.ciphertext, bound ? aad : undefined);
    } catch {
      throw new UnreadableCiphertextError(baseKeyId(sealed.keyId));
    }
  }

  /** Deterministic keyed hash of a normalised value under the current key; the namespace keeps kinds apart. */
  blindIndex(namespace: string, normalisedValue: string): Buffer {
    return CryptoService.blindIndexWith(this.blindIndexKey, namespace, normalisedValue);
  }

  /**
   * The value's blind indexes under the previous blind-index keys (none once they are retired). Only for lookups
   * where nothing can be re-indexed (the suppression list holds no plaintext): the hot paths use blindIndex().
   */
  previousBlindIndexes(namespace: string, normalisedValue: string): Buffer[] {
    return this.previousBlindIndexKeys.map((k) =>
      CryptoService.blindIndexWith(k, namespace, normalisedValue),
    );
  }

  private static blindIndexWith(key: Buffer, namespace: string, normalisedValue: string): Buffer {
    return createHmac('sha256', key).update(namespace).update('\u0000').update(normalisedValue).digest();
  }

  static sha256Hex(data: Buffer | string): string {
    return createHash('sha256').update(data).digest('hex');
  }

  static sha256(data: Buffer | string): Buffer {
    return createHash('sha256').update(data).digest();
  }

  /** Constant-time comparison of two strings of possibly different lengths. */
  static safeEqual(a: string | Buffer, b: string | Buffer): boolean {
    const left = typeof a === 'string' ? Buffer.from(a) : a;
    const right = typeof b === 'string' ? Buffer.from(b) : b;
    if (left.length !== right.length) {
      // Still spend a comparison so the length check is not the only timing signal.
      timingSafeEqual(left, left);
      return false;
    }
    return timingSafeEqual(left, right);
  }
}
