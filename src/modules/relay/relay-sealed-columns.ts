import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import { SqlSealedColumn } from '../../platform/crypto/sql-sealed-column';
import { relayBodyPlace } from './relay-sealed-places';

/**
 * The relay's encrypted column (bodies not yet forwarded everywhere), for keys:rotate and keys:status. The sender
 * key is a blind index used only to order a sender's pending rows; rows recorded across a blind-index rotation
 * may be ordered apart for that short while, which is why it is not re-indexed.
 */
@Injectable()
export class RelaySealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
  ) {}

  onModuleInit(): void {
    this.columns.register(
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'relay_message',
        column: 'body',
        keyIdColumn: 'key_id',
        rowId: 'inbox_id',
        placeColumns: ['inbox_id'],
        place: (r) => relayBodyPlace(String(r.inbox_id)),
      }),
    );
  }
}
