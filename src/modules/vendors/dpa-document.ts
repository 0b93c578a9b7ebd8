import { DPA_DOCUMENT_TYPES, type DpaDocumentType } from './registry.types';

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
