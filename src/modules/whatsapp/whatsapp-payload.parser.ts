import type { ConsentMethod, IdentityInput, IdentityKind } from '../ledger';
import {
  matchButtonPayload,
  matchButtonText,
  matchKeyword,
  userPreferenceAction,
  type ConsentDirection,
  type ConsentRules,
} from './consent-rules';
import { matchRequestKeyword, type RequestKeywordMatch, type RequestKeywords } from './request-keywords';
import type { WhatsAppItem, WhatsAppItemType, WhatsAppSignal } from './whatsapp.types';

type JsonObject = Record<string, unknown>;
type Evidence = WhatsAppItem['evidence'];

/** Meta's "recipient chose to stop marketing messages from this business". */
const ERROR_MARKETING_OPT_OUT = 131050;
/** Per-user marketing frequency cap: looks like a block but is NOT an opt-out. */
const ERROR_FREQUENCY_CAP = 131049;
const MARKETING_CATEGORY = 'marketing_messages';
// Timestamps beyond this are not Unix seconds (Date's range ends at 8.64e15 ms).
const MAX_UNIX_SECONDS = 8.64e12;

interface ChangeContext {
  wabaId: string | null;
  phoneNumberId: string | null;
  field: string | null;
  contacts: JsonObject[];
}

/**
 * Turns one WhatsApp Cloud API webhook body into one item per message, status, user_preferences item and
 * value-level error, each classified as a consent signal. Never throws: the raw body is already stored, and
 * an exception here would turn a malformed or novel payload into a retry loop instead of a recorded no-op.
 */
export function parseWhatsAppEnvelope(
  body: unknown,
  rules: ConsentRules,
  requestKeywords: RequestKeywords = new Map(),
): WhatsAppItem[] {
  if (!isObject(body)) return [];
  // Other Graph products (Messenger "page", Instagram) share the envelope; their items are not ours.
  if (body.object !== undefined && body.object !== 'whatsapp_business_account') return [];
  const items: WhatsAppItem[] = [];
  for (const entry of objects(body.entry)) {
    const wabaId = idString(entry.id);
    for (const change of objects(entry.changes)) {
      const value = change.value;
      if (!isObject(value)) continue;
      const metadata = isObject(value.metadata) ? value.metadata : {};
      const context: ChangeContext = {
        wabaId,
        phoneNumberId: idString(metadata.phone_number_id),
        field: nonEmptyString(change.field),
        contacts: objects(value.contacts),
      };
      for (const message of objects(value.messages)) {
        items.push(safely('message', context, () => parseMessage(message, context, rules, requestKeywords)));
      }
      for (const status of objects(value.statuses)) {
        items.push(safely('status', context, () => parseStatus(status, context)));
      }
      for (const preference of objects(value.user_preferences)) {
        items.push(
          safely('user_preferences', context, () => parseUserPreference(preference, context, rules)),
        );
      }
      for (const error of objects(value.errors)) {
        items.push(safely('error', context, () => parseValueError(error, context)));
      }
    }
  }
  return items;
}

function parseMessage(
  message: JsonObject,
  context: ChangeContext,
  rules: ConsentRules,
  requestKeywords: RequestKeywords,
): WhatsAppItem {
  const wamid = nonEmptyString(message.id);
  const type = nonEmptyString(message.type);
  const from = idString(message.from);
  const fromUserId = idString(message.from_user_id);
  const contact = findContact(context.contacts, from, fromUserId);

  const identities = new IdentitySet();
  identities.add('wa_id', from);
  identities.add('wa_user_id', fromUserId);
  identities.add('wa_id', contact && idString(contact.wa_id));
  identities.add('wa_user_id', contact && idString(contact.user_id));
  identities.add('wa_parent_user_id', contact && idString(contact.parent_user_id));

  const evidence = baseEvidence(context, 'message');
  put(evidence, 'message_type', type);
  const replyContext = isObject(message.context) ? message.context : null;
  const referral = isObject(message.referral) ? message.referral : null;
  put(evidence, 'referral_source_id', referral && nonEmptyString(referral.source_id));
  put(evidence, 'error_codes', errorCodes(message.errors).join(',') || null);

  // A wamid base64-encodes the sender's number (and a reply's context id the recipient's): sealed, never in clear.
  const sealed: Evidence = {};
  put(sealed, 'wamid', wamid);
  put(sealed, 'context_message_id', replyContext && nonEmptyString(replyContext.id));
  put(sealed, 'from', from);
  put(sealed, 'from_user_id', fromUserId);
  if (contact) {
    const profile = isObject(contact.profile) ? contact.profile : null;
    put(sealed, 'profile_name', profile && nonEmptyString(profile.name));
    put(sealed, 'profile_username', profile && nonEmptyString(profile.username));
    put(sealed, 'contact_wa_id', idString(contact.wa_id));
    put(sealed, 'contact_user_id', idString(contact.user_id));
    put(sealed, 'contact_parent_user_id', idString(contact.parent_user_id));
  }
  put(sealed, 'referral_ctwa_clid', referral && nonEmptyString(referral.ctwa_clid));

  let signal = classifyMessage(message, type, context, rules, evidence, sealed);
  // Without a wamid the item cannot be de-duplicated across Meta's retries, so it must not change consent.
  if (!wamid) signal = none('message without id');
  // A request keyword is a request of its own, beside whatever consent meaning the text has (none, unless
  // the business lists the same words as a STOP); it too needs a wamid and a person.
  const request = wamid && identities.size > 0 ? requestIn(message, type, requestKeywords) : null;
  if (request) {
    put(evidence, 'request_type', request.type);
    put(evidence, 'request_keyword_language', request.language);
  }
  return {
    itemType: 'message',
    sourceEventId: wamid ? `msg:${wamid}` : null,
    messageId: wamid,
    subtype: type,
    wabaId: context.wabaId,
    phoneNumberId: context.phoneNumberId,
    capturedAt: unixSeconds(message.timestamp),
    identities: identities.list(),
    signal: requireSubject(signal, identities),
    request,
    evidence,
    sealedEvidence: sealed,
  };
}

