import { Injectable } from '@nestjs/common';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { IdentityInput, IdentityKind } from './ledger.types';
import { BoundedMemo, normalisePhone } from './phone-number';

export interface PreparedIdentity {
  kind: IdentityKind;
  normalised: string;
  hash: Buffer;
}

/** The normalised form of an identifier (null: not usable); a national phone number needs its region. */
export function normaliseIdentity(kind: IdentityKind, value: string, region?: string | null): string | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  switch (kind) {
    case 'phone':
      return normalisePhone(trimmed, region);
    case 'wa_id':
      // A wa_id is kept as sent (digits), valid phone number or not: it is still the person's WhatsApp key.
      return trimmed.replace(/^\+/, '');
    case 'email':
      return trimmed.toLowerCase();
    case 'wa_user_id':
    case 'wa_parent_user_id':
    case 'hubspot_id':
    case 'salesforce_id':
      return trimmed;
  }
}

/**
 * Normalises identifiers and computes their blind index. A wa_id that is a valid phone number also yields
 * a phone identity, so the person can be found by phone number as well.
 */
/** An identifier as the suppression list is searched for it (see IdentityService.suppressionKey). */
export interface SuppressionKey {
  kind: IdentityKind;
  hash: Buffer;
  previous: readonly Buffer[];
}

export interface LookupKey {
  readonly hash: Buffer;
  /** The normalised value (kept in memory only): suppression lookups index it under previous keys too. */
  readonly normalised: string;
  /** IdentityService.cacheKey(kind, hash). */
  readonly key: string;
}

/**
 * A memoised lookup: two strings, the blind index decoded from the key only when asked (a database read).
 * Memoising the Buffer digest() made costs about twice the memory per entry (its own backing store).
 */
class MemoisedLookup implements LookupKey {
  constructor(
    readonly normalised: string,
    readonly key: string,
  ) {}

  get hash(): Buffer {
    return Buffer.from(this.key.slice(this.key.indexOf(':') + 1), 'base64');
  }
}

/**
 * Lookups memoised: at least the phones of one campaign's checks (a memo smaller than the numbers being
 * checked in turn misses on every one: the oldest are dropped first). About 250 bytes an entry (50 MB full).
 */
const LOOKUP_MEMO_MAX = 200_000;
/** A phone number as libphonenumber writes E.164: "+", a country code, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{1,14}$/;

@Injectable()
export class IdentityService {
  /** Raw lookup value → blind index and cache key (null: not a valid identifier of that kind). */
  private readonly lookups = new BoundedMemo<string, LookupKey | null>(LOOKUP_MEMO_MAX);

  constructor(private readonly crypto: CryptoService) {}

  prepare(inputs: readonly IdentityInput[]): PreparedIdentity[] {
    const seen = new Set<string>();
    const out: PreparedIdentity[] = [];
    const add = (kind: IdentityKind, normalised: string | null) => {
      if (!normalised) return;
      const key = `${kind}\u0000${normalised}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ kind, normalised, hash: this.hash(kind, normalised) });
    };
    for (const input of inputs) {
      const normalised = normaliseIdentity(input.kind, input.value, input.region);
      add(input.kind, normalised);
      if (input.kind === 'wa_id' && normalised) add('phone', normalisePhone(normalised));
    }
    return out;
  }

  /** Key under which readers cache what a lookup by this identifier found (also the NOTIFY payload). */
  static cacheKey(kind: IdentityKind, hash: Buffer): string {
    return `${kind}:${hash.toString('base64')}`;
  }

  hash(kind: IdentityKind, normalised: string): Buffer {
    return this.crypto.blindIndex(kind, normalised);
  }

  /**
   * The identifier as a suppression lookup asks for it: its blind index under the current key, and under each
   * previous blind-index key still configured (the suppression list holds no plaintext to re-index, so entries
   * made before a rotation stay under the key that made them). Not for the hot paths' identity lookups.
   */
  suppressionKey(kind: IdentityKind, normalised: string, hash: Buffer): SuppressionKey {
    return { kind, hash, previous: this.crypto.previousBlindIndexes(kind, normalised) };
  }

  /** The cache keys of a normalised identifier under the previous blind-index keys (none: an empty array). */
  previousKeys(kind: IdentityKind, normalised: string): string[] {
    return this.crypto.previousBlindIndexes(kind, normalised).map((h) => IdentityService.cacheKey(kind, h));
  }

  /** The blind index of a raw lookup value, or null when it cannot be normalised. */
  lookupHash(kind: IdentityKind, value: string): Buffer | null {
    return this.lookupKey(kind, value)?.hash ?? null;
  }

  /**
   * lookupHash with its cache key, memoised by the raw value (the HMAC and the parse are the costly part).
   * `isKnown` (the consent check's in-memory projection) lets a phone already in E.164 skip the parse when
   * its blind index names someone known: every stored phone is libphonenumber's E.164 output, and that
   * output normalises to itself, so the raw value is its own normalised form.
   */
  lookupKey(kind: IdentityKind, value: string, isKnown?: (key: string) => boolean): LookupKey | null {
    const memoKey = `${kind}\u0000${value}`;
    const memo = this.lookups.get(memoKey);
    if (memo !== undefined) return memo;
    let rawHash: Buffer | null = null;
    if (isKnown && kind === 'phone' && E164.test(value)) {
      rawHash = this.hash(kind, value);
      const key = IdentityService.cacheKey(kind, rawHash);
      if (isKnown(key)) {
        const known = new MemoisedLookup(value, key);
        this.lookups.set(memoKey, known);
        return known;
      }
    }
    const normalised = normaliseIdentity(kind, value);
    let found: LookupKey | null = null;
    if (normalised) {
      const hash = rawHash && normalised === value ? rawHash : this.hash(kind, normalised);
      found = new MemoisedLookup(normalised, IdentityService.cacheKey(kind, hash));
    }
    this.lookups.set(memoKey, found);
    return found;
  }
}
