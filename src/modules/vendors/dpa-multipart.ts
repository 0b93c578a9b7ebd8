/**
 * multipart/form-data (RFC 7578) for the one request that records a DPA version with its document: a `dpa`
 * part (the JSON fields) and a `document` part (the file). The body is read whole, under a limit, before
 * anything is parsed: the document must be checked in full before the version is written anyway.
 */

export interface FormPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  content: Buffer;
}

/** Why a body is not the form expected, naming the part (or "body"). */
export class MultipartError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The boundary parameter of a multipart/form-data Content-Type, or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : null;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
/** A form of this request has two parts; a few more are tolerated only to name them in the refusal. */
const MAX_PARTS = 8;
const MAX_HEADER_BYTES = 4096;

/** The parts of a multipart/form-data body, in order. Refuses a malformed body with MultipartError. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('body', 'is not multipart/form-data with the declared boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return parts; // the closing delimiter
    if (!body.subarray(at, at + 2).equals(CRLF)) throw malformed();
    const headersEnd = body.indexOf(HEADER_END, at + 2);
    if (headersEnd < 0 || headersEnd - at > MAX_HEADER_BYTES) throw malformed();
    const headers = parseHeaders(body.subarray(at + 2, headersEnd).toString('utf8'));
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4);
    if (next < 0) throw malformed();
    if (parts.length === MAX_PARTS) throw new MultipartError('body', `has more than ${MAX_PARTS} parts`);
    parts.push({ ...headers, content: body.subarray(headersEnd + 4, next) });
    at = next + CRLF.length;
  }
}

const malformed = () => new MultipartError('body', 'is not a well-formed multipart/form-data body');

function parseHeaders(text: string): Omit<FormPart, 'content'> {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) throw malformed();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) throw malformed();
  const name = param(disposition, 'name');
  if (name === null) throw malformed();
  return { name, filename: param(disposition, 'filename'), contentType };
}

/** A quoted or bare parameter of Content-Disposition (browsers send quoted UTF-8 names). */
function param(header: string, key: string): string | null {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(header);
  if (!match) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}
