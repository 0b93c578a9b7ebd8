/**
 * Before/after of a change, for the audit log: the top-level fields whose value changed, each with its old
 * and new value. Values that could identify a person (contact details, credentials, free notes) are never
 * copied: the field is listed as changed, its values as "(hidden)". Long values are cut.
 */
const HIDDEN = /email|phone|identifier|password|secret|token|credential|note|address|key$/i;
/** Bookkeeping that changes with every write and says nothing about the change. */
const IGNORED = new Set(['updated_at', 'version', 'etag']);
const MAX_TEXT = 200;
const MAX_FIELDS = 40;

export type FieldChange = { before: unknown; after: unknown };

function shown(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  if (value === null || typeof value !== 'object') return value ?? null;
  const text = JSON.stringify(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The changed fields between two views of one entity (null when either is not an object). */
export function changesBetween(before: unknown, after: unknown): Record<string, FieldChange> | null {
  if (!isRecord(before) || !isRecord(after)) return null;
  const changes: Record<string, FieldChange> = {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const field of fields) {
    if (IGNORED.has(field)) continue;
    if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
    if (Object.keys(changes).length >= MAX_FIELDS) break;
    changes[field] = HIDDEN.test(field)
      ? { before: '(hidden)', after: '(hidden)' }
      : { before: shown(before[field]), after: shown(after[field]) };
  }
  return changes;
}

/** The name an entity is shown by in the log, from what the API answered (never a person's identifier). */
export function targetNameOf(body: unknown): string | null {
  if (!isRecord(body)) return null;
  const vendor = isRecord(body.vendor) ? body.vendor.name : undefined;
  const candidate = body.vendor_name ?? vendor ?? body.name ?? body.title ?? null;
  return typeof candidate === 'string' && candidate.trim() ? candidate.trim().slice(0, 120) : null;
}
