import { createContact, updateContact } from './hubspot-contacts';
import { HubSpotHttpError } from './hubspot-http';
import { searchContacts } from './hubspot-search';
import { json, testCrm, type ContactJson, type SearchJson, type TestCrm } from './hubspot-testing';

const create = (crm: TestCrm, properties: Record<string, string>) =>
  json(createContact(crm.ctx({ properties }))).id;

const search = (crm: TestCrm, body: Record<string, unknown>) =>
  json<SearchJson>(searchContacts(crm.ctx(body), 'http://sim'));

const ids = (res: SearchJson) => res.results.map((r: ContactJson) => r.id);

const eq = (propertyName: string, value: string) => ({
  filterGroups: [{ filters: [{ propertyName, operator: 'EQ', value }] }],
});

function rejection(run: () => unknown): HubSpotHttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HubSpotHttpError) return err;
    throw err;
  }
  throw new Error('expected the search to be refused');
}

describe('search on string properties compares the stored string', () => {
  const crm = testCrm();
  const formatted = create(crm, { phone: ' +49 1511 2345678 ', email: 'Jane@Example.com' });
  const e164 = create(crm, { phone: '+4915112345678' });
  const whatsapp = create(crm, { hs_whatsapp_phone_number: '+4915112345678' });

  it('does not find a formatted phone by its E.164 value', () => {
    expect(ids(search(crm, eq('phone', '+4915112345678')))).toEqual([e164]);
  });

  it('compares trimmed and case-insensitively', () => {
    expect(ids(search(crm, eq('phone', '+49 1511 2345678')))).toEqual([formatted]);
    expect(ids(search(crm, eq('email', ' jane@example.COM ')))).toEqual([formatted]);
  });

  it('finds the formatted phone through the calculated international property', () => {
    expect(
      ids(search(crm, eq('hs_searchable_calculated_international_phone_number', '+4915112345678'))),
    ).toEqual([formatted, e164]);
    expect(ids(search(crm, eq('hs_searchable_calculated_phone_number', '15112345678')))).toEqual([
      formatted,
      e164,
    ]);
  });

  it('supports IN, NOT_IN and NEQ with the same comparison', () => {
    const inFilter = (operator: string) => ({
      filterGroups: [{ filters: [{ propertyName: 'phone', operator, values: ['+49 1511 2345678', 'x'] }] }],
    });
    expect(ids(search(crm, inFilter('IN')))).toEqual([formatted]);
    expect(ids(search(crm, inFilter('NOT_IN')))).toEqual([e164, whatsapp]);
    const neq = {
      filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'NEQ', value: '+4915112345678' }] }],
    };
    expect(ids(search(crm, neq))).toEqual([formatted, whatsapp]);
  });

  it('ORs filter groups across phone, mobilephone and WhatsApp properties', () => {
    const body = {
      filterGroups: ['phone', 'mobilephone', 'hs_whatsapp_phone_number'].map((propertyName) => ({
        filters: [{ propertyName, operator: 'EQ', value: '+4915112345678' }],
      })),
    };
    expect(ids(search(crm, body))).toEqual([e164, whatsapp]);
  });
});

