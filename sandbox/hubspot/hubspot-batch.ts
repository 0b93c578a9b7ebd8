import {
  applyProperties,
  archiveContact,
  bodyList,
  createContactRecord,
  emailOwner,
  findContact,
  serializeContact,
  validateProperties,
  assertEmailAllowed,
  assertEmailFree,
  type CrmContext,
} from './hubspot-contacts';
import { asArray, asRecord, optString, reqString, validationError, type SimResponse } from './hubspot-http';

/**
 * `/crm/v3/objects/contacts/batch/*` (reference §3): at most 100 inputs, the SDK does not chunk; partial
 * failure answers 207 with `numErrors`/`errors[]`, batch create answers 201.
 */

export const BATCH_LIMIT = 100;

const OBJECT_NOT_FOUND_MESSAGE =
  'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.';

function batchInputs(body: unknown): unknown[] {
  const inputs = asArray(asRecord(body, 'body').inputs, 'inputs');
  if (inputs.length > BATCH_LIMIT) {
    // Exact wording unconfirmed; category and status as HubSpot answers oversized batches.
    throw validationError(`Batch input limit is ${BATCH_LIMIT}, but ${inputs.length} inputs were provided.`, {
      context: { inputs: [String(inputs.length)] },
    });
  }
  return inputs;
}

type BatchError = Record<string, unknown>;

/**
 * One input whose email belongs to another contact. HubSpot's single-object message; the per-item shape of
 * a batch conflict is unconfirmed: `context` (string arrays, as in the SDK's StandardError) names the
 * existing contact and the input's position so a client can tell which input failed.
 */
function conflictError(existingId: string, index: number): BatchError {
  return {
    status: 'error',
    category: 'CONFLICT',
    message: `Contact already exists. Existing ID: ${existingId}`,
    context: { existingId: [existingId], inputIndex: [String(index)] },
    errors: [],
    links: {},
  };
}

function batchResponse(
  ctx: CrmContext,
  startedAt: string,
  results: Record<string, unknown>[],
  notFoundIds: string[],
  okStatus: number,
  itemErrors: BatchError[] = [],
): SimResponse {
  const body: Record<string, unknown> = {
    status: 'COMPLETE',
    results,
    requestedAt: startedAt,
    startedAt,
    completedAt: ctx.nowIso(),
    links: {},
  };
  const errors = [...itemErrors];
  if (notFoundIds.length > 0) {
    errors.push({
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: OBJECT_NOT_FOUND_MESSAGE,
      context: { ids: notFoundIds },
      errors: [],
      links: {},
    });
  }
  if (errors.length === 0) return { status: okStatus, body };
  body.numErrors = errors.length;
  body.errors = errors;
  return { status: 207, body };
}

export function batchRead(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body);
  const body = asRecord(ctx.body, 'body');
  const idProperty = optString(body.idProperty);
  const requested = bodyList(body.properties);
  const archived = ctx.query.get('archived') === 'true';
  const results: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const raw of inputs) {
    const id = reqString(asRecord(raw, 'input').id, 'id');
    const contact = findContact(ctx.portal, id, idProperty, archived);
    if (contact) results.push(serializeContact(ctx.portal, contact, requested));
    else missing.push(id);
  }
  return batchResponse(ctx, startedAt, results, missing, 200);
}

export function batchUpdate(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) => {
    const r = asRecord(raw, 'input');
    return {
      id: reqString(r.id, 'id'),
      idProperty: optString(r.idProperty),
      values: validateProperties(ctx.portal, r.properties),
    };
  });
  const seen = new Set<string>();
  const duplicates = inputs.filter((i) => seen.size === seen.add(i.id).size).map((i) => i.id);
  if (duplicates.length > 0)
    throw validationError(
      `Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`,
    );
  if (inputs.some((i) => i.idProperty === 'email')) {
    // hubspot-api-nodejs #548: batch update keyed by email is refused.
    throw validationError('Unable to perform update/upsert by non-unique 0-1 property email');
  }
  for (const input of inputs) assertEmailAllowed(ctx.portal, input.values.email);
  const results: Record<string, unknown>[] = [];
  const missing: string[] = [];
  const conflicts: BatchError[] = [];
  inputs.forEach((input, index) => {
    const contact = findContact(ctx.portal, input.id, input.idProperty);
    if (!contact) {
      missing.push(input.id);
      return;
    }
    // Reported per input like a missing id, so the other inputs of the batch are still written.
    const owner = emailOwner(ctx.portal, input.values.email, contact.id);
    if (owner) {
      conflicts.push(conflictError(owner, index));
      return;
    }
    applyProperties(ctx, contact, input.values);
    results.push(serializeContact(ctx.portal, contact, Object.keys(input.values)));
  });
  return batchResponse(ctx, startedAt, results, missing, 200, conflicts);
}

/** Creates each input in order; an input whose email exists (also earlier in this batch) fails alone. */
export function batchCreate(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) =>
    validateProperties(ctx.portal, asRecord(raw, 'input').properties),
  );
  // GDPR-blocklisted emails fail the whole request, as a single create does (answer unconfirmed).
  for (const values of inputs) assertEmailAllowed(ctx.portal, values.email);
  const results: Record<string, unknown>[] = [];
  const conflicts: BatchError[] = [];
  inputs.forEach((values, index) => {
    const owner = emailOwner(ctx.portal, values.email);
    if (owner) {
      conflicts.push(conflictError(owner, index));
      return;
    }
    const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
    ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
    results.push(serializeContact(ctx.portal, contact, Object.keys(values)));
  });
  return batchResponse(ctx, startedAt, results, [], 201, conflicts);
}

export function batchUpsert(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) => {
    const r = asRecord(raw, 'input');
    const idProperty = reqString(r.idProperty, 'idProperty');
    const def = ctx.portal.properties.get(idProperty);
    if (!def) throw validationError(`Property "${idProperty}" does not exist`);
    if (idProperty !== 'email' && !def.hasUniqueValue) {
      throw validationError(`Unable to perform update/upsert by non-unique 0-1 property ${idProperty}`);
    }
    return { id: reqString(r.id, 'id'), idProperty, values: validateProperties(ctx.portal, r.properties) };
  });
  const results = inputs.map((input) => {
    const existing = findContact(ctx.portal, input.id, input.idProperty);
    if (existing) {
      applyProperties(ctx, existing, input.values);
      return { ...serializeContact(ctx.portal, existing, Object.keys(input.values)), new: false };
    }
    const values = { ...input.values, [input.idProperty]: input.id };
    assertEmailFree(ctx.portal, values.email);
    const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
    ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
    return { ...serializeContact(ctx.portal, contact, Object.keys(values)), new: true };
  });
  return batchResponse(ctx, startedAt, results, [], 200);
}

export function batchArchive(ctx: CrmContext): SimResponse {
  for (const raw of batchInputs(ctx.body)) archiveContact(ctx, reqString(asRecord(raw, 'input').id, 'id'));
  return { status: 204 };
}