function requestIn(
  message: JsonObject,
  type: string | null,
  keywords: RequestKeywords,
): RequestKeywordMatch | null {
  if (type !== 'text' || keywords.size === 0) return null;
  const body = isObject(message.text) ? nonEmptyString(message.text.body) : null;
  return body === null ? null : matchRequestKeyword(body, keywords);
}

function classifyMessage(
  message: JsonObject,
  type: string | null,
  context: ChangeContext,
  rules: ConsentRules,
  evidence: Evidence,
  sealed: Evidence,
): WhatsAppSignal {
  if (!type) return none('message without type');
  switch (type) {
    case 'text': {
      const body = isObject(message.text) ? nonEmptyString(message.text.body) : null;
      put(sealed, 'text_body', body);
      const match = body === null ? null : matchKeyword(body, rules);
      if (!match) return none('text is not a consent keyword');
      put(evidence, 'keyword_language', match.language);
      put(evidence, 'keyword', match.keyword);
      return consent(match.kind, 'wa_keyword', context);
    }
    case 'button': {
      // Template quick reply: the payload is ours (set at send time); Meta's own "Stop promotions"
      // button is only recognisable by its label.
      const button = isObject(message.button) ? message.button : {};
      const payload = nonEmptyString(button.payload);
      const text = nonEmptyString(button.text);
      // The business's payload may carry a correlation id of its own choosing (a phone, an email): sealed.
      put(sealed, 'button_payload', payload);
      put(sealed, 'button_text', text);
      const byPayload = payload === null ? null : matchButtonPayload(payload, rules);
      const kind = byPayload ?? (text === null ? null : matchButtonText(text, rules));
      if (!kind) return none('button is not a configured consent button');
      put(evidence, 'matched_on', byPayload ? 'button_payload' : 'button_text');
      return consent(kind, 'wa_button', context);
    }
    case 'interactive': {
      const interactive = isObject(message.interactive) ? message.interactive : {};
      const interactiveType = nonEmptyString(interactive.type);
      put(evidence, 'interactive_type', interactiveType);
      const reply =
        interactiveType === 'button_reply' || interactiveType === 'list_reply'
          ? interactive[interactiveType]
          : undefined;
      if (!isObject(reply))
        return none(`interactive ${interactiveType ?? 'reply'} carries no consent signal`);
      const id = nonEmptyString(reply.id);
      // Like a button payload, the reply id is the business's free text: sealed.
      put(sealed, 'interactive_id', id);
      put(sealed, 'interactive_title', nonEmptyString(reply.title));
      const kind = id === null ? null : matchButtonPayload(id, rules);
      if (!kind) return none('interactive reply id is not a configured consent button');
      return consent(kind, 'wa_interactive', context);
    }
    case 'system': {
      const system = isObject(message.system) ? message.system : {};
      const systemType = nonEmptyString(system.type);
      put(evidence, 'system_type', systemType);
      put(sealed, 'system_body', nonEmptyString(system.body));
      if (systemType !== 'user_changed_number')
        return none(`system ${systemType ?? 'message'} is not a consent signal`);
      // `from` is the OLD number and system.wa_id the NEW one; there is no contacts[] entry.
      const newWaId = idString(system.wa_id);
      put(sealed, 'new_wa_id', newWaId);
      if (!newWaId) return none('user_changed_number without the new wa_id');
      return { kind: 'number_changed', newWaId };
    }
    default:
      return none(`message type ${type} carries no consent signal`);
  }
}

