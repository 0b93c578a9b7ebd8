import { ConnectionInvalidError } from './connection.errors';
import type { ConnectionType } from './connector.port';

/**
 * The settings a connection's field mapping may hold, per provider (HubspotMapping, SalesforceMapping; a webhook
 * processor has none). The mapping is merged into what setup stored, so a misspelt key would otherwise sit there
 * unused while the admin believes the setting changed.
 */
export const MAPPING_KEYS: Readonly<Record<ConnectionType, readonly string[]>> = {
  hubspot: ['portalId', 'properties', 'propertyGroup', 'phoneProperties', 'emailSubscriptionId'],
  salesforce: ['engagementChannelTypeId', 'dataUsePurposeId', 'targets'],
  webhook: [],
};

const PROVIDER: Record<ConnectionType, string> = {
  hubspot: 'a HubSpot connection',
  salesforce: 'a Salesforce connection',
  webhook: 'a webhook processor',
};

/** 400 naming every key the provider does not know (`mapping.<key>`), before anything is stored. */
export function refuseUnknownMappingKeys(type: ConnectionType, mapping: Record<string, unknown>): void {
  const known = MAPPING_KEYS[type];
  const unknown = Object.keys(mapping).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const allowed = known.length ? `known settings: ${known.join(', ')}` : 'it has no mapping settings';
  throw new ConnectionInvalidError(
    `The mapping has ${unknown.length === 1 ? 'a setting' : 'settings'} that ${PROVIDER[type]} does not know: ${unknown.join(', ')} (${allowed}).`,
    unknown.map((key) => ({
      field: `mapping.${key}`,
      message: `"${key}" is not a setting of ${PROVIDER[type]} (${allowed})`,
    })),
  );
}
