import type { ConsentMethod, IdentityInput } from '../ledger';
import type { RequestKeywordMatch } from './request-keywords';

/** What one webhook item means for consent. */
export type WhatsAppSignal =
  | {
      kind: 'opt_out' | 'opt_in';
      method: ConsentMethod;
      /** Business number (metadata.phone_number_id) the preference applies to; null = every number. */
      scope: string | null;
    }
  | { kind: 'number_changed'; newWaId: string }
  | { kind: 'none'; reason: string };

export type WhatsAppItemType = 'message' | 'status' | 'user_preferences' | 'error';

/** One message, status, user_preferences item or error of one change of one entry. */
export interface WhatsAppItem {
  itemType: WhatsAppItemType;
  /**
   * Idempotency key within source "whatsapp": message `msg:<wamid>`, status `status:<wamid>:<status>`,
   * user_preferences `pref:<phone_number_id>:<wa_id|user_id>:<value>:<timestamp>`. Null when the item
   * carries too little to be keyed (it is then recorded as processed, never an error).
   */
  sourceEventId: string | null;
  /**
   * The wamid of a message or status (null otherwise). It base64-encodes a phone number, so it only ever leaves
   * this module pseudonymised (wamid-pseudonym.ts) or sealed.
   */
  messageId: string | null;
  /** Message type (text, button, interactive, reaction, system, ...), status value, or preference value. */
  subtype: string | null;
  wabaId: string | null;
  phoneNumberId: string | null;
  /** When the person acted, from the payload timestamp (string or integer Unix seconds). */
  capturedAt: Date | null;
  /** The person's identifiers found in the item (wa_id, BSUID user_id, parent_user_id). */
  identities: IdentityInput[];
  signal: WhatsAppSignal;
  /** A text message that is a data-subject request keyword (config/requests.json); absent otherwise. */
  request?: RequestKeywordMatch | null;
  /** Non-personal evidence kept in clear: WABA id, phone_number_id, types, error codes, keyword language. */
  evidence: Record<string, string | number | boolean | null>;
  /**
   * Personal evidence, stored encrypted under the person's key: message text, profile name, wa_ids, and every
   * value that can carry a phone number (wamids, reply context ids, button payloads, interactive ids, callback data).
   */
  sealedEvidence: Record<string, string | number | boolean | null>;
}
