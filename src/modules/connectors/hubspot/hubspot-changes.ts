import { type ChangeBatch, PermanentError, type RemoteContact } from '../connector.port';
import {
  HUBSPOT_POLL_MAX_PAGES,
  HUBSPOT_POLL_OVERLAP_MS,
  HUBSPOT_SEARCH_MAX_RESULTS,
  HUBSPOT_SEARCH_PAGE_SIZE,
} from './hubspot.constants';
import { fromHubspotContact, HUBSPOT_MODIFIED_PROPERTY, type HubspotContactLike } from './hubspot.mapper';

/**
 * The HubSpot change poll: contacts whose `lastmodifieddate` is at or after the cursor, oldest first
 * (reference §3, polling). Every changed contact is reported, with or without consent: a new record must be
 * linked to its person too.
 *
 * The cursor is `<stamp ms>|<id>:<ms>,…`: the newest lastmodifieddate read, and every (contact, change) read
 * within the overlap before it. Each poll re-reads that overlap (the search index lags writes) and drops what
 * it already reported; a contact changed again has a new stamp and is reported again.
 */

/** One page of a contact search, as the SDK returns it. */
export interface ChangeSearchPage {
  total: number;
  results: HubspotContactLike[];
  paging?: { next?: { after: string } };
}

/** Searches contacts with lastmodifieddate ≥ sinceMs, ascending, from result `after` on. */
export type ChangeSearch = (request: {
  sinceMs: number;
  after: number;
  limit: number;
}) => Promise<ChangeSearchPage>;

/**
 * Most (contact, change) pairs kept in a cursor. Past it the oldest are dropped: such a change may be
 * reported twice, which costs nothing (the importer recognises a change it already recorded) but keeps the
 * cursor small after a bulk import.
 */
const MAX_SEEN = 2_000;

interface Cursor {
  stamp: number;
  /** `${id}:${ms}` → ms. */
  seen: Map<string, number>;
}

export function formatChangeCursor(cursor: Cursor): string {
  const entries = [...cursor.seen]
    .filter(([, ms]) => ms >= cursor.stamp - HUBSPOT_POLL_OVERLAP_MS)
    .sort((a, b) => a[1] - b[1])
    .slice(-MAX_SEEN)
    .map(([key]) => key);
  return `${cursor.stamp}|${entries.join(',')}`;
}

export function parseChangeCursor(text: string): Cursor {
  const [rawStamp, rawSeen = ''] = text.split('|');
  const stamp = /^\d+$/.test(rawStamp) ? Number(rawStamp) : NaN;
  if (!Number.isSafeInteger(stamp)) throw new PermanentError('invalid HubSpot poll cursor');
  const seen = new Map<string, number>();
  for (const key of rawSeen.split(',').filter(Boolean)) {
    const ms = Number(key.slice(key.lastIndexOf(':') + 1));
    if (Number.isSafeInteger(ms)) seen.set(key, ms);
  }
  return { stamp, seen };
}

/** When HubSpot last changed the contact (ms), or null when it does not say. */
function modifiedMs(contact: HubspotContactLike): number | null {
  const raw = contact.properties[HUBSPOT_MODIFIED_PROPERTY] ?? contact.updatedAt ?? null;
  if (raw === null) return null;
  const text = raw instanceof Date ? String(raw.getTime()) : raw.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Reads the changes since the cursor (a null cursor starts at `nowMs`, without history: the backfill imports
 * history). Pages are read by stamp (each search starts again from the newest stamp read), so a contact that
 * changes while the poll pages cannot shift another one out of sight, and the 10,000-result cap of a search
 * is never reached; only a page whose contacts all share one stamp pages on by offset.
 */
export async function pollHubspotChanges(
  search: ChangeSearch,
  cursorText: string | null,
  nowMs: number,
): Promise<ChangeBatch> {
  if (cursorText === null)
    return { changes: [], cursor: formatChangeCursor({ stamp: nowMs, seen: new Map() }) };
  const cursor = parseChangeCursor(cursorText);
  const changes: RemoteContact[] = [];
  let since = cursor.stamp - HUBSPOT_POLL_OVERLAP_MS;
  let after = 0;
  for (let pages = 0; pages < HUBSPOT_POLL_MAX_PAGES; pages++) {
    const page = await search({ sinceMs: since, after, limit: HUBSPOT_SEARCH_PAGE_SIZE });
    let newest = since;
    for (const contact of page.results) {
      const ms = modifiedMs(contact);
      if (ms === null) continue;
      newest = Math.max(newest, ms);
      const key = `${contact.id}:${ms}`;
      if (cursor.seen.has(key)) continue;
      cursor.seen.set(key, ms);
      cursor.stamp = Math.max(cursor.stamp, ms);
      changes.push(fromHubspotContact(contact));
    }
    const read = after + page.results.length;
    if (page.results.length === 0 || (!page.paging?.next && read >= page.total)) break;
    if (newest > since) {
      since = newest;
      after = 0;
    } else {
      after = read;
      // More than 10,000 contacts changed in the same millisecond: the rest cannot be searched.
      if (after + HUBSPOT_SEARCH_PAGE_SIZE > HUBSPOT_SEARCH_MAX_RESULTS) break;
    }
  }
  return { changes, cursor: formatChangeCursor(cursor) };
}
