import { createHmac } from 'node:crypto';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { ConnectionType } from './connector.port';

export interface OAuthStatePayload {
  type: ConnectionType;
  name: string;
  baseUrl: string | null;
  loginUrl: string | null;
  vendorId: string | null;
  expiresAt: number;
  nonce: string;
}

/**
 * The OAuth `state` parameter: the pending connection's details, signed so the callback (reached by the
 * admin's browser without an API key) can trust them, and short-lived.
 */
export class OAuthStateCodec {
  constructor(private readonly key: Buffer) {}

  static fromCrypto(crypto: CryptoService): OAuthStateCodec {
    return new OAuthStateCodec(crypto.blindIndex('oauth-state', 'v1'));
  }

  encode(payload: OAuthStatePayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode(state: string, now = Date.now()): OAuthStatePayload | null {
    const [body, signature] = state.split('.');
    if (!body || !signature || !CryptoService.safeEqual(signature, this.sign(body))) return null;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as OAuthStatePayload;
      return payload.expiresAt > now ? payload : null;
    } catch {
      return null;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
