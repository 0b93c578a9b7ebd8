import { InboxLane } from '../inbox';

/** Statuses that never change consent (a failed one may: error 131050 is an opt-out). */
const PLAIN_STATUSES = new Set(['sent', 'delivered', 'read']);
/** Keys of a change's value that carry no consent signal beside statuses (the parser reads contacts for messages only); anything else (messages, errors…) may. */
const PLAIN_VALUE_KEYS = new Set(['messaging_product', 'metadata', 'contacts', 'statuses']);

/**
 * The processing lane of an (already parsed) webhook body, decided at intake in one cheap pass: Bulk only
 * when it is certainly made of nothing but sent/delivered/read statuses without errors; Signal for
 * everything else (messages, user_preferences, failed statuses, errors, and any shape not recognised), so
 * that whatever might change consent is processed ahead of a campaign's statuses.
 */
export function whatsAppLane(body: unknown): InboxLane {
  if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    return InboxLane.Signal;
  }
  let statuses = 0;
  for (const entry of body.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) return InboxLane.Signal;
    for (const change of entry.changes) {
      if (!isObject(change) || change.field !== 'messages' || !isObject(change.value))
        return InboxLane.Signal;
      const value = change.value;
      for (const key in value) if (!PLAIN_VALUE_KEYS.has(key)) return InboxLane.Signal;
      if (!Array.isArray(value.statuses)) return InboxLane.Signal;
      for (const status of value.statuses) {
        if (!isObject(status) || status.errors !== undefined) return InboxLane.Signal;
        if (typeof status.status !== 'string' || !PLAIN_STATUSES.has(status.status)) return InboxLane.Signal;
        statuses++;
      }
    }
  }
  return statuses > 0 ? InboxLane.Bulk : InboxLane.Signal;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
