import type { VendorRole } from './registry.types';

/**
 * The facts without which a vendor cannot stand in the Art. 30 record: what it is to us (its role, Art. 28)
 * and where it is established (which decides whether Chapter V applies). A vendor missing either is
 * "incomplete": the console flags it, and Needs attention lists it while it receives data.
 */
export const ESSENTIAL_FACTS = ['role', 'country'] as const;
export type EssentialFact = (typeof ESSENTIAL_FACTS)[number];

export function missingFacts(vendor: { role: string | null; country: string | null }): EssentialFact[] {
  return ESSENTIAL_FACTS.filter((fact) => !vendor[fact]);
}

/** What the registry knows of a provider a connection is made to, filled in when it records the vendor. */
export interface KnownVendorFacts {
  role: VendorRole;
  country: string;
  legal_name: string;
  services: string[];
  notes: string;
}

/**
 * Known providers, keyed by connection type. The country is the provider's seat (the parent company); a
 * customer in the EEA may contract with a European affiliate, so the note asks the DPO to check the contract.
 * A webhook processor is anyone: nothing is known, and its vendor is incomplete until the DPO fills it in.
 */
export const KNOWN_PROVIDERS: Readonly<Record<string, KnownVendorFacts>> = {
  hubspot: {
    role: 'processor',
    country: 'US',
    legal_name: 'HubSpot, Inc.',
    services: ['CRM'],
    notes:
      'Role and country filled in from what is known of HubSpot when the connection was made. Check the contracting entity and any transfer safeguard in your agreement.',
  },
  salesforce: {
    role: 'processor',
    country: 'US',
    legal_name: 'Salesforce, Inc.',
    services: ['CRM'],
    notes:
      'Role and country filled in from what is known of Salesforce when the connection was made. Check the contracting entity and any transfer safeguard in your agreement.',
  },
};
