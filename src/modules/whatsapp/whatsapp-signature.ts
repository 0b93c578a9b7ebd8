import { createHmac } from 'node:crypto';
import { CryptoService } from '../../platform/crypto/crypto.service';

const PREFIX = 'sha256=';

/**
 * Meta's X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body bytes with the app secret.
 * Hashing a re-serialised body fails on real traffic (`@`, non-ASCII), so only the raw bytes are used.
 */
export function signWhatsAppBody(appSecret: string, rawBody: Buffer | string): string {
  return PREFIX + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}

export function verifyWhatsAppSignature(
  appSecret: string,
  rawBody: Buffer,
  header: string | undefined,
): boolean {
  if (!header || !header.startsWith(PREFIX)) return false;
  const expected = signWhatsAppBody(appSecret, rawBody);
  return CryptoService.safeEqual(expected, header.trim().toLowerCase());
}
