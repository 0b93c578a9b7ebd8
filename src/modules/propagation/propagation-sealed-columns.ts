import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { SealedColumns } from '../../platform/crypto/sealed-columns';
import { SqlSealedColumn } from '../../platform/crypto/sql-sealed-column';
import { payloadPlace } from './request-payload';

/** Propagation's encrypted column (request delivery payloads), for keys:rotate and keys:status. */
@Injectable()
export class PropagationSealedColumns implements OnModuleInit {
  constructor(
    private readonly columns: SealedColumns,
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
  ) {}

  onModuleInit(): void {
    this.columns.register(
      new SqlSealedColumn(this.data, this.crypto, {
        table: 'delivery',
        column: 'payload_ciphertext',
        keyIdColumn: 'payload_key_id',
        rowId: 'id',
        placeColumns: ['subject_id', 'operation'],
        place: (r) => payloadPlace(String(r.subject_id), String(r.operation)),
      }),
    );
  }
}