describe('search limits', () => {
  const crm = testCrm();
  const filter = { propertyName: 'phone', operator: 'HAS_PROPERTY' };
  const refused = (body: Record<string, unknown>) => rejection(() => search(crm, body));

  it('refuses more than 5 groups, 10 filters in a group or 25 filters in all', () => {
    expect(refused({ filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })) }).status).toBe(
      400,
    );
    expect(refused({ filterGroups: [{ filters: Array.from({ length: 11 }, () => filter) }] }).status).toBe(
      400,
    );
    const tooMany = Array.from({ length: 3 }, () => ({ filters: Array.from({ length: 9 }, () => filter) }));
    expect(refused({ filterGroups: tooMany }).body.category).toBe('VALIDATION_ERROR');
    const enough = [
      ...Array.from({ length: 2 }, () => ({ filters: Array.from({ length: 10 }, () => filter) })),
    ];
    expect(
      search(crm, { filterGroups: [...enough, { filters: Array.from({ length: 5 }, () => filter) }] }).total,
    ).toBe(0);
  });

  it('refuses a page size above 200 and paging past 10,000 results', () => {
    expect(refused({ limit: 201 }).status).toBe(400);
    expect(refused({ limit: 100, after: '9901' }).status).toBe(400);
    expect(search(crm, { limit: 200 }).total).toBe(0);
  });

  it('refuses an unknown property', () => {
    expect(refused(eq('no_such_property', 'x')).status).toBe(400);
  });

  it('pages with after', () => {
    const paged = testCrm();
    for (let i = 0; i < 5; i++) create(paged, { phone: `+4915112345${600 + i}` });
    const first = search(paged, { limit: 2 });
    expect(first.total).toBe(5);
    expect(first.paging?.next.after).toBe('2');
    const last = search(paged, { limit: 2, after: '4' });
    expect(last.results).toHaveLength(1);
    expect(last.paging).toBeUndefined();
  });
});

describe('polling on lastmodifieddate', () => {
  function portalWithHistory() {
    const crm = testCrm();
    const a = create(crm, { phone: '+4915112345678' }); // 10:00:00
    crm.advance(1_000);
    const b = create(crm, { phone: '+4915112345679' }); // 10:00:01
    crm.advance(1_000);
    updateContact(crm.ctx({ properties: { firstname: 'A' } }), a); // a → 10:00:02
    return { crm, a, b };
  }
  const since = (value: unknown, operator = 'GTE') => ({
    filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator, value }] }],
    sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
  });

  it('filters with GTE on epoch ms (number or string) and ISO strings, sorted ascending', () => {
    const { crm, a, b } = portalWithHistory();
    const cursor = Date.parse('2025-01-02T10:00:01.000Z');
    expect(ids(search(crm, since(cursor)))).toEqual([b, a]);
    expect(ids(search(crm, since(String(cursor))))).toEqual([b, a]);
    expect(ids(search(crm, since('2025-01-02T10:00:01.000Z')))).toEqual([b, a]);
    expect(ids(search(crm, since(cursor, 'GT')))).toEqual([a]);
    expect(ids(search(crm, since(cursor, 'LTE')))).toEqual([b]);
    expect(ids(search(crm, since(cursor, 'LT')))).toEqual([]);
  });

  it('filters createdate the same way', () => {
    const { crm, a } = portalWithHistory();
    const body = {
      filterGroups: [
        {
          filters: [
            { propertyName: 'createdate', operator: 'LT', value: Date.parse('2025-01-02T10:00:01.000Z') },
          ],
        },
      ],
    };
    expect(ids(search(crm, body))).toEqual([a]);
  });

  it('sorts descending', () => {
    const { crm, a, b } = portalWithHistory();
    expect(
      ids(search(crm, { sorts: [{ propertyName: 'lastmodifieddate', direction: 'DESCENDING' }] })),
    ).toEqual([a, b]);
  });

  it('refuses a date it cannot read', () => {
    const { crm } = portalWithHistory();
    expect(rejection(() => search(crm, since('yesterday'))).status).toBe(400);
  });
});

describe('searchLagMs', () => {
  it('hides contacts written less than searchLagMs ago from search only', () => {
    const crm = testCrm({ searchLagMs: 3_000 });
    const id = create(crm, { phone: '+4915112345678' });
    expect(search(crm, eq('phone', '+4915112345678')).total).toBe(0);
    crm.advance(3_000);
    expect(ids(search(crm, eq('phone', '+4915112345678')))).toEqual([id]);
    updateContact(crm.ctx({ properties: { firstname: 'Later' } }), id);
    expect(search(crm, {}).total).toBe(0);
    crm.advance(2_999);
    expect(search(crm, {}).total).toBe(0);
    crm.advance(1);
    expect(search(crm, {}).total).toBe(1);
  });
});
