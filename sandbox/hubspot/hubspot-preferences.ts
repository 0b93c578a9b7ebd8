import { applyProperties, type CrmContext } from './hubspot-contacts';
import {
  asArray,
  asRecord,
  correlationId,
  HubSpotHttpError,
  optNumber,
  optString,
  reqString,
  validationError,
  type SimResponse,
} from './hubspot-http';
import type { PortalState, SubscriptionDefinition, SubscriptionStatusRecord } from './hubspot-state';

/**
 * Communication preferences: v3 (`/communication-preferences/v3/*`, email only, what the SDK's statusApi
 * and definitionApi call) and v4 (`/communication-preferences/v4/*`, reached with `client.apiRequest`).
 * The date-versioned `/communication-preferences/2026-03/*` copy is served by the same v4 handlers.
 */

export interface PreferencesContext extends CrmContext {
  /** v4 accepts `channel=WHATSAPP` only with this flag: HubSpot documents EMAIL only (reference §2.2). */
  allowWhatsAppChannel: boolean;
}

const LEGAL_BASES = new Set([
  'LEGITIMATE_INTEREST_PQL',
  'LEGITIMATE_INTEREST_CLIENT',
  'PERFORMANCE_OF_CONTRACT',
  'CONSENT_WITH_NOTICE',
  'NON_GDPR',
  'PROCESS_AND_STORE',
  'LEGITIMATE_INTEREST_OTHER',
]);

type Channel = 'EMAIL' | 'WHATSAPP';

const key = (channel: Channel, subscriber: string) => `${channel}:${subscriber.toLowerCase()}`;
const isEmail = (s: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s);

function definitions(portal: PortalState, channel: Channel) {
  return portal.subscriptionDefinitions.filter((d) => d.channel === channel);
}

function findDefinition(portal: PortalState, channel: Channel, id: string): SubscriptionDefinition {
  const def = definitions(portal, channel).find((d) => d.id === id);
  if (!def) throw validationError(`Subscription ${id} does not exist for channel ${channel}`);
  return def;
}

function statusMap(portal: PortalState, channel: Channel, subscriber: string) {
  const k = key(channel, subscriber);
  let map = portal.preferences.get(k);
  if (!map) {
    map = new Map();
    portal.preferences.set(k, map);
  }
  return map;
}

function optLegalBasis(value: unknown): string | undefined {
  const basis = optString(value);
  if (basis !== undefined && !LEGAL_BASES.has(basis)) throw validationError(`Invalid legalBasis ${basis}`);
  return basis;
}

/** Mirrors a status change into the contact's `hs_email_optout*` properties (emits propertyChange). */
function mirrorToContact(
  ctx: CrmContext,
  channel: Channel,
  subscriber: string,
  values: Record<string, string>,
) {
  if (channel !== 'EMAIL') return;
  const id = ctx.portal.emailIndex.get(subscriber.toLowerCase());
  const contact = id ? ctx.portal.contacts.get(id) : undefined;
  if (contact) applyProperties(ctx, contact, values);
}

/** Writes one status; returns the v4 `setStatusSuccessReason`. */
function setStatus(
  ctx: CrmContext,
  channel: Channel,
  subscriber: string,
  def: SubscriptionDefinition,
  state: 'SUBSCRIBED' | 'UNSUBSCRIBED',
  legalBasis: string | undefined,
  legalBasisExplanation: string | undefined,
): string {
  const map = statusMap(ctx.portal, channel, subscriber);
  const before = map.get(def.id);
  const wideKey = key(channel, subscriber);
  const optedOutOfAll = ctx.portal.unsubscribedFromAll.has(wideKey);
  let reason = 'REQUESTED_CHANGE_OCCURRED';
  if (before?.state === state && !(state === 'SUBSCRIBED' && optedOutOfAll)) reason = 'NO_STATUS_CHANGE';
  else if (state === 'SUBSCRIBED' && (before?.state === 'UNSUBSCRIBED' || optedOutOfAll))
    reason = 'RESUBSCRIBE_OCCURRED';
  const record: SubscriptionStatusRecord = {
    state,
    legalBasis: legalBasis ?? before?.legalBasis,
    legalBasisExplanation: legalBasisExplanation ?? before?.legalBasisExplanation,
    timestamp: ctx.nowIso(),
    source: 'Public API',
  };
  map.set(def.id, record);
  const mirrored: Record<string, string> = {
    [`hs_email_optout_${def.id}`]: String(state === 'UNSUBSCRIBED'),
  };
  if (state === 'SUBSCRIBED' && optedOutOfAll) {
    ctx.portal.unsubscribedFromAll.delete(wideKey);
    mirrored.hs_email_optout = 'false';
  }
  mirrorToContact(ctx, channel, subscriber, mirrored);
  return reason;
}

