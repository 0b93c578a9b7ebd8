import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** An automation platform's API key: only its SHA-256 is stored. */
@Entity({ name: 'api_key' })
@Unique('uq_api_key_hash', ['key_hash'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'api_key_pkey' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  prefix!: string;

  @Column({ type: 'bytea' })
  key_hash!: Buffer;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'text', nullable: true })
  created_by!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  last_used_at!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revoked_at!: Date | null;

  /** After this instant the key is refused (401) and listed as expired; null: no expiry. */
  @Column({ type: 'timestamptz', nullable: true })
  expires_at!: Date | null;
}
