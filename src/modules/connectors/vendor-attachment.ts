import type { ConnectionCredentials, ConnectionType } from './connector.port';
import { VENDOR_DEFAULTS } from './vendor-defaults';

/** Where a connection sends personal data: its type and the host its calls go to. */
export interface Destination {
  type: ConnectionType;
  /** Lower case, without a trailing dot; '' when the address cannot be read (then it matches nothing). */
  host: string;
}

/**
 * Domains of the providers' own hosts. A HubSpot account's API host (api.hubapi.com) is not under the
 * vendor's website (hubspot.com), so each provider's domains count as one site.
 */
const PROVIDER_DOMAINS: Record<'hubspot' | 'salesforce', readonly string[]> = {
  hubspot: ['hubapi.com', 'hubspot.com'],
  salesforce: ['salesforce.com', 'force.com', 'salesforce-setup.com'],
};

function hostOf(raw: string | null | undefined): string {
  if (!raw) return '';
  try {
    return new URL(raw).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return '';
  }
}

const within = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

function providerOf(host: string): 'hubspot' | 'salesforce' | null {
  for (const provider of ['hubspot', 'salesforce'] as const)
    if (PROVIDER_DOMAINS[provider].some((domain) => within(host, domain))) return provider;
  return null;
}

/** The host a connection's calls go to, read as the connector does (ConnectionService.context). */
export function destinationOf(
  type: ConnectionType,
  baseUrl: string | null,
  credentials: Pick<ConnectionCredentials, 'instanceUrl' | 'url'>,
): Destination {
  const address = baseUrl ?? credentials.instanceUrl ?? VENDOR_DEFAULTS[type].apiBaseUrl ?? credentials.url;
  return { type, host: hostOf(address) };
}

/** Whether `host` is the site `known` names: the same provider, or the host itself or one under it. */
function sameSite(host: string, known: string): boolean {
  if (!host || !known) return false;
  const provider = providerOf(known);
  if (provider || providerOf(host)) return providerOf(host) === provider;
  return within(host, known);
}

/**
 * Whether a new connection belongs to the vendor it asks to join (an explicit vendor_id, from a caller holding
 * registry:write; nothing ever joins a vendor by name). What the registry knows of the vendor decides:
 * - its connections' types: a vendor is one kind of processor, so a HubSpot account never joins a vendor whose
 *   connections are Salesforce or webhooks (and the reverse);
 * - its known hosts: its website's host (without `www.`) and every host its connections send to. The new
 *   connection's host must be one of them or under one of them (hooks.acme.example under acme.example); a
 *   provider's hosts are one site (api.hubapi.com is HubSpot's, as hubspot.com is).
 * A vendor with no connection and no website has nothing to contradict: the registry:write holder who attaches
 * the first connection is the one defining what the vendor is. A connection that does not belong gets a vendor
 * record of its own, without a DPA, so the DPA gate holds its personal data until the DPO decides.
 */
export function belongsToVendor(
  destination: Destination,
  vendor: { website: string | null; connections: readonly Destination[] },
): boolean {
  if (vendor.connections.some((c) => c.type !== destination.type)) return false;
  const websiteHost = hostOf(vendor.website).replace(/^www\./, '');
  const known = [...vendor.connections.map((c) => c.host), ...(websiteHost ? [websiteHost] : [])];
  if (known.length === 0) return true;
  return known.some((k) => sameSite(destination.host, k));
}
