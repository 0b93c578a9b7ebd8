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

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Short, stable, non-secret id of a key, stored beside each ciphertext so keys can rotate. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export interface Sealed {
  ciphertext: Buffer;
  keyId: string;
}

/**
 * Encryption at rest (AES-256-GCM; layout iv ‖ tag ‖ ciphertext) and the HMAC blind index used to look
 * identifiers up without storing them in clear.
 */
@Injectable()
export class CryptoService {
  private readonly currentKey: Buffer;
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();
  private readonly blindIndexKey: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.currentKey = config.crypto.encryptionKey;
    this.currentKeyId = keyIdOf(this.currentKey);
    for (const key of [this.currentKey, ...config.crypto.previousEncryptionKeys])
      this.keys.set(keyIdOf(key), key);
    this.blindIndexKey = config.crypto.blindIndexKey;
  }

  seal(plaintext: Buffer | string): Sealed {
    return { ciphertext: CryptoService.sealWith(this.currentKey, plaintext), keyId: this.currentKeyId };
  }

  open(sealed: Sealed): Buffer {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`No decryption key with id ${sealed.keyId} is configured`);
    return CryptoService.openWith(key, sealed.ciphertext);
  }

  /** A fresh random data key (a person's own key: crypto-shredding destroys it). */
  static newDataKey(): Buffer {
    return randomBytes(32);
  }

  /** Seals under a given data key (same layout as seal); the caller records which key it was. */
  static sealWith(key: Buffer, plaintext: Buffer | string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext);
    const final = cipher.final();
    return Buffer.concat([iv, cipher.getAuthTag(), body, final]);
  }

  /** Opens what sealWith sealed under this data key; throws when the key is not the one (GCM tag check). */
  static openWith(key: Buffer, ciphertext: Buffer): Buffer {
    const iv = ciphertext.subarray(0, IV_BYTES);
    const tag = ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  openText(sealed: Sealed): string {
    return this.open(sealed).toString('utf8');
  }

  /** Deterministic keyed hash of a normalised value; the namespace keeps kinds apart. */
  blindIndex(namespace: string, normalisedValue: string): Buffer {
    return createHmac('sha256', this.blindIndexKey)
      .update(namespace)
      .update('\u0000')
      .update(normalisedValue)
      .digest();
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
