import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { GateTerms } from './dpa-validity';
import { DpaDocumentEntity } from './entities/dpa-document.entity';
import { DpaEntity } from './entities/dpa.entity';
import { DPA_COLUMNS, type DpaRow } from './registry.views';
import type { DpaDocumentType } from './registry.types';

/** The governing version of a vendor's DPA, in SQL: the latest decided version, else the latest draft. */
export const GOVERNING_DPA = `ORDER BY (status IN ('signed','expired','terminated','not_required')) DESC, version DESC LIMIT 1`;

/** What a new version records (the version number is the next one, taken under the vendor's lock). */
export interface NewDpaVersion {
  status: string;
  signed_at: string | null;
  effective_from: string | null;
  expires_at: string | null;
  review_due_at: string | null;
  clauses: Record<string, boolean>;
  subprocessor_authorization: string | null;
  subprocessor_notice_days: number | null;
  breach_notification_hours: number | null;
  dsr_assistance_days: number | null;
  counterparty_signatory: string | null;
  notes: string | null;
  created_by: string | null;
}

export interface StoredDocument {
  content: Buffer;
  document_type: DpaDocumentType;
  document_name: string;
  document_sha256: string;
}

/**
 * The dpa and dpa_document tables. Rows are only added; the dpa_keep_history trigger in the database
 * refuses deletes, a replaced document, and any change to a version's facts.
 */
@Injectable()
export class DpaRepository {
  constructor(@InjectRepository(DpaEntity) private readonly repo: Repository<DpaEntity>) {}

  /** Runs `work` in one transaction. */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  /** raw SQL: calendar days are read as text, so no time zone shifts them (DPA_COLUMNS). */
  async findRow(id: string): Promise<DpaRow | null> {
    const rows: DpaRow[] = await this.repo.query(`SELECT ${DPA_COLUMNS} FROM dpa d WHERE d.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** raw SQL: days as text (DPA_COLUMNS). Every version of these vendors, newest first per vendor. */
  versionsOf(vendorIds: readonly string[]): Promise<DpaRow[]> {
    return this.repo.query(
      `SELECT ${DPA_COLUMNS} FROM dpa d WHERE d.vendor_id = ANY($1) ORDER BY d.vendor_id, d.version DESC`,
      [vendorIds],
    );
  }

  /** raw SQL: the governing-version order (GOVERNING_DPA) is an expression, days read as text. */
  async governingTermsOfVendor(vendorId: string): Promise<GateTerms | null> {
    const rows: GateTerms[] = await this.repo.query(
      `SELECT status, signed_at::text AS signed_at, effective_from::text AS effective_from,
              expires_at::text AS expires_at, clauses, document_sha256 IS NOT NULL AS has_document
         FROM dpa WHERE vendor_id = $1 ${GOVERNING_DPA}`,
      [vendorId],
    );
    return rows[0] ?? null;
  }

  /**
   * raw SQL: the version number is computed in the insert itself (the caller holds the vendor's lock),
   * so two versions never get one number.
   */
  async insertNextVersion(
    manager: EntityManager,
    vendorId: string,
    v: NewDpaVersion,
  ): Promise<{ id: string; version: number }> {
    const rows: { id: string; version: number }[] = await manager.query(
      `INSERT INTO dpa (vendor_id, version, status, signed_at, effective_from, expires_at, review_due_at, clauses,
          subprocessor_authorization, subprocessor_notice_days, breach_notification_hours, dsr_assistance_days,
          counterparty_signatory, notes, created_by)
       VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM dpa WHERE vendor_id = $1), $2, $3, $4, $5, $6, $7,
               $8, $9, $10, $11, $12, $13, $14)
       RETURNING id, version`,
      [
        vendorId,
        v.status,
        v.signed_at,
        v.effective_from,
        v.expires_at,
        v.review_due_at,
        JSON.stringify(v.clauses),
        v.subprocessor_authorization,
        v.subprocessor_notice_days,
        v.breach_notification_hours,
        v.dsr_assistance_days,
        v.counterparty_signatory,
        v.notes,
        v.created_by,
      ],
    );
    return rows[0];
  }

  /**
   * raw SQL: one statement moves the status (stamping when and why only if it moves) and the review date,
   * each from the row's current value.
   */
  async moveOn(
    id: string,
    change: { status: string | null; reason: string | null; review_due_at: string | null },
  ): Promise<void> {
    await this.repo.query(
      `UPDATE dpa SET status = coalesce($2, status),
              status_changed_at = CASE WHEN $2::text IS NULL THEN status_changed_at ELSE now() END,
              status_reason = CASE WHEN $2::text IS NULL THEN status_reason ELSE $3 END,
              terminated_at = CASE WHEN $2 = 'terminated' THEN now() ELSE terminated_at END,
              review_due_at = coalesce($4::date, review_due_at), updated_at = now()
        WHERE id = $1`,
      [id, change.status, change.reason, change.review_due_at],
    );
  }

  /**
   * Records the document's facts on a version that has none yet, and stores its bytes, in the caller's
   * transaction. False when the version already had a document (a concurrent upload won).
   */
  async attachDocument(
    manager: EntityManager,
    id: string,
    document: { sha256: string; name: string; type: string; size: number; content: Buffer },
  ): Promise<boolean> {
    const result = await manager
      .getRepository(DpaEntity)
      .createQueryBuilder()
      .update()
      .set({
        document_sha256: document.sha256,
        document_name: document.name,
        document_type: document.type,
        document_size: document.size,
        document_uploaded_at: () => 'now()',
        updated_at: () => 'now()',
      })
      .where('id = :id AND document_sha256 IS NULL', { id })
      .execute();
    if (result.affected !== 1) return false;
    await manager.getRepository(DpaDocumentEntity).insert({ dpa_id: id, content: document.content });
    return true;
  }

  /** raw SQL: a join of the version with its stored bytes. */
  async document(id: string): Promise<StoredDocument | null> {
    const rows: StoredDocument[] = await this.repo.query(
      `SELECT f.content, d.document_type, d.document_name, d.document_sha256
           FROM dpa d JOIN dpa_document f ON f.dpa_id = d.id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }
}
