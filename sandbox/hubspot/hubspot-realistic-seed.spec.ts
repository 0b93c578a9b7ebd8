import { HubSpotHttpError } from './hubspot-http';
import { personProperties, seedRealisticContacts } from './hubspot-realistic-seed';
import { searchContacts } from './hubspot-search';
import { HubSpotSimulator } from './hubspot-simulator';
import { json, testCrm, type SearchJson, type TestCrm } from './hubspot-testing';

const NOW = '2025-01-02T10:00:00.000Z';

/** What a gateway does (reference §3): calculated properties for phone/mobilephone, the stored WhatsApp value. */
function searchE164(crm: TestCrm, e164: string): string[] {
  const body = {
    filterGroups: [
      'hs_searchable_calculated_international_phone_number',
      'hs_searchable_calculated_international_mobile_number',
      'hs_whatsapp_phone_number',
    ].map((propertyName) => ({ filters: [{ propertyName, operator: 'EQ', value: e164 }] })),
    limit: 100,
  };
  return json<SearchJson>(searchContacts(crm.ctx(body), 'http://sim')).results.map((r) => r.id);
}

describe('seedRealisticContacts', () => {
  it('stores each generated person exactly as generated', () => {
    const crm = testCrm();
    const { contacts } = seedRealisticContacts(crm.portal, NOW, { count: 300, seed: 5 });
    expect(contacts).toHaveLength(300);
    for (const { id, person } of contacts) {
      expect(crm.portal.contacts.get(id)?.properties).toEqual(personProperties(person));
    }
    const typed = contacts.find((c) => c.person.typed?.includes(' '))!;
    expect(crm.portal.contacts.get(typed.id)?.properties[typed.person.property!]).toBe(typed.person.typed);
  });

  it('agrees with the simulator: a search for e164 finds exactly the records marked expectedMatchable', () => {
    const crm = testCrm();
    const { contacts } = seedRealisticContacts(crm.portal, NOW, { count: 1_500, seed: 11 });
    const byNumber = new Map<string, typeof contacts>();
    for (const c of contacts) {
      if (c.person.e164) byNumber.set(c.person.e164, [...(byNumber.get(c.person.e164) ?? []), c]);
    }
    const disagreements: string[] = [];
    for (const [e164, records] of byNumber) {
      const found = new Set(searchE164(crm, e164));
      for (const { id, person } of records) {
        if (found.has(id) !== person.expectedMatchable) {
          disagreements.push(
            `${person.format} in ${person.property} (country ${person.country}): ${person.typed}`,
          );
        }
      }
      // Nobody else's record answers for this number.
      for (const id of found) expect(records.some((r) => r.id === id)).toBe(true);
    }
    expect(disagreements).toEqual([]);
  });

  it('lets a portal default country make national numbers without a country matchable', () => {
    const crm = testCrm({ defaultCountry: 'DE' });
    const { contacts } = seedRealisticContacts(crm.portal, NOW, {
      count: 1_000,
      seed: 2,
      regionShare: { DE: 1, US: 0, GB: 0 },
    });
    const national = contacts.find(
      (c) =>
        c.person.format === 'national' &&
        c.person.country === null &&
        c.person.property !== 'hs_whatsapp_phone_number',
    )!;
    expect(national.person.expectedMatchable).toBe(false);
    expect(searchE164(crm, national.person.e164!)).toContain(national.id);
  });

  it('refuses to seed the same seed twice into one portal (emails are unique) before writing anything', () => {
    const crm = testCrm();
    seedRealisticContacts(crm.portal, NOW, { count: 50, seed: 3 });
    const size = crm.portal.contacts.size;
    expect(() => seedRealisticContacts(crm.portal, NOW, { count: 50, seed: 3 })).toThrow(HubSpotHttpError);
    expect(crm.portal.contacts.size).toBe(size);
    expect(seedRealisticContacts(crm.portal, NOW, { count: 50, seed: 4 }).contacts).toHaveLength(50);
  });

  it('is reachable on the simulator and seeds its portal', () => {
    const sim = new HubSpotSimulator();
    const portal = sim.createPortal();
    const seeded = sim.seedRealisticContacts({ count: 20, seed: 9, portalId: portal.portalId });
    expect(seeded.portalId).toBe(portal.portalId);
    expect(sim.portal(portal.portalId).contacts.size).toBe(20);
    expect(seeded.contacts.map((c) => c.person)).toHaveLength(20);
  });
});
