import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { DpaEntity } from './dpa.entity';

/** The signed agreement of one DPA version, stored once (the dpa_keep_history trigger refuses a replacement). */
@Entity({ name: 'dpa_document' })
export class DpaDocumentEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'dpa_document_pkey' })
  dpa_id!: string;

  @Column({ type: 'bytea' })
  content!: Buffer;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @OneToOne(() => DpaEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'dpa_id', foreignKeyConstraintName: 'fk_dpa_document_dpa' })
  dpa?: DpaEntity;
}
