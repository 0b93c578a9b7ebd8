import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The controller named on consent receipts and access exports: one row, once someone fills it in. */
@Entity({ name: 'controller_settings' })
@Check('ck_controller_settings_single', 'id = 1')
export class ControllerSettingsEntity {
  @PrimaryColumn({ type: 'smallint', default: 1, primaryKeyConstraintName: 'controller_settings_pkey' })
  id!: number;

  @Column({ type: 'text' })
  name!: string;

  /** Who to contact about personal data (a role or a person, e.g. "Data Protection Officer"). */
  @Column({ type: 'text' })
  contact!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  address!: string;

  @Column({ type: 'text', nullable: true })
  privacy_policy_url!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updated_at!: Date;

  /** The console user or API key that saved it (their name, as the audit log names them). */
  @Column({ type: 'text', nullable: true })
  updated_by!: string | null;
}