function unsubscribeAll(ctx: CrmContext, channel: Channel, subscriber: string) {
  const wideKey = key(channel, subscriber);
  const already = ctx.portal.unsubscribedFromAll.has(wideKey);
  if (!already) ctx.portal.unsubscribedFromAll.set(wideKey, ctx.nowIso());
  const mirrored: Record<string, string> = { hs_email_optout: 'true' };
  for (const def of definitions(ctx.portal, channel)) mirrored[`hs_email_optout_${def.id}`] = 'true';
  mirrorToContact(ctx, channel, subscriber, mirrored);
  return already;
}

// ====================================================================== v3

function v3Definition(def: SubscriptionDefinition): Omit<SubscriptionDefinition, 'channel'> {
  const out: Partial<SubscriptionDefinition> = { ...def };
  delete out.channel;
  return out as Omit<SubscriptionDefinition, 'channel'>;
}

function v3Status(portal: PortalState, email: string, def: SubscriptionDefinition) {
  const record = portal.preferences.get(key('EMAIL', email))?.get(def.id);
  const wide = portal.unsubscribedFromAll.has(key('EMAIL', email));
  const out: Record<string, unknown> = {
    id: def.id,
    name: def.name,
    description: def.description,
    status: !wide && record?.state === 'SUBSCRIBED' ? 'SUBSCRIBED' : 'NOT_SUBSCRIBED',
    sourceOfStatus: wide ? 'PORTAL_WIDE_STATUS' : 'SUBSCRIPTION_STATUS',
    brandId: def.businessUnitId,
    preferenceGroupName: def.purpose,
  };
  if (record?.legalBasis) out.legalBasis = record.legalBasis;
  if (record?.legalBasisExplanation) out.legalBasisExplanation = record.legalBasisExplanation;
  return out;
}

export function v3Definitions(ctx: PreferencesContext): SimResponse {
  return {
    status: 200,
    body: { subscriptionDefinitions: definitions(ctx.portal, 'EMAIL').map(v3Definition) },
  };
}

export function v3GetStatus(ctx: PreferencesContext, email: string): SimResponse {
  if (!isEmail(email)) throw validationError(`Invalid email address ${email}`);
  // Unknown emails answer 200 with NOT_SUBSCRIBED statuses (HubSpot's answer for them is unconfirmed).
  return {
    status: 200,
    body: {
      recipient: email,
      subscriptionStatuses: definitions(ctx.portal, 'EMAIL').map((d) => v3Status(ctx.portal, email, d)),
    },
  };
}

function v3Request(ctx: PreferencesContext) {
  const body = asRecord(ctx.body, 'body');
  const email = reqString(body.emailAddress, 'emailAddress');
  if (!isEmail(email)) throw validationError(`Invalid email address ${email}`);
  const def = findDefinition(ctx.portal, 'EMAIL', reqString(body.subscriptionId, 'subscriptionId'));
  return {
    email,
    def,
    legalBasis: optLegalBasis(body.legalBasis),
    legalBasisExplanation: optString(body.legalBasisExplanation),
  };
}

export function v3Subscribe(ctx: PreferencesContext): SimResponse {
  const r = v3Request(ctx);
  const before = ctx.portal.preferences.get(key('EMAIL', r.email))?.get(r.def.id);
  if (before?.state === 'UNSUBSCRIBED' || ctx.portal.unsubscribedFromAll.has(key('EMAIL', r.email))) {
    // v3 will not resubscribe an opted-out contact (HubSpot's v3 guide); exact message unconfirmed.
    throw validationError(
      `${r.email} has opted out and cannot be resubscribed to ${r.def.id} through the v3 API; use v4.`,
    );
  }
  setStatus(ctx, 'EMAIL', r.email, r.def, 'SUBSCRIBED', r.legalBasis, r.legalBasisExplanation);
  return { status: 200, body: v3Status(ctx.portal, r.email, r.def) };
}

export function v3Unsubscribe(ctx: PreferencesContext): SimResponse {
  const r = v3Request(ctx);
  const before = ctx.portal.preferences.get(key('EMAIL', r.email))?.get(r.def.id);
  if (before?.state === 'UNSUBSCRIBED') {
    // HubSpot refuses a repeated v3 unsubscribe with a 400 (wording unconfirmed).
    throw validationError(`${r.email} is already unsubscribed from subscription ${r.def.id}`);
  }
  setStatus(ctx, 'EMAIL', r.email, r.def, 'UNSUBSCRIBED', r.legalBasis, r.legalBasisExplanation);
  return { status: 200, body: v3Status(ctx.portal, r.email, r.def) };
}

