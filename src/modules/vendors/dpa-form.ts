import type { Readable } from 'node:stream';
import { findHostileJson } from '../../platform/http/hostile-input';
import { mediaType, tooLarge } from './dpa-document';
import { boundaryOf, MultipartError, parseMultipart } from './dpa-multipart';
import { RegistryInvalidError } from './registry.errors';
import { DPA_DOCUMENT_MAX_BYTES } from './registry.types';

/** Room for the `dpa` fields and the part headers beside a document of the maximum size. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
/** Bodies larger than this are not even drained before the connection is dropped. */
const DRAIN_CAP = 4 * DPA_DOCUMENT_MAX_BYTES;

/** A file as sent: not yet checked for type, size or content. */
export interface SentDocument {
  contentType: string;
  name: string | null;
  bytes: Buffer;
}

/** The one-step form: the version's fields (JSON, to validate as CreateDpaDto) and its document, if any. */
export interface DpaForm {
  fields: unknown;
  document: SentDocument | null;
}

/** Reads a stream up to `max` bytes; past that, drains (so the client gets its 413, not a reset) and refuses. */
export async function readLimited(stream: Readable, max: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size <= max) chunks.push(buffer);
    else if (size > DRAIN_CAP) break;
  }
  if (size > max) throw tooLarge(field);
  return Buffer.concat(chunks);
}

const invalid = (field: string, message: string, detail: string) =>
  new RegistryInvalidError(detail, [{ field, message }]);

/** Guesses a missing or generic part type from the file name (some clients send octet-stream). */
function typeOf(contentType: string | null, filename: string | null): string {
  const declared = mediaType(contentType ?? undefined);
  if (declared && declared !== 'application/octet-stream') return declared;
  if (/\.pdf$/i.test(filename ?? '')) return 'application/pdf';
  if (/\.docx$/i.test(filename ?? ''))
    return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  return declared;
}

/** A file name fit to store: no control characters (PostgreSQL refuses NUL), at most 255 characters. */
export function cleanName(name: string | null | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean ? clean.slice(0, 255) : null;
}

/**
 * Reads `multipart/form-data` with a `dpa` part (JSON) and an optional `document` part (the file). Refuses
 * with a problem naming the part: a missing or repeated `dpa`, a part of another name, JSON that does not
 * parse or carries a NUL, a body over the document limit.
 */
export async function readDpaForm(body: Readable, contentType: string | undefined): Promise<DpaForm> {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw invalid('content-type', 'needs a boundary', 'The multipart body has no boundary.');
  const raw = await readLimited(body, DPA_DOCUMENT_MAX_BYTES + FORM_OVERHEAD_BYTES, 'document');
  let parts;
  try {
    parts = parseMultipart(raw, boundary);
  } catch (error) {
    if (error instanceof MultipartError)
      throw invalid(error.field, error.message, `The form ${error.message}.`);
    throw error;
  }
  const unknown = parts.find((p) => p.name !== 'dpa' && p.name !== 'document');
  if (unknown)
    throw invalid(
      unknown.name.slice(0, 64),
      'is not a part of this form',
      'Send the parts dpa and document only.',
    );
  const dpa = parts.filter((p) => p.name === 'dpa');
  const documents = parts.filter((p) => p.name === 'document');
  if (dpa.length !== 1)
    throw invalid(
      'dpa',
      dpa.length ? 'is sent more than once' : 'is required',
      'Send the fields as one dpa part (JSON).',
    );
  if (documents.length > 1) throw invalid('document', 'is sent more than once', 'Send one document.');
  let fields: unknown;
  try {
    fields = JSON.parse(dpa[0].content.toString('utf8'));
  } catch {
    throw invalid('dpa', 'is not valid JSON', 'The dpa part is not valid JSON.');
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw invalid('dpa', 'must be a JSON object', 'The dpa part must be a JSON object.');
  const hostile = findHostileJson(fields);
  if (hostile) throw invalid(hostile.field, hostile.message, `${hostile.field} ${hostile.message}`);
  const file = documents[0];
  // A browser form with no file chosen sends an empty, nameless part: no document.
  const document =
    file && (file.content.length > 0 || file.filename)
      ? {
          contentType: typeOf(file.contentType, file.filename),
          name: cleanName(file.filename),
          bytes: file.content,
        }
      : null;
  return { fields, document };
}
