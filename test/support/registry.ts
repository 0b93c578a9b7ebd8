import { createHash } from 'node:crypto';
import { json, type TestApp } from './app';

/** The eight Art. 28(3)(a)-(h) clauses, all ticked: what a complete agreement binds the processor to. */
export const ALL_CLAUSES = {
  documented_instructions: true,
  confidentiality: true,
  security_measures: true,
  sub_processor_conditions: true,
  assists_with_dsr: true,
  assists_with_32_36: true,
  deletion_or_return: true,
  audit_rights: true,
} as const;

/** The smallest file that is a PDF by its magic bytes. */
export const TINY_PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

export interface FormFile {
  bytes: Buffer;
  type?: string;
  name?: string;
}

/** A multipart/form-data body for POST /v1/vendors/{id}/dpas: the `dpa` JSON part and a `document` part. */
export function dpaFormBody(fields: unknown, file?: FormFile | null): { body: Buffer; contentType: string } {
  const boundary = `----dpa${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
  const chunks: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="dpa"\r\nContent-Type: application/json\r\n\r\n` +
        `${JSON.stringify(fields)}\r\n`,
    ),
  ];
  if (file) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="${file.name ?? 'dpa.pdf'}"\r\n` +
          `Content-Type: ${file.type ?? 'application/pdf'}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Sends the one-step form (fields and document) as `key` (the bootstrap key by default). */
export function postDpaForm(
  gw: TestApp,
  vendorId: string,
  fields: unknown,
  file?: FormFile | null,
  key?: string,
): Promise<Response> {
  const { body, contentType } = dpaFormBody(fields, file);
  return gw.api(`/v1/vendors/${vendorId}/dpas`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    ...(key ? { key } : {}),
  });
}

/**
 * Records a complete, valid DPA for the vendor through the API: signed (2025-01-01 unless `over` says
 * otherwise), every Art. 28(3) clause, with a PDF. The DPA gate opens for the vendor's connections.
 */
export async function createValidDpa(
  gw: TestApp,
  vendorId: string,
  over: Record<string, unknown> = {},
): Promise<{ id: string; version: number; valid: boolean }> {
  const res = await postDpaForm(
    gw,
    vendorId,
    { status: 'signed', signed_at: '2025-01-01', clauses: ALL_CLAUSES, ...over },
    { bytes: TINY_PDF },
  );
  if (res.status !== 201) throw new Error(`DPA not recorded: ${res.status} ${await res.text()}`);
  return json(res);
}

/**
 * The same in SQL, for tests without the API: version 1, signed yesterday, every clause, with its document
 * row (a version counts only with its document).
 */
export async function insertValidDpa(
  query: (sql: string, params?: unknown[]) => Promise<unknown>,
  vendorId: string,
): Promise<void> {
  const sha256 = createHash('sha256').update(TINY_PDF).digest('hex');
  await query(
    `WITH v AS (
       INSERT INTO dpa (vendor_id, version, status, signed_at, clauses, document_sha256, document_name,
                        document_type, document_size, document_uploaded_at)
       VALUES ($1, 1, 'signed', current_date - 1, $2, $3, 'dpa.pdf', 'application/pdf', $4, now()) RETURNING id)
     INSERT INTO dpa_document (dpa_id, content) SELECT id, $5 FROM v`,
    [vendorId, JSON.stringify(ALL_CLAUSES), sha256, TINY_PDF.length, TINY_PDF],
  );
}
