import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConsentStatus } from '../ledger/ledger.types';

export interface StateRow {
  subject_id: string;
  purpose: string;
  channel: string;
  scope: string;
  status: ConsentStatus;
  captured_at: Date;
  source: string;
  event_id: string;
  method: string | null;
  legal_basis: string | null;
}

export interface IdentityRow {
  subject_id: string;
  kind: string;
  value_ciphertext: Buffer;
  key_id: string;
}

/**
 * The people a batch pushes, as the ledger holds them now: their consent states and their (sealed)
 * identifiers. Two queries per batch, whatever its size.
 */
// cross-module: reads the ledger's consent_state, consent_event and subject_identity tables; to be
// replaced by LedgerReader.personsForPush(subjectIds) from the ledger module, here in one place.
@Injectable()
export class PersonSnapshotRepository {
  constructor(private readonly dataSource: DataSource) {}

  // raw SQL: = ANY($1) over the batch's people, one round trip each.
  async states(subjectIds: readonly string[]): Promise<StateRow[]> {
    return this.dataSource.query(
      `SELECT cs.subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id,
              ce.method, ce.legal_basis
         FROM consent_state cs JOIN consent_event ce ON ce.id = cs.event_id
        WHERE cs.subject_id = ANY($1) ORDER BY cs.purpose, cs.channel, cs.scope`,
      [subjectIds],
    );
  }

  // raw SQL: = ANY($1) over the batch's people, one round trip.
  async identities(subjectIds: readonly string[]): Promise<IdentityRow[]> {
    return this.dataSource.query(
      `SELECT subject_id, kind, value_ciphertext, key_id FROM subject_identity
        WHERE subject_id = ANY($1) AND kind IN ('phone','wa_id','email') ORDER BY created_at`,
      [subjectIds],
    );
  }
}
