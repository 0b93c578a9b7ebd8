import type { ForgetSignal } from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { ERASED_MARKER } from './salesforce.constants';
import { key15 } from './salesforce.lookup';
import { recordRegion, toIso } from './salesforce.mapper';
import { recordsOfIndividuals } from './salesforce.subjects';
import type { SalesforceTarget } from './salesforce.types';

/**
 * The forget stream of the change poll: Individuals whose ShouldForget ("Forget this Individual") is set, changed
 * since the cursor. Salesforce does not act on the flag itself (the integrations of the org must): for the gateway it
 * is a request to erase the person everywhere else.
 */
export const FORGET_SELECT =
  'SELECT Id, LastName, SystemModstamp FROM Individual WHERE ShouldForget = true AND';

export interface ForgetRow {
  Id: string;
  LastName: string | null;
  SystemModstamp: string | null;
}

/**
 * One signal per Individual change, with the Contacts and Leads that point at it (how the gateway knows the
 * person) and their identifiers (to match a person not linked yet). An Individual the gateway masked itself
 * (LastName is its marker) is its own erasure coming back, not a request: left out. The gateway's ShouldForget
 * write before a hard delete is seen only if a poll falls between the two writes; the person then already has an
 * erasure open, which absorbs it (the intake dedupes by person).
 */
export async function forgetSignalsOf(
  client: SalesforceClient,
  targets: readonly SalesforceTarget[],
  rows: readonly ForgetRow[],
): Promise<ForgetSignal[]> {
  const requests = rows.filter((r) => r.LastName !== ERASED_MARKER);
  if (requests.length === 0) return [];
  const people = await recordsOfIndividuals(
    client,
    targets,
    requests.map((r) => r.Id),
  );
  return requests.map((r) => {
    const mine = people
      .filter((p) => p.IndividualId && key15(p.IndividualId) === key15(r.Id))
      .filter((p) => !(p.type === 'Lead' && p.IsConverted))
      .sort((a, b) => (a.Id < b.Id ? -1 : 1));
    const identities: ForgetSignal['identities'] = [];
    for (const p of mine) {
      const region = recordRegion(p);
      for (const value of [p.MobilePhone, p.Phone])
        if (value) identities.push({ kind: 'phone', value, region });
      if (p.Email) identities.push({ kind: 'email', value: p.Email, region: null });
    }
    return {
      changeKey: `${r.Id}:${toIso(r.SystemModstamp) ?? r.SystemModstamp ?? ''}`,
      remoteId: r.Id,
      recordType: 'Individual',
      records: mine.map((p) => ({ remoteId: p.Id, recordType: p.type })),
      identities,
    };
  });
}
