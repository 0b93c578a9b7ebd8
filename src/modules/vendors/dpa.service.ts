import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DpaRepository } from './dpa.repository';
import {
  checkDocument,
  isDocumentType,
  mediaType,
  tooLarge,
  type CheckedDocument,
  type DocumentFields,
} from './dpa-document';
import { readLimited, type SentDocument } from './dpa-form';
import { governingVersion, utcDay } from './dpa-validity';
import type { CreateDpaDto, UpdateDpaDto } from './dto/dpa.dto';
import {
  DpaDocumentTypeError,
  DpaNotFoundError,
  RegistryConflictError,
  RegistryInvalidError,
  VendorNotFoundError,
} from './registry.errors';
import { dpaPosition, dpaView, type DpaRow } from './registry.views';
import { VendorRepository } from './vendor.repository';
import {
  DPA_CLAUSES,
  DPA_DOCUMENT_MAX_BYTES,
  DPA_DOCUMENT_TYPES,
  type DpaDocumentType,
  type DpaStatus,
} from './registry.types';

/** Status moves a version may make without rewriting what was agreed; anything else is a new version. */
const TRANSITIONS: Record<DpaStatus, readonly DpaStatus[]> = {
  draft: ['in_negotiation', 'terminated'],
  in_negotiation: ['terminated'],
  signed: ['expired', 'terminated'],
  not_required: ['terminated'],
  expired: [],
  terminated: [],
};

export interface DocumentUpload {
  contentType: string | undefined;
  contentLength: string | undefined;
  body: unknown;
  name?: string;
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

/** The raw upload (PUT) names the header and the body; the one-step form names its document part. */
const RAW_UPLOAD: DocumentFields = { type: 'content-type', body: 'body' };
const FORM_UPLOAD: DocumentFields = { type: 'document', body: 'document' };

/** Called after a DPA version is recorded or moved on: the vendor's coverage may have changed. */
export type CoverageChangedHook = (vendorId: string) => Promise<void>;

/** Data-processing agreements: versions only ever added, each with its signed document and SHA-256. */
@Injectable()
export class DpaService {
  private readonly coverageHooks: CoverageChangedHook[] = [];

  constructor(
    private readonly dpaRows: DpaRepository,
    private readonly vendorRows: VendorRepository,
  ) {}

  private async row(id: string): Promise<DpaRow> {
    const row = await this.dpaRows.findRow(id);
    if (!row) throw new DpaNotFoundError(`No DPA ${id}`);
    return row;
  }

  async versionsOf(vendorIds: readonly string[]): Promise<Map<string, DpaRow[]>> {
    const byVendor = new Map<string, DpaRow[]>(vendorIds.map((id) => [id, []]));
    if (vendorIds.length === 0) return byVendor;
    for (const row of await this.dpaRows.versionsOf(vendorIds)) byVendor.get(row.vendor_id)?.push(row);
    return byVendor;
  }

  async get(id: string) {
    const row = await this.row(id);
    const versions = (await this.versionsOf([row.vendor_id])).get(row.vendor_id) ?? [];
    return { ...dpaView(row, utcDay()), governing: governingVersion(versions)?.id === row.id };
  }

  /** The history of a vendor's agreement, newest first, and the version that governs today. */
  async history(vendorId: string) {
    await this.vendorExists(vendorId);
    const versions = (await this.versionsOf([vendorId])).get(vendorId) ?? [];
    const day = utcDay();
    const position = dpaPosition(versions, day);
    return {
      vendor_id: vendorId,
      current: position.dpa,
      dpa_status: position.dpa_status,
      dpa_valid: position.dpa_valid,
      versions: versions.map((v) => dpaView(v, day)),
    };
  }

  private async vendorExists(vendorId: string): Promise<void> {
    if (!(await this.vendorRows.exists(vendorId))) throw new VendorNotFoundError(`No vendor ${vendorId}`);
  }

