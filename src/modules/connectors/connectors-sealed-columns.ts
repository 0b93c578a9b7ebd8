import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import {
  SqlBlindIndexedColumn,
  type SqlBlindIndexedSpec,
  SqlSealedColumn,
} from '../../platform/crypto/sql-sealed-column';
import { credentialsPlace } from './connection.service';
import { remoteIdPlace } from './record-links.service';

/**
 * The connectors' encrypted columns (credentials, the CRM record ids linked or unmatched) and the blind indexes of
 * those record ids, for keys:rotate and keys:status.
 */
@Injectable()
export class ConnectorsSealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
  ) {}

  onModuleInit(): void {
    const str = (v: unknown) => String(v);
    this.columns.register(
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'connection',
        column: 'credentials',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['id'],
        place: (r) => credentialsPlace(str(r.id)),
      }),
      ...(['connection_record', 'connection_unmatched'] as const).map(
        (table) =>
          new SqlSealedColumn(this.data, this.crypto, {
            table,
            column: 'remote_id_ciphertext',
            keyIdColumn: 'key_id',
            rowId:
              table === 'connection_record'
                ? `connection_id::text || ':' || subject_id::text`
                : `connection_id::text || ':' || encode(remote_id_hash, 'hex') || ':' || field`,
            placeColumns: ['connection_id', 'remote_id_hash'],
            place: (r) => remoteIdPlace(table, str(r.connection_id), r.remote_id_hash as Buffer),
          }),
      ),
    );
    this.columns.registerBlindIndexed(
      ...(['connection_record', 'connection_unmatched'] as const).map(
        (table) =>
          new SqlBlindIndexedColumn(this.data, this.crypto, {
            table,
            hashColumn: 'remote_id_hash',
            column: 'remote_id_ciphertext',
            keyIdColumn: 'key_id',
            rowId:
              table === 'connection_record'
                ? `connection_id::text || ':' || subject_id::text`
                : `connection_id::text || ':' || encode(remote_id_hash, 'hex') || ':' || field`,
            placeColumns: ['connection_id'],
            place: (r, hash) => remoteIdPlace(table, str(r.connection_id), hash),
            placeUsesHash: true,
            // The namespace RecordLinksService.hash uses.
            index: (r, plaintext) => ({ namespace: `remote:${str(r.connection_id)}`, value: plaintext }),
          } satisfies SqlBlindIndexedSpec),
      ),
    );
  }
}
