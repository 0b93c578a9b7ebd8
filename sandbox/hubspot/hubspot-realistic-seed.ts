import { realisticPeople, type RealisticPeopleOptions, type RealisticPerson } from '../seed/realistic-people';
import { createContactRecord } from './hubspot-contacts';
import { conflict } from './hubspot-http';
import { COUNTRY_PROPERTY } from './hubspot-phone';
import type { PortalState } from './hubspot-state';

export interface SeedRealisticContactsInput extends RealisticPeopleOptions {
  /** Portal to seed; default the first portal. */
  portalId?: number;
}

export interface SeededRealisticContact {
  /** HubSpot contact id. */
  id: string;
  /** The generated person the contact was made from (the truth to assert against). */
  person: RealisticPerson;
}

export interface SeedRealisticContactsResult {
  portalId: number;
  contacts: SeededRealisticContact[];
}

/** The HubSpot properties a generated person becomes: the phone exactly as typed, in its property. */
export function personProperties(person: RealisticPerson): Record<string, string> {
  const values: Record<string, string> = { firstname: person.firstname, lastname: person.lastname };
  if (person.email) values.email = person.email;
  if (person.property && person.typed !== null) values[person.property] = person.typed;
  if (person.country) values[COUNTRY_PROPERTY] = person.country;
  return values;
}

/**
 * Writes generated people straight into a portal (no webhooks, as `seedContacts`). Emails are unique per
 * seed; seeding the same seed twice into one portal is a 409 before anything is written.
 */
export function seedRealisticContacts(
  portal: PortalState,
  nowIso: string,
  input: SeedRealisticContactsInput,
): SeedRealisticContactsResult {
  const people = realisticPeople(input);
  for (const person of people) {
    const existing = person.email ? portal.emailIndex.get(person.email.toLowerCase()) : undefined;
    if (existing) throw conflict(`Contact already exists. Existing ID: ${existing}`);
  }
  const contacts = people.map((person) => ({
    id: createContactRecord(portal, personProperties(person), nowIso).id,
    person,
  }));
  return { portalId: portal.portalId, contacts };
}
