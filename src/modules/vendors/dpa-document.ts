import { createHash } from 'node:crypto';
import { DpaDocumentTooLargeError, DpaDocumentTypeError, RegistryInvalidError } from './registry.errors';
import { DPA_DOCUMENT_MAX_BYTES, DPA_DOCUMENT_TYPES, type DpaDocumentType } from './registry.types';

export const tooLarge = (field: string) =>
  new DpaDocumentTooLargeError(`The document is larger than ${DPA_DOCUMENT_MAX_BYTES / 1024 / 1024} MB.`, [
    { field, message: `larger than ${DPA_DOCUMENT_MAX_BYTES} bytes` },
  ]);

/** Whether the bytes are what the declared type says: a PDF header, or a ZIP container (DOCX). */
export function matchesMagicBytes(type: DpaDocumentType, bytes: Buffer): boolean {
  switch (DPA_DOCUMENT_TYPES[type]) {
    case 'pdf':
      return bytes.subarray(0, 5).toString('latin1') === '%PDF-';
    case 'docx':
      // A local file header (PK\x03\x04) starts every non-empty OOXML package.
      return (
        bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
      );
  }
}

export function isDocumentType(value: string): value is DpaDocumentType {
  return Object.prototype.hasOwnProperty.call(DPA_DOCUMENT_TYPES, value);
}

/** The media type without parameters, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** A file name safe for Content-Disposition (ASCII fallback plus RFC 5987 filename*). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** A document that passed every check, ready to store with its version. */
export interface CheckedDocument {
  sha256: string;
  name: string | null;
  type: DpaDocumentType;
  size: number;
  content: Buffer;
}

/** Which request field a refusal names: the raw upload's header and body, or the form's document part. */
export interface DocumentFields {
  type: string;
  body: string;
}

/**
 * Checks a sent file before anything is written: one of the two types, not empty, at most 10 MB, and bytes
 * that are what the type says (a renamed executable is not a PDF).
 */
export function checkDocument(
  contentType: string,
  bytes: Buffer,
  name: string | null,
  fields: DocumentFields,
): CheckedDocument {
  if (!isDocumentType(contentType)) {
    throw new DpaDocumentTypeError('Send the document as a PDF or a Word (.docx) file.', [
      { field: fields.type, message: `must be one of ${Object.keys(DPA_DOCUMENT_TYPES).join(', ')}` },
    ]);
  }
  if (bytes.length > DPA_DOCUMENT_MAX_BYTES) throw tooLarge(fields.body);
  if (bytes.length === 0)
    throw new RegistryInvalidError('The document is empty.', [{ field: fields.body, message: 'is empty' }]);
  if (!matchesMagicBytes(contentType, bytes))
    throw new DpaDocumentTypeError(
      `The file is not a ${DPA_DOCUMENT_TYPES[contentType].toUpperCase()} document.`,
      [{ field: fields.body, message: `content does not match ${contentType}` }],
    );
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    name,
    type: contentType,
    size: bytes.length,
    content: bytes,
  };
}