  /**
   * Records the next version, with its document when one is sent, in one transaction: a refused document
   * (checked in full before anything is written) leaves no version behind. The versions before it stay
   * untouched. Announces that the vendor's coverage may have changed.
   */
  async create(vendorId: string, input: CreateDpaDto, createdBy: string | null, sent?: SentDocument | null) {
    const problems: { field: string; message: string }[] = [];
    if (input.status === 'signed' && !input.signed_at)
      problems.push({ field: 'signed_at', message: 'is required for a signed agreement' });
    if (input.effective_from && input.expires_at && input.expires_at <= input.effective_from)
      problems.push({ field: 'expires_at', message: 'must be after the day it takes effect' });
    if (input.subprocessor_authorization === 'general_with_notice' && input.subprocessor_notice_days == null)
      problems.push({
        field: 'subprocessor_notice_days',
        message: 'is required when sub-processors are authorised in general, with notice',
      });
    if (problems.length)
      throw new RegistryInvalidError(problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
    const document = sent ? checkDocument(sent.contentType, sent.bytes, sent.name, FORM_UPLOAD) : null;
    const clauses = Object.fromEntries(DPA_CLAUSES.map((c) => [c, input.clauses?.[c] === true]));
    const id = await this.dpaRows.inTransaction(async (manager) => {
      if (!(await this.vendorRows.lock(manager, vendorId)))
        throw new VendorNotFoundError(`No vendor ${vendorId}`);
      const version = await this.dpaRows.insertNextVersion(manager, vendorId, {
        status: input.status,
        signed_at: input.signed_at ?? null,
        effective_from: input.effective_from ?? null,
        expires_at: input.expires_at ?? null,
        review_due_at: input.review_due_at ?? null,
        clauses,
        subprocessor_authorization: input.subprocessor_authorization ?? null,
        subprocessor_notice_days: input.subprocessor_notice_days ?? null,
        breach_notification_hours: input.breach_notification_hours ?? null,
        dsr_assistance_days: input.dsr_assistance_days ?? null,
        counterparty_signatory: input.counterparty_signatory ?? null,
        notes: input.notes ?? null,
        created_by: createdBy,
      });
      if (document) await this.dpaRows.attachDocument(manager, version.id, named(document, version.version));
      return version.id;
    });
    await this.announceCoverage(vendorId);
    return this.get(id);
  }

  /**
   * Registers work to do when a vendor's DPA may have become valid or invalid (propagation releases what
   * it held for want of one). The registry announces; it does not act on deliveries itself.
   */
  onCoverageMayHaveChanged(hook: CoverageChangedHook): void {
    this.coverageHooks.push(hook);
  }

  private async announceCoverage(vendorId: string): Promise<void> {
    for (const hook of this.coverageHooks) await hook(vendorId);
  }

  /** Moves a version on (negotiating, expired, terminated) or reschedules its review. */
  async update(id: string, input: UpdateDpaDto) {
    const row = await this.row(id);
    const versions = (await this.versionsOf([row.vendor_id])).get(row.vendor_id) ?? [];
    const superseded = versions.some(
      (v) =>
        v.version > row.version && ['signed', 'expired', 'terminated', 'not_required'].includes(v.status),
    );
    if (superseded && input.status)
      throw new RegistryConflictError(`Version ${row.version} is superseded; it is history.`, [
        { field: 'status', message: 'a later version governs' },
      ]);
    if (input.status && !TRANSITIONS[row.status].includes(input.status))
      throw new RegistryConflictError(
        `A ${row.status} DPA cannot become ${input.status}; record a new version.`,
        [{ field: 'status', message: `not allowed from ${row.status}` }],
      );
    await this.dpaRows.moveOn(id, {
      status: input.status ?? null,
      reason: input.reason ?? null,
      review_due_at: input.review_due_at ?? null,
    });
    await this.announceCoverage(row.vendor_id);
    return this.get(id);
  }

  /**
   * Attaches the signed agreement to a version that has none (recorded before the one-step form, or
   * through the JSON API), checked by type, size and magic bytes, with its SHA-256. A signed version may
   * become complete, and so valid: the vendor's coverage is announced.
   */
  async uploadDocument(id: string, upload: DocumentUpload) {
    const type = mediaType(upload.contentType);
    if (!isDocumentType(type) || !isReadable(upload.body)) {
      throw new DpaDocumentTypeError('Send the document as application/pdf or a .docx file.', [
        { field: 'content-type', message: `must be one of ${Object.keys(DPA_DOCUMENT_TYPES).join(', ')}` },
      ]);
    }
    const declared = Number(upload.contentLength);
    const body = await readLimited(upload.body, DPA_DOCUMENT_MAX_BYTES, 'body');
    if (Number.isFinite(declared) && declared > DPA_DOCUMENT_MAX_BYTES) throw tooLarge('body');
    const document = checkDocument(type, body, upload.name?.trim() || null, RAW_UPLOAD);
    const row = await this.row(id);
    if (row.document_sha256)
      throw new RegistryConflictError('This version already has its document; record a new version.', [
        { field: 'body', message: 'document already stored' },
      ]);
    const stored = await this.dpaRows.inTransaction((manager) =>
      this.dpaRows.attachDocument(manager, id, named(document, row.version)),
    );
    if (!stored)
      throw new RegistryConflictError('This version already has its document.', [
        { field: 'body', message: 'document already stored' },
      ]);
    await this.announceCoverage(row.vendor_id);
    return this.get(id);
  }

  async document(
    id: string,
  ): Promise<{ content: Buffer; type: DpaDocumentType; name: string; sha256: string }> {
    const stored = await this.dpaRows.document(id);
    if (!stored) {
      await this.row(id);
      throw new DpaNotFoundError(`DPA ${id} has no document yet`);
    }
    return {
      content: stored.content,
      type: stored.document_type,
      name: stored.document_name,
      sha256: stored.document_sha256,
    };
  }
}

/** The document with the name it is stored under: as sent, else "dpa-v3.pdf". */
function named(document: CheckedDocument, version: number) {
  const name = document.name?.trim() || `dpa-v${version}.${DPA_DOCUMENT_TYPES[document.type]}`;
  return { ...document, name: name.slice(0, 255) };
}
