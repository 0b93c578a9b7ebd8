import { Injectable, Logger } from '@nestjs/common';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { CryptoService, sealedAt, UnreadableCiphertextError } from '../../platform/crypto/crypto.service';
import { IdentityService, normalisePhone } from '../ledger';
import type { RequestIdentifierKind } from './requests.types';

/** What a request was made with, normalised, sealed and blind-indexed as the ledger keeps identifiers. */
export interface SealedIdentifier {
  kind: RequestIdentifierKind;
  hash: Buffer | null;
  ciphertext: Buffer | null;
  keyId: string | null;
}

export interface Contact {
  phone?: string;
  email?: string;
}

/** A phone number for display: its calling code and last three digits (+49 ••• ••• 789). */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 6) return '•••';
  const country = parsePhoneNumberFromString(e164)?.countryCallingCode ?? digits.slice(0, 2);
  return `+${country} ••• ••• ${digits.slice(-3)}`;
}

/** An email address for display: its first letter and its domain (j•••@example.com). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}

/** A request's sealed columns, bound to the request (its id is made before the insert: see RequestService.create). */
export type RequestSealedColumn =
  'identifier_ciphertext' | 'changes_ciphertext' | 'verification_note_ciphertext';

/** Where a request's sealed value lives (associated data): a ciphertext copied to another request does not open. */
export function requestPlace(column: RequestSealedColumn, requestId: string): string {
  return sealedAt('data_subject_request', column, requestId);
}

/** Where a task's evidence lives (associated data). */
export function taskEvidencePlace(taskId: string): string {
  return sealedAt('request_task', 'evidence_ciphertext', taskId);
}

/** Seals, opens and masks the identifiers and free texts of requests; `place` binds each to where it is stored. */
@Injectable()
export class RequestIdentifiers {
  private readonly logger = new Logger(RequestIdentifiers.name);

  constructor(
    private readonly crypto: CryptoService,
    private readonly identities: IdentityService,
  ) {}

  /** The identifier sealed and blind-indexed under the ledger's namespace for its kind. */
  seal(kind: 'phone' | 'email' | 'wa_id', value: string, place: string): SealedIdentifier {
    const [prepared] = this.identities.prepare([{ kind, value }]);
    const normalised = prepared?.normalised ?? value.trim();
    const sealed = this.crypto.seal(normalised, place);
    return {
      kind,
      hash: prepared?.hash ?? null,
      ciphertext: sealed.ciphertext,
      keyId: sealed.keyId,
    };
  }

  sealText(text: string, place: string): { ciphertext: Buffer; keyId: string } {
    return this.crypto.seal(text, place);
  }

  /** The text, or null: none, or it does not open at `place` (copied from another row: read as no value). */
  openText(ciphertext: Buffer | null, keyId: string | null, place: string): string | null {
    if (!ciphertext || !keyId) return null;
    try {
      return this.crypto.openText({ ciphertext, keyId }, place);
    } catch (error) {
      if (!(error instanceof UnreadableCiphertextError)) throw error;
      this.logger.warn(`A sealed value does not open at ${place.split(':')[0]}`);
      return null;
    }
  }

  /** Where an announcement may reach the person: the phone or email the request was made with. */
  contactOf(
    kind: RequestIdentifierKind | null,
    ciphertext: Buffer | null,
    keyId: string | null,
    place: string,
  ): Contact | undefined {
    const value = this.openText(ciphertext, keyId, place);
    if (!value || !kind) return undefined;
    switch (kind) {
      case 'phone':
        return { phone: value };
      case 'wa_id': {
        const phone = normalisePhone(`+${value}`);
        return phone ? { phone } : undefined;
      }
      case 'email':
        return { email: value };
      case 'subject_id':
        return undefined;
    }
  }

  /** The request's identifier for display, or null (a subject id, or forgotten). */
  masked(
    kind: RequestIdentifierKind | null,
    ciphertext: Buffer | null,
    keyId: string | null,
    place: string,
  ): string | null {
    const contact = this.contactOf(kind, ciphertext, keyId, place);
    if (contact?.phone) return maskPhone(contact.phone);
    if (contact?.email) return maskEmail(contact.email);
    return null;
  }

  static sha256Hex(text: string): string {
    return CryptoService.sha256Hex(text);
  }
}
