/**
 * The evidence keys an erased person's events keep: what the gateway itself decided or the business's own
 * facts (its WhatsApp numbers, keyword language, API key name), never anything the person sent or a vendor id
 * that can be traced back to them (wamid, callback data, button payloads, details, signup ids, record ids). Kept
 * as an allowlist: a key not named here is stripped, so new evidence keys are stripped until judged harmless.
 */
export const EVIDENCE_KEPT_AFTER_ERASURE: readonly string[] = [
  'waba_id',
  'phone_number_id',
  'item_type',
  'field',
  'message_type',
  'keyword_language',
  'matched_on',
  'interactive_type',
  'system_type',
  'status',
  'category',
  'value',
  'error_codes',
  'error_code',
  'conversation_origin',
  'pricing_category',
  'captured_at_source',
  'capture_clamped',
  'claimed_captured_at',
  'api_key_id',
  'api_key_name',
  'source',
  'connection_id',
  'record',
  'record_type',
  'blocked_by',
  'new_relationship_after_erasure',
  'request_id',
];

/** An event's evidence as it stays after erasure (the same rule the erasure's SQL applies). */
export function evidenceAfterErasure(evidence: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const kept = new Set(EVIDENCE_KEPT_AFTER_ERASURE);
  return Object.fromEntries(Object.entries(evidence).filter(([k]) => kept.has(k)));
}