function parseStatus(status: JsonObject, context: ChangeContext): WhatsAppItem {
  const wamid = nonEmptyString(status.id);
  const value = nonEmptyString(status.status);
  const recipientId = idString(status.recipient_id);
  const recipientUserId = idString(status.recipient_user_id);
  const codes = errorCodes(status.errors);

  const identities = new IdentitySet();
  identities.add('wa_id', recipientId);
  identities.add('wa_user_id', recipientUserId);

  const evidence = baseEvidence(context, 'status');
  put(evidence, 'status', value);
  put(evidence, 'error_codes', codes.join(',') || null);
  const conversation = isObject(status.conversation) ? status.conversation : null;
  const origin = conversation && isObject(conversation.origin) ? conversation.origin : null;
  put(evidence, 'conversation_origin', origin && nonEmptyString(origin.type));
  const pricing = isObject(status.pricing) ? status.pricing : null;
  put(evidence, 'pricing_category', pricing && nonEmptyString(pricing.category));

  // The wamid encodes the recipient's number; the callback data is whatever the business attached when sending.
  const sealed: Evidence = {};
  put(sealed, 'wamid', wamid);
  put(sealed, 'biz_opaque_callback_data', nonEmptyString(status.biz_opaque_callback_data));
  put(sealed, 'recipient_id', recipientId);
  put(sealed, 'recipient_user_id', recipientUserId);

  let signal: WhatsAppSignal;
  if (value === 'failed' && codes.includes(ERROR_MARKETING_OPT_OUT)) {
    signal = consent('opt_out', 'meta_error_131050', context);
  } else if (value === 'failed' && codes.includes(ERROR_FREQUENCY_CAP)) {
    signal = none('131049 is a marketing frequency cap, not an opt-out');
  } else {
    signal = none(`status ${value ?? '(missing)'}${codes.length ? ` with errors ${codes.join(',')}` : ''}`);
  }
  return {
    itemType: 'status',
    sourceEventId: wamid && value ? `status:${wamid}:${value}` : null,
    messageId: wamid,
    subtype: value,
    wabaId: context.wabaId,
    phoneNumberId: context.phoneNumberId,
    capturedAt: unixSeconds(status.timestamp),
    identities: identities.list(),
    signal: requireSubject(signal, identities),
    evidence,
    sealedEvidence: sealed,
  };
}

function parseUserPreference(
  preference: JsonObject,
  context: ChangeContext,
  rules: ConsentRules,
): WhatsAppItem {
  // The subject is the item's own wa_id/user_id: contacts[] of the same change can name someone else.
  const waId = idString(preference.wa_id);
  const userId = idString(preference.user_id);
  const parentUserId = idString(preference.parent_user_id);
  const category = nonEmptyString(preference.category);
  const value = nonEmptyString(preference.value);
  const capturedAt = unixSeconds(preference.timestamp);
  // Integer and string timestamps of the same instant must give the same idempotency key.
  const timestampKey = capturedAt ? String(capturedAt.getTime() / 1000) : idString(preference.timestamp);

  const identities = new IdentitySet();
  identities.add('wa_id', waId);
  identities.add('wa_user_id', userId);
  identities.add('wa_parent_user_id', parentUserId);

  const evidence = baseEvidence(context, 'user_preferences');
  put(evidence, 'category', category);
  put(evidence, 'value', value);
  put(evidence, 'detail', nonEmptyString(preference.detail));
  put(evidence, 'signup_id', idString(preference.signup_id));

  const sealed: Evidence = {};
  put(sealed, 'wa_id', waId);
  put(sealed, 'user_id', userId);
  put(sealed, 'parent_user_id', parentUserId);

  let signal: WhatsAppSignal;
  const action = value === null ? null : userPreferenceAction(value, rules);
  if (category !== MARKETING_CATEGORY) {
    signal = none(`user_preferences category ${category ?? '(missing)'} is not handled`);
  } else if (action === null) {
    signal = none(`user_preferences value ${value ?? '(missing)'} is not configured`);
  } else if (action === 'none') {
    signal = none(`user_preferences value ${value ?? ''} is configured to be ignored`);
  } else {
    signal = consent(action, 'meta_user_preferences', context);
  }

  const subjectKey = waId ?? userId;
  const sourceEventId =
    context.phoneNumberId && subjectKey && value && timestampKey
      ? `pref:${context.phoneNumberId}:${subjectKey}:${value}:${timestampKey}`
      : null;
  return {
    itemType: 'user_preferences',
    sourceEventId,
    messageId: null,
    subtype: value,
    wabaId: context.wabaId,
    phoneNumberId: context.phoneNumberId,
    capturedAt,
    identities: identities.list(),
    signal: requireSubject(signal, identities),
    evidence,
    sealedEvidence: sealed,
  };
}