// ====================================================================== v4

function v4Error(message: string, field: string): HubSpotHttpError {
  return new HubSpotHttpError(400, {
    status: 'error',
    message,
    correlationId: correlationId(),
    category: 'VALIDATION_ERROR',
    errors: [{ message, in: field, code: 'INVALID_VALUE', context: {} }],
    links: {},
  });
}

function channelOf(ctx: PreferencesContext, raw: unknown): Channel {
  const channel = optString(raw);
  if (!channel) throw v4Error('channel is required', 'channel');
  if (channel === 'EMAIL') return 'EMAIL';
  if (channel === 'WHATSAPP' && ctx.allowWhatsAppChannel) return 'WHATSAPP';
  throw v4Error(`Invalid channel ${channel}. Currently, only EMAIL is supported.`, 'channel');
}

function validSubscriber(channel: Channel, subscriber: string) {
  return channel === 'EMAIL' ? isEmail(subscriber) : /^\+?\d{6,15}$/.test(subscriber) || isEmail(subscriber);
}

function requireSubscriber(channel: Channel, subscriber: string) {
  if (!validSubscriber(channel, subscriber))
    throw v4Error(`Invalid subscriberIdString ${subscriber}`, 'subscriberIdString');
}

function v4Status(
  portal: PortalState,
  channel: Channel,
  subscriber: string,
  def: SubscriptionDefinition,
  reason?: string,
) {
  const record = portal.preferences.get(key(channel, subscriber))?.get(def.id);
  const wide = portal.unsubscribedFromAll.get(key(channel, subscriber));
  const status = wide ? 'UNSUBSCRIBED' : (record?.state ?? 'NOT_SPECIFIED');
  const out: Record<string, unknown> = {
    subscriberIdString: subscriber,
    channel,
    subscriptionId: Number(def.id),
    subscriptionName: def.name,
    status,
    source: record?.source ?? (wide ? 'Public API' : 'Default'),
    timestamp: wide ?? record?.timestamp ?? def.createdAt,
    businessUnitId: def.businessUnitId,
  };
  if (record?.legalBasis) out.legalBasis = record.legalBasis;
  if (record?.legalBasisExplanation) out.legalBasisExplanation = record.legalBasisExplanation;
  if (reason) out.setStatusSuccessReason = reason;
  return out;
}

function wideStatuses(portal: PortalState, channel: Channel, subscriber: string) {
  const at = portal.unsubscribedFromAll.get(key(channel, subscriber));
  if (!at) return [];
  return [
    {
      subscriberIdString: subscriber,
      channel,
      status: 'UNSUBSCRIBED',
      wideStatusType: 'PORTAL_WIDE',
      timestamp: at,
      businessUnitId: 0,
    },
  ];
}

function actionResponse(
  ctx: CrmContext,
  requestedAt: string,
  results: unknown[],
  errors: unknown[] = [],
): SimResponse {
  const body: Record<string, unknown> = {
    status: 'COMPLETE',
    requestedAt,
    startedAt: requestedAt,
    completedAt: ctx.nowIso(),
    results,
    links: {},
  };
  if (errors.length > 0) {
    body.numErrors = errors.length;
    body.errors = errors;
    return { status: 207, body };
  }
  return { status: 200, body };
}

function itemError(message: string, subscriber: string) {
  return {
    status: 'error',
    category: 'VALIDATION_ERROR',
    message,
    context: { emails: [subscriber] },
    errors: [],
    links: {},
    id: correlationId(),
  };
}

export function v4GetStatuses(ctx: PreferencesContext, subscriber: string): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  requireSubscriber(channel, subscriber);
  const startedAt = ctx.nowIso();
  return actionResponse(
    ctx,
    startedAt,
    definitions(ctx.portal, channel).map((d) => v4Status(ctx.portal, channel, subscriber, d)),
  );
}

function writeOne(ctx: PreferencesContext, subscriber: string, raw: unknown) {
  const r = asRecord(raw, 'status request');
  const channel = channelOf(ctx, r.channel);
  requireSubscriber(channel, subscriber);
  const statusState = reqString(r.statusState, 'statusState');
  const subscriptionId = optNumber(r.subscriptionId);
  if (subscriptionId === undefined) throw v4Error('subscriptionId is required', 'subscriptionId');
  const def = findDefinition(ctx.portal, channel, String(subscriptionId));
  const legalBasis = optLegalBasis(r.legalBasis);
  const explanation = optString(r.legalBasisExplanation);
  if (statusState === 'NOT_SPECIFIED') {
    ctx.portal.preferences.get(key(channel, subscriber))?.delete(def.id);
    return v4Status(ctx.portal, channel, subscriber, def, 'REQUESTED_CHANGE_OCCURRED');
  }
  if (statusState !== 'SUBSCRIBED' && statusState !== 'UNSUBSCRIBED') {
    throw v4Error(`Invalid statusState ${statusState}`, 'statusState');
  }
  const reason = setStatus(ctx, channel, subscriber, def, statusState, legalBasis, explanation);
  return v4Status(ctx.portal, channel, subscriber, def, reason);
}

