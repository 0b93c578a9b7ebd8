import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import {
  type PersonKeys,
  SqlBlindIndexedColumn,
  SqlSealedColumn,
} from '../../platform/crypto/sql-sealed-column';
import { Notifications } from '../../platform/database/notifications';
import { IdentityService } from './identity.service';
import { IDENTITY_ADDED_CHANNEL } from './ledger.channels';
import type { IdentityKind } from './ledger.types';
import { evidencePlace, identityPlace, wrappedKeyPlace } from './sealed-places';
import { SubjectKeyService } from './subject-keys.service';

/**
 * The ledger's encrypted and blind-indexed columns, for keys:rotate and keys:status. Person keys are re-wrapped
 * under the current master key (subject_key); values under a person's key stay under it (re-bound to their place
 * if they are from before binding). The suppression list is not here: it holds blind indexes only, no plaintext to
 * re-index from (lookups search the previous blind-index keys instead, see IdentityService.suppressionKey).
 */
@Injectable()
export class LedgerSealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
    private readonly keys: SubjectKeyService,
    private readonly notifications: Notifications,
  ) {}

  onModuleInit(): void {
    const personKeys: PersonKeys = { prefix: 'sk:', keysOf: (owners) => this.keys.dataKeysOf(owners) };
    const str = (v: unknown) => String(v);
    this.columns.register(
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'subject_key',
        column: 'wrapped_key',
        keyIdColumn: 'key_id',
        rowId: 'subject_id',
        placeColumns: ['subject_id'],
        place: (r) => wrappedKeyPlace(str(r.subject_id)),
      }),
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'subject_identity',
        column: 'value_ciphertext',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['kind', 'value_hash'],
        place: (r) => identityPlace(str(r.kind), r.value_hash as Buffer),
        personKeys,
      }),
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'consent_event',
        column: 'sealed_evidence',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['source', 'source_event_id'],
        place: (r) => evidencePlace(str(r.source), str(r.source_event_id)),
        personKeys,
        // The ledger is append-only: its trigger lets this setting change the ciphertext and key id, nothing else.
        unlock: `SET LOCAL consent_gateway.rekey = 'on'`,
      }),
    );
    this.columns.registerBlindIndexed(
      new SqlBlindIndexedColumn(this.data, this.crypto, {
        table: 'subject_identity',
        hashColumn: 'value_hash',
        column: 'value_ciphertext',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['kind'],
        place: (r, hash) => identityPlace(str(r.kind), hash),
        placeUsesHash: true,
        index: (r, plaintext) => ({ namespace: str(r.kind), value: plaintext }),
        personKeys,
        // Running gateways may have cached "nobody is known by this" for an index not yet re-indexed.
        onReindexed: (manager, rows) =>
          this.notifications.notifyEach(
            manager,
            IDENTITY_ADDED_CHANNEL,
            rows.map((r) => IdentityService.cacheKey(str(r.row.kind) as IdentityKind, r.hash)),
          ),
      }),
    );
  }
}