function parseValueError(error: JsonObject, context: ChangeContext): WhatsAppItem {
  const code = errorCode(error.code);
  const evidence = baseEvidence(context, 'error');
  put(evidence, 'error_code', code);
  put(evidence, 'error_title', nonEmptyString(error.title));
  const errorData = isObject(error.error_data) ? error.error_data : null;
  put(evidence, 'error_details', errorData && nonEmptyString(errorData.details));
  return {
    itemType: 'error',
    sourceEventId: null,
    messageId: null,
    subtype: code === null ? null : String(code),
    wabaId: context.wabaId,
    phoneNumberId: context.phoneNumberId,
    capturedAt: null,
    identities: [],
    signal: none(`webhook error ${code ?? '(no code)'}`),
    evidence,
    sealedEvidence: {},
  };
}

// Belt and braces: the guards above should make this unreachable, but a throw would lose the whole POST.
function safely(itemType: WhatsAppItemType, context: ChangeContext, parse: () => WhatsAppItem): WhatsAppItem {
  try {
    return parse();
  } catch (err) {
    return {
      itemType,
      sourceEventId: null,
      messageId: null,
      subtype: null,
      wabaId: context.wabaId,
      phoneNumberId: context.phoneNumberId,
      capturedAt: null,
      identities: [],
      signal: none(`unparseable item: ${err instanceof Error ? err.message : String(err)}`),
      evidence: baseEvidence(context, itemType),
      sealedEvidence: {},
    };
  }
}

/**
 * The contacts[] entry describing the sender: same wa_id or BSUID, else the only contact unless it names a
 * different person.
 */
function findContact(
  contacts: JsonObject[],
  from: string | null,
  fromUserId: string | null,
): JsonObject | null {
  const matching = contacts.find(
    (c) =>
      (from !== null && idString(c.wa_id) === from) ||
      (fromUserId !== null && idString(c.user_id) === fromUserId),
  );
  if (matching) return matching;
  if (contacts.length !== 1) return null;
  const only = contacts[0];
  const waId = idString(only.wa_id);
  const userId = idString(only.user_id);
  if (from !== null && waId !== null && waId !== from) return null;
  if (fromUserId !== null && userId !== null && userId !== fromUserId) return null;
  return only;
}

class IdentitySet {
  private readonly items: IdentityInput[] = [];

  add(kind: IdentityKind, value: string | null): void {
    if (value === null || this.items.some((i) => i.kind === kind && i.value === value)) return;
    this.items.push({ kind, value });
  }

  list(): IdentityInput[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }
}

// A consent change with nobody to attach it to cannot be applied; record it as processed instead.
function requireSubject(signal: WhatsAppSignal, identities: IdentitySet): WhatsAppSignal {
  if ((signal.kind === 'opt_out' || signal.kind === 'opt_in') && identities.size === 0) {
    return none(`${signal.kind} without any subject identity`);
  }
  return signal;
}

function consent(kind: ConsentDirection, method: ConsentMethod, context: ChangeContext): WhatsAppSignal {
  return { kind, method, scope: context.phoneNumberId };
}

function none(reason: string): WhatsAppSignal {
  return { kind: 'none', reason };
}

function baseEvidence(context: ChangeContext, itemType: WhatsAppItemType): Evidence {
  const evidence: Evidence = {
    waba_id: context.wabaId,
    phone_number_id: context.phoneNumberId,
    item_type: itemType,
  };
  put(evidence, 'field', context.field);
  return evidence;
}

function put(record: Evidence, key: string, value: string | number | boolean | null | undefined): void {
  if (value !== null && value !== undefined) record[key] = value;
}

function errorCodes(value: unknown): number[] {
  const codes: number[] = [];
  for (const error of objects(value)) {
    const code = errorCode(error.code);
    if (code !== null) codes.push(code);
  }
  return codes;
}

function errorCode(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** Unix seconds as Meta sends them: a digit string in messages/statuses, an integer in user_preferences. */
function unixSeconds(value: unknown): Date | null {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^\d{1,13}$/.test(value.trim())) seconds = Number(value.trim());
  else return null;
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_UNIX_SECONDS) return null;
  return new Date(seconds * 1000);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** An identifier as received; SDK-built payloads sometimes carry numeric ids instead of digit strings. */
function idString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return nonEmptyString(value);
}
