import { Injectable } from '@nestjs/common';
import { CryptoService, sealedAt } from '../../platform/crypto/crypto.service';
import type { RemotePersonRecord } from '../connectors';

/** Identifier values of a person, as a rectification names them. */
export interface IdentifierSet {
  phones: string[];
  emails: string[];
}

/**
 * What a request delivery carries beyond its ids: personal data, so sealed at rest and cleared once the request
 * completes or the person is forgotten.
 */
export interface RequestPayload {
  /** Rectification: the identifiers replaced and their corrected values (written to every record). */
  rectification?: { previous: IdentifierSet; current: IdentifierSet };
  /** A record that came back after the erasure: the vendor's ids of the records to erase again. */
  remoteIds?: string[];
  /** Access: what the vendor holds on the person, as read. */
  data?: RemotePersonRecord[];
}

export interface SealedPayload {
  ciphertext: Buffer;
  keyId: string;
}

/**
 * Where a delivery's payload is sealed (associated data): bound to its person and operation. Not to the row id:
 * one payload is planned for every connection in one statement, with ids the database generates; moving a payload
 * between the deliveries of the same person and operation exposes nothing those deliveries do not already carry.
 */
export function payloadPlace(subjectId: string, operation: string): string {
  return sealedAt('delivery', 'payload_ciphertext', subjectId, operation);
}

/** Seals and opens request payloads (AES-256-GCM under the gateway's key, as other sealed columns). */
@Injectable()
export class RequestPayloads {
  constructor(private readonly crypto: CryptoService) {}

  /** `place`: payloadPlace() of the delivery it is written to. */
  seal(payload: RequestPayload, place: string): SealedPayload {
    return this.crypto.seal(JSON.stringify(payload), place);
  }

  open(sealed: { ciphertext: Buffer | null; keyId: string | null }, place: string): RequestPayload {
    if (!sealed.ciphertext || !sealed.keyId) return {};
    return JSON.parse(
      this.crypto.openText({ ciphertext: sealed.ciphertext, keyId: sealed.keyId }, place),
    ) as RequestPayload;
  }
}
