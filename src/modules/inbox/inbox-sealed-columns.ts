import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import { SqlSealedColumn } from '../../platform/crypto/sql-sealed-column';
import { rawBodyPlace } from './inbox-sealed-places';

/** The inbox's encrypted column (raw webhook bodies until purged), for keys:rotate and keys:status. */
@Injectable()
export class InboxSealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
  ) {}

  onModuleInit(): void {
    this.columns.register(
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'inbox',
        column: 'raw_body',
        keyIdColumn: 'key_id',
        rowId: 'id',
        placeColumns: ['provider', 'delivery_id'],
        place: (r) => rawBodyPlace(String(r.provider), String(r.delivery_id)),
      }),
    );
  }
}
