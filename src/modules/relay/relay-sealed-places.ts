import { sealedAt } from '../../platform/crypto/crypto.service';

/** Where the relay's copy of a delivery's raw body lives (associated data): its own place, not the inbox's. */
export function relayBodyPlace(inboxId: string): string {
  return sealedAt('relay_message', 'body', inboxId);
}