export function v4PostStatus(ctx: PreferencesContext, subscriber: string): SimResponse {
  const startedAt = ctx.nowIso();
  return actionResponse(ctx, startedAt, [writeOne(ctx, subscriber, ctx.body)]);
}

export function v4GetUnsubscribeAll(ctx: PreferencesContext, subscriber: string): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  requireSubscriber(channel, subscriber);
  return actionResponse(ctx, ctx.nowIso(), wideStatuses(ctx.portal, channel, subscriber));
}

function unsubscribeAllResults(ctx: PreferencesContext, channel: Channel, subscriber: string) {
  const already = unsubscribeAll(ctx, channel, subscriber);
  const reason = already ? 'NO_STATUS_CHANGE' : 'UNSUBSCRIBE_FROM_ALL_OCCURRED';
  return definitions(ctx.portal, channel).map((d) => v4Status(ctx.portal, channel, subscriber, d, reason));
}

export function v4PostUnsubscribeAll(ctx: PreferencesContext, subscriber: string): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  requireSubscriber(channel, subscriber);
  const startedAt = ctx.nowIso();
  const results = unsubscribeAllResults(ctx, channel, subscriber);
  const verbose = ctx.query.get('verbose') === 'true';
  return actionResponse(ctx, startedAt, verbose ? results : results.slice(0, 0));
}

function batchSubscribers(ctx: PreferencesContext): string[] {
  const inputs = asArray(asRecord(ctx.body, 'body').inputs, 'inputs');
  if (inputs.length > 100)
    throw v4Error(`Batch input limit is 100, but ${inputs.length} were provided.`, 'inputs');
  return inputs.map((i) => reqString(i, 'input'));
}

export function v4BatchRead(ctx: PreferencesContext): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  const startedAt = ctx.nowIso();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const s of batchSubscribers(ctx)) {
    if (!validSubscriber(channel, s)) errors.push(itemError(`Invalid subscriberIdString ${s}`, s));
    else
      results.push({
        subscriberIdString: s,
        statuses: definitions(ctx.portal, channel).map((d) => v4Status(ctx.portal, channel, s, d)),
      });
  }
  return actionResponse(ctx, startedAt, results, errors);
}

export function v4BatchWrite(ctx: PreferencesContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = asArray(asRecord(ctx.body, 'body').inputs, 'inputs');
  if (inputs.length > 100)
    throw v4Error(`Batch input limit is 100, but ${inputs.length} were provided.`, 'inputs');
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const raw of inputs) {
    const subscriber = reqString(asRecord(raw, 'input').subscriberIdString, 'subscriberIdString');
    try {
      results.push(writeOne(ctx, subscriber, raw));
    } catch (err) {
      if (!(err instanceof HubSpotHttpError)) throw err;
      errors.push(itemError(err.message, subscriber));
    }
  }
  return actionResponse(ctx, startedAt, results, errors);
}

export function v4BatchUnsubscribeAll(ctx: PreferencesContext): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  const startedAt = ctx.nowIso();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const s of batchSubscribers(ctx)) {
    if (!validSubscriber(channel, s)) errors.push(itemError(`Invalid subscriberIdString ${s}`, s));
    else results.push({ subscriberIdString: s, statuses: unsubscribeAllResults(ctx, channel, s) });
  }
  return actionResponse(ctx, startedAt, results, errors);
}

export function v4BatchUnsubscribeAllRead(ctx: PreferencesContext): SimResponse {
  const channel = channelOf(ctx, ctx.query.get('channel'));
  const startedAt = ctx.nowIso();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const s of batchSubscribers(ctx)) {
    if (!validSubscriber(channel, s)) errors.push(itemError(`Invalid subscriberIdString ${s}`, s));
    else results.push({ subscriberIdString: s, wideStatuses: wideStatuses(ctx.portal, channel, s) });
  }
  return actionResponse(ctx, startedAt, results, errors);
}

export function v4Definitions(ctx: PreferencesContext): SimResponse {
  const defs = ctx.portal.subscriptionDefinitions.filter(
    (d) => d.channel === 'EMAIL' || ctx.allowWhatsAppChannel,
  );
  return actionResponse(
    ctx,
    ctx.nowIso(),
    defs.map((d) => ({ ...v3Definition(d), id: d.id })),
  );
}
