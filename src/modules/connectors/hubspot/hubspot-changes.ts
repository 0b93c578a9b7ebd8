import { type ChangeBatch, PermanentError, type RemoteContact } from '../connector.port';
import {
  HUBSPOT_POLL_MAX_CHANGES,
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
 * The search index lags writes by a few seconds, so a contact changed shortly before a poll read may only
 * become searchable after it. The cursor is `<stamp>|<readAt>|<id>:<ms>,…` (ms epoch): the newest
 * lastmodifieddate reported, when the poll read (gateway clock), and the changes already reported that a
 * later poll reads again. A poll re-reads from `readAt - overlap` when that is before the stamp (changes
 * that recent may have been lagging), else from the stamp itself (everything older was searchable when it
 * was read), and drops what it already reported. A contact changed again has a new stamp and is reported
 * again.
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
 * Most (contact, change) pairs kept in a cursor. Past it the oldest are dropped: only when thousands of
 * contacts change within the overlap, and then such a change may be reported twice, which costs little (the
 * importer recognises a change it already recorded) and keeps the cursor small.
 */
const MAX_SEEN = 2_000;

export interface ChangeCursor {
  /** Newest lastmodifieddate reported. */
  stamp: number;
  /** When the poll that wrote the cursor read (gateway clock). */
  readAt: number;
  /** `${id}:${ms}` → ms: changes reported that the next poll reads again. */
  seen: Map<string, number>;
}

/** Where the next poll starts reading. */
function resumeAt(cursor: ChangeCursor): number {
  return Math.min(cursor.stamp, cursor.readAt - HUBSPOT_POLL_OVERLAP_MS);
}

export function formatChangeCursor(cursor: ChangeCursor): string {
  const from = resumeAt(cursor);
  const entries = [...cursor.seen]
    .filter(([, ms]) => ms >= from)
    .sort((a, b) => a[1] - b[1])
    .slice(-MAX_SEEN)
    .map(([key]) => key);
  return `${cursor.stamp}|${cursor.readAt}|${entries.join(',')}`;
}

export function parseChangeCursor(text: string): ChangeCursor {
  const [rawStamp, rawReadAt, rawSeen = ''] = text.split('|');
  const int = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : NaN);
  const stamp = int(rawStamp);
  const readAt = int(rawReadAt);
  if (!Number.isSafeInteger(stamp) || !Number.isSafeInteger(readAt)) {
    throw new PermanentError('invalid HubSpot poll cursor');
  }
  const seen = new Map<string, number>();
  for (const key of rawSeen.split(',').filter(Boolean)) {
    const ms = Number(key.slice(key.lastIndexOf(':') + 1));
    if (Number.isSafeInteger(ms)) seen.set(key, ms);
  }
  return { stamp, readAt, seen };
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
 * history). Each search starts again from the newest stamp read (keyset paging), so a contact changing while
 * the poll pages cannot shift another one out of sight, and a search never nears its 10,000-result cap; only
 * a page whose contacts all share one stamp pages on by offset. One poll reports at most
 * HUBSPOT_POLL_MAX_CHANGES changes newer than its cursor; the next one resumes.
 */
export async function pollHubspotChanges(
  search: ChangeSearch,
  cursorText: string | null,
  nowMs: number,
): Promise<ChangeBatch> {
  if (cursorText === null) {
    return { changes: [], cursor: formatChangeCursor({ stamp: nowMs, readAt: nowMs, seen: new Map() }) };
  }
  const cursor = parseChangeCursor(cursorText);
  const from = cursor.stamp;
  const changes: RemoteContact[] = [];
  // Only changes newer than the cursor count against the budget: re-reading the overlap always ends.
  let progressed = 0;
  let since = resumeAt(cursor);
  let after = 0;
  while (progressed < HUBSPOT_POLL_MAX_CHANGES) {
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
      if (ms > from) progressed++;
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
  cursor.readAt = nowMs;
  return { changes, cursor: formatChangeCursor(cursor) };
}
