import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import { SqlBlindIndexedColumn, SqlSealedColumn } from '../../platform/crypto/sql-sealed-column';
import { outboxContactPlace, subscriptionSecretPlace } from './event-sealed-places';
import { requestPlace, type RequestSealedColumn, taskEvidencePlace } from './request-identifier';

/**
 * The requests module's encrypted columns and the blind index of a request's identifier, for keys:rotate and
 * keys:status. The dedupe key's index (dedupe_key_hash) has no plaintext to re-index from: a retry sent across a
 * blind-index rotation is not recognised as one (dedupe keys are short-lived idempotency keys).
 */
@Injectable()
export class RequestsSealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
  ) {}

  onModuleInit(): void {
    const str = (v: unknown) => String(v);
    const requestColumns: [RequestSealedColumn, string][] = [
      ['identifier_ciphertext', 'identifier_key_id'],
      ['changes_ciphertext', 'changes_key_id'],
      ['verification_note_ciphertext', 'verification_note_key_id'],
    ];
    this.columns.register(
      ...requestColumns.map(
        ([column, keyIdColumn]) =>
          new SqlSealedColumn(this.data, this.crypto, {
            table: 'data_subject_request',
            column,
            keyIdColumn,
            rowId: 'id',
            placeColumns: ['id'],
            place: (r) => requestPlace(column, str(r.id)),
          }),
      ),
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'request_task',
        column: 'evidence_ciphertext',
        keyIdColumn: 'evidence_key_id',
        rowId: 'id',
        placeColumns: ['id'],
        place: (r) => taskEvidencePlace(str(r.id)),
      }),
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'event_subscription',
        column: 'secret',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['id'],
        place: (r) => subscriptionSecretPlace(str(r.id)),
      }),
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'event_outbox',
        column: 'sealed_contact',
        keyIdColumn: 'contact_key_id',
        rowId: 'id',
        placeColumns: ['subscription_id', 'request_id'],
        place: (r) => outboxContactPlace(str(r.subscription_id), str(r.request_id)),
      }),
    );
    this.columns.registerBlindIndexed(
      new SqlBlindIndexedColumn(this.data, this.crypto, {
        table: 'data_subject_request',
        hashColumn: 'identifier_hash',
        column: 'identifier_ciphertext',
        keyIdColumn: 'identifier_key_id',
        rowId: 'id',
        placeColumns: ['id', 'identifier_kind'],
        place: (r) => requestPlace('identifier_ciphertext', str(r.id)),
        placeUsesHash: false,
        // The ledger's namespace for the kind (RequestIdentifiers.seal indexes as IdentityService.prepare does).
        index: (r, plaintext) => ({ namespace: str(r.identifier_kind), value: plaintext }),
      }),
    );
  }
}
