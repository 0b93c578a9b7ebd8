import type { CrmContext } from './hubspot-contacts';
import {
  asArray,
  asRecord,
  errorBody,
  HubSpotHttpError,
  optNumber,
  optString,
  reqString,
  validationError,
  type SimResponse,
} from './hubspot-http';
import type { PropertyDefinition } from './hubspot-state';

/** `/crm/v3/properties/contacts/*`: read the portal's contact properties, create custom ones. */

export function serializeProperty(def: PropertyDefinition): Record<string, unknown> {
  const { readOnly, ...rest } = def;
  return {
    ...rest,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: readOnly,
    },
  };
}

export function getProperty(ctx: CrmContext, name: string): SimResponse {
  const def = ctx.portal.properties.get(name);
  if (!def) throw new HubSpotHttpError(404, errorBody('OBJECT_NOT_FOUND', `Unable to find property ${name}`));
  return { status: 200, body: serializeProperty(def) };
}

export function listProperties(ctx: CrmContext): SimResponse {
  return { status: 200, body: { results: [...ctx.portal.properties.values()].map(serializeProperty) } };
}

const PROPERTY_TYPES = new Set([
  'string',
  'number',
  'date',
  'datetime',
  'enumeration',
  'bool',
  'phone_number',
]);

export function createProperty(ctx: CrmContext): SimResponse {
  const body = asRecord(ctx.body, 'body');
  const name = reqString(body.name, 'name');
  const type = reqString(body.type, 'type');
  const fieldType = reqString(body.fieldType, 'fieldType');
  const label = reqString(body.label, 'label');
  const groupName = reqString(body.groupName, 'groupName');
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw validationError(`Property name ${name} is invalid`);
  if (!PROPERTY_TYPES.has(type)) throw validationError(`Invalid property type ${type}`);
  if (ctx.portal.properties.has(name)) {
    // Category as seen for duplicate properties (exact body unconfirmed).
    throw new HubSpotHttpError(
      409,
      errorBody('OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`),
    );
  }
  const options = (body.options === undefined ? [] : asArray(body.options, 'options')).map((o, i) => {
    const r = asRecord(o, 'option');
    return {
      label: reqString(r.label, 'option.label'),
      value: reqString(r.value, 'option.value'),
      description: optString(r.description),
      displayOrder: optNumber(r.displayOrder) ?? i,
      hidden: r.hidden === true,
    };
  });
  if (type === 'enumeration' && options.length === 0 && fieldType !== 'booleancheckbox') {
    throw validationError('Enumeration properties need at least one option');
  }
  const now = ctx.nowIso();
  const def: PropertyDefinition = {
    name,
    label,
    type,
    fieldType,
    groupName,
    description: optString(body.description) ?? '',
    options,
    hasUniqueValue: body.hasUniqueValue === true,
    hubspotDefined: false,
    readOnly: false,
    createdAt: now,
    updatedAt: now,
    displayOrder: optNumber(body.displayOrder) ?? -1,
    hidden: body.hidden === true,
    formField: body.formField === true,
    calculated: false,
    externalOptions: false,
  };
  ctx.portal.properties.set(name, def);
  return { status: 201, body: serializeProperty(def) };
}
