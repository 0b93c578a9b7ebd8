import { Injectable } from '@nestjs/common';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { IdentityInput, IdentityKind } from './ledger.types';

export interface PreparedIdentity {
  kind: IdentityKind;
  normalised: string;
  hash: Buffer;
}

/** E.164 form of a phone number, or null when it is not a valid number. Accepts WhatsApp's digits-only form. */
export function normalisePhone(value: string): string | null {
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > 32) return null;
  const candidate = trimmed.startsWith('+') ? trimmed : `+${trimmed.replace(/^00/, '')}`;
  const parsed = parsePhoneNumberFromString(candidate);
  return parsed && parsed.isValid() ? parsed.number : null;
}

export function normaliseIdentity(kind: IdentityKind, value: string): string | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  switch (kind) {
    case 'phone':
      return normalisePhone(trimmed);
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
@Injectable()
export class IdentityService {
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
      const normalised = normaliseIdentity(input.kind, input.value);
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

  /** The blind index of a raw lookup value, or null when it cannot be normalised. */
  lookupHash(kind: IdentityKind, value: string): Buffer | null {
    const normalised = normaliseIdentity(kind, value);
    return normalised ? this.hash(kind, normalised) : null;
  }
}
