import { PermanentError } from '../connector.port';
import {
  type ChangeSearch,
  formatChangeCursor,
  parseChangeCursor,
  pollHubspotChanges,
} from './hubspot-changes';
import type { HubspotContactLike } from './hubspot.mapper';

const T0 = Date.parse('2025-06-01T00:00:00.000Z');

function contact(id: number, ms: number): HubspotContactLike {
  return { id: String(id), properties: { lastmodifieddate: new Date(ms).toISOString() } };
}

/**
 * An in-memory HubSpot search over lastmodifieddate: ascending (ties by id), offset paging, and the
 * 10,000-result cap (no next page past it, as HubSpot).
 */
function searchOver(contacts: HubspotContactLike[]) {
  const requests: { sinceMs: number; after: number }[] = [];
  const search: ChangeSearch = async ({ sinceMs, after, limit }) => {
    requests.push({ sinceMs, after });
    const hits = contacts
      .filter((c) => Date.parse(c.properties.lastmodifieddate!) >= sinceMs)
      .sort(
        (a, b) =>
          Date.parse(a.properties.lastmodifieddate!) - Date.parse(b.properties.lastmodifieddate!) ||
          Number(a.id) - Number(b.id),
      );
    if (after + limit > 10_000) throw new Error('HubSpot refuses paging past 10,000 results');
    const results = hits.slice(after, after + limit);
    const next = after + limit < hits.length && after + limit < 10_000;
    return {
      total: hits.length,
      results,
      paging: next ? { next: { after: String(after + limit) } } : undefined,
    };
  };
  return { search, requests };
}

describe(pollHubspotChanges.name, () => {
  const HOUR = 3_600_000;

  it('starts from now without history when there is no cursor', async () => {
    const { search, requests } = searchOver([contact(1, T0 - HOUR)]);
    const batch = await pollHubspotChanges(search, null, T0);
    expect(batch).toEqual({ changes: [], cursor: `${T0}|${T0}|` });
    expect(requests).toEqual([]);
    const next = await pollHubspotChanges(search, batch.cursor, T0 + 5_000);
    expect(next.changes).toEqual([]);
  });

  it('reports the contacts changed after the cursor, re-reads the overlap and drops what it already reported', async () => {
    const now = T0 + 10_000;
    const contacts = [contact(1, T0 - 60_000), contact(2, T0 - 10_000), contact(3, T0 + 5_000)];
    const { search, requests } = searchOver(contacts);
    const first = await pollHubspotChanges(search, `${T0 - 10_000}|${T0 - 8_000}|2:${T0 - 10_000}`, now);
    expect(first.changes.map((c) => c.remoteId)).toEqual(['3']);
    expect(requests[0].sinceMs).toBe(T0 - 38_000);

    // Contact 4 was changed before contact 3 but becomes searchable only now (the index lags writes).
    contacts.push(contact(4, T0 + 1_000));
    const second = await pollHubspotChanges(search, first.cursor, now + 2_000);
    expect(second.changes.map((c) => c.remoteId)).toEqual(['4']);

    const third = await pollHubspotChanges(search, second.cursor, now + 4_000);
    expect(third.changes).toEqual([]);
  });

  it('reads from its stamp, without overlap, once the stamp is older than the overlap before the last read', async () => {
    const { search, requests } = searchOver([contact(1, T0 + 1_000)]);
    await pollHubspotChanges(search, `${T0}|${T0 + HOUR}|`, T0 + HOUR);
    expect(requests[0].sinceMs).toBe(T0);
  });

  it('reports a contact again when it changes again', async () => {
    const contacts = [contact(1, T0 + 1_000)];
    const { search } = searchOver(contacts);
    const first = await pollHubspotChanges(search, `${T0}|${T0}|`, T0 + 1_500);
    contacts[0] = contact(1, T0 + 2_000);
    const second = await pollHubspotChanges(search, first.cursor, T0 + 2_500);
    expect(second.changes.map((c) => [c.remoteId, c.observedAt])).toEqual([
      ['1', new Date(T0 + 2_000).toISOString()],
    ]);
  });

  it('pages through many changes, also when hundreds share one stamp', async () => {
    const contacts = [
      ...Array.from({ length: 450 }, (_, i) => contact(i + 1, T0 + 1_000)),
      ...Array.from({ length: 450 }, (_, i) => contact(i + 1001, T0 + 2_000 + i)),
    ];
    const { search } = searchOver(contacts);
    const batch = await pollHubspotChanges(search, `${T0}|${T0}|`, T0 + 3_000);
    expect(batch.changes).toHaveLength(900);
    expect(new Set(batch.changes.map((c) => c.remoteId)).size).toBe(900);
    expect(parseChangeCursor(batch.cursor).stamp).toBe(T0 + 2_449);
  });

  it('gets past the 10,000-result cap of a search and resumes in the next poll, reporting each change once', async () => {
    const contacts = Array.from({ length: 12_500 }, (_, i) => contact(i + 1, T0 + 1_000 + i));
    const { search, requests } = searchOver(contacts);
    const reported: string[] = [];
    let cursor = `${T0}|${T0}|`;
    for (let poll = 0; poll < 3; poll++) {
      const batch = await pollHubspotChanges(search, cursor, T0 + HOUR + poll);
      reported.push(...batch.changes.map((c) => c.remoteId));
      cursor = batch.cursor;
    }
    expect(reported).toHaveLength(12_500);
    expect(new Set(reported).size).toBe(12_500);
    expect(requests.every((r) => r.after + 200 <= 10_000)).toBe(true);
  });
});

describe('the change cursor', () => {
  it('keeps only the changes the next poll reads again', () => {
    const seen = new Map([
      [`1:${T0 - 60_000}`, T0 - 60_000],
      [`2:${T0 - 5_000}`, T0 - 5_000],
    ]);
    expect(formatChangeCursor({ stamp: T0, readAt: T0 + 1_000, seen })).toBe(
      `${T0}|${T0 + 1_000}|2:${T0 - 5_000}`,
    );
  });

  it('refuses a cursor it did not write', () => {
    expect(() => parseChangeCursor('2025-06-01|')).toThrow(PermanentError);
    expect(() => parseChangeCursor(`${T0}|`)).toThrow(PermanentError);
  });
});
