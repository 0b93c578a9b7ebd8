import { Injectable } from '@nestjs/common';
import { CryptoService } from '../../platform/crypto/crypto.service';
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

/** Seals and opens request payloads (AES-256-GCM under the gateway's key, as other sealed columns). */
@Injectable()
export class RequestPayloads {
  constructor(private readonly crypto: CryptoService) {}

  seal(payload: RequestPayload): SealedPayload {
    return this.crypto.seal(JSON.stringify(payload));
  }

  open(sealed: { ciphertext: Buffer | null; keyId: string | null }): RequestPayload {
    if (!sealed.ciphertext || !sealed.keyId) return {};
    return JSON.parse(
      this.crypto.openText({ ciphertext: sealed.ciphertext, keyId: sealed.keyId }),
    ) as RequestPayload;
  }
}
