import { sealedAt } from '../../platform/crypto/crypto.service';

/**
 * Where a delivery's raw body lives (associated data): bound to its natural key (provider, delivery id), known
 * before the batched insert that generates the row ids.
 */
export function rawBodyPlace(provider: string, deliveryId: string): string {
  return sealedAt('inbox', 'raw_body', provider, deliveryId);
}
