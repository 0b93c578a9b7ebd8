import type { CryptoService } from '../../platform/crypto/crypto.service';
import type { EventRewrite } from '../ledger';

/**
 * A WhatsApp message id (wamid) base64-encodes the phone number of the person who sent or received it, so it never
 * enters the append-only ledger in clear: the ledger key of a message or status is its blind index ("blind wamid"),
 * which still de-duplicates (the same wamid always gives the same pseudonym) and cannot be read back without the key.
 */
export const WAMID_PSEUDONYM_PREFIX = 'bw:';

/** Blind-index namespaces, so a pseudonym of one kind never equals another kind's. */
const EVENT_ID_NAMESPACE = 'wa_event_id';
const LEGACY_EVIDENCE_NAMESPACE = 'wa_evidence';
const PREF_SUBJECT_NAMESPACE = 'wa_pref_subject';
/** The subject part of a user_preferences key as pseudonymised: 32 hex digits (a wa_id or BSUID never is). */
const PSEUDONYMOUS_PREF_SUBJECT = /^[0-9a-f]{32}$/;

/**
 * Evidence keys that events recorded before this version held in clear and that can carry a phone number: wamids,
 * reply context ids (a wamid of the business's message, encoding the recipient's number), and the business's own
 * payloads (a correlation id may be anything). New events keep these sealed.
 */
const LEGACY_CLEAR_EVIDENCE_KEYS = [
  'wamid',
  'context_message_id',
  'button_payload',
  'interactive_id',
  'biz_opaque_callback_data',
] as const;

type BlindIndexer = Pick<CryptoService, 'blindIndex'>;

/**
 * The ledger key (consent_event.source_event_id) of a WhatsApp item's idempotency key: `msg:<wamid>` and
 * `status:<wamid>:<status>` become `bw:<hex>`; a user_preferences key `pref:<phone_number_id>:<wa_id>:<value>:<ts>`
 * keeps its form with the person's part blind-indexed. What is already pseudonymous is returned unchanged.
 */
export function ledgerEventId(crypto: BlindIndexer, sourceEventId: string): string {
  if (sourceEventId.startsWith(WAMID_PSEUDONYM_PREFIX)) return sourceEventId;
  const parts = sourceEventId.split(':');
  if (parts[0] === 'pref') {
    if (parts.length < 5 || PSEUDONYMOUS_PREF_SUBJECT.test(parts[2])) return sourceEventId;
    parts[2] = crypto.blindIndex(PREF_SUBJECT_NAMESPACE, parts[2]).toString('hex').slice(0, 32);
    return parts.join(':');
  }
  return `${WAMID_PSEUDONYM_PREFIX}${crypto.blindIndex(EVENT_ID_NAMESPACE, sourceEventId).toString('hex')}`;
}

/**
 * What a WhatsApp event recorded before this version becomes: its key as ledgerEventId makes it today, and every
 * clear evidence value that can carry a phone replaced by its pseudonym. Null when the event is clean already.
 */
export function pseudonymisedLegacyEvent(
  crypto: BlindIndexer,
  event: { sourceEventId: string; evidence: Readonly<Record<string, unknown>> },
): EventRewrite | null {
  const sourceEventId = ledgerEventId(crypto, event.sourceEventId);
  const evidence: Record<string, unknown> = { ...event.evidence };
  let changed = sourceEventId !== event.sourceEventId;
  for (const key of LEGACY_CLEAR_EVIDENCE_KEYS) {
    const value = evidence[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && value.startsWith(WAMID_PSEUDONYM_PREFIX)) continue;
    evidence[key] =
      `${WAMID_PSEUDONYM_PREFIX}${crypto.blindIndex(LEGACY_EVIDENCE_NAMESPACE, typeof value === 'string' ? value : JSON.stringify(value)).toString('hex')}`;
    changed = true;
  }
  return changed ? { sourceEventId, evidence } : null;
}
