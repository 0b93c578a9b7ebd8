import { createHmac, randomBytes } from 'node:crypto';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { ConnectionType } from './connector.port';

/**
 * Who started an OAuth flow, as the state remembers it. Only keyed hashes ride in the state (it passes through
 * the vendor and the browser's history), never a session token or key.
 * - `session`: a console user; the callback must carry the same session cookie, still signed in.
 * - `api_key`: an automation client; the callback must carry the binding cookie /authorize set, or the same key.
 */
export type OAuthStarter = { kind: 'session'; sessionMac: string } | { kind: 'api_key'; keyId: string };

export interface OAuthStatePayload {
  type: ConnectionType;
  name: string;
  baseUrl: string | null;
  loginUrl: string | null;
  vendorId: string | null;
  expiresAt: number;
  /** Recorded when the callback creates the connection: a state completes one flow only. */
  nonce: string;
  startedBy: OAuthStarter;
  /** Keyed hash of the binding cookie /authorize set on the client that started the flow. */
  bindingMac: string;
  /** The starter confirmed connecting an account that a live connection already reaches. */
  allowDuplicate?: boolean;
}

/** What the callback's request presents to prove it continues the flow it claims to. */
export interface OAuthPresentedProof {
  sessionToken: string | null;
  bindingCookie: string | null;
  /** The key id of a valid `Authorization: Bearer` key on the callback, if any. */
  bearerKeyId: string | null;
}

/** The proof, and a way to ask whether the key that started a flow is still in force. */
export interface OAuthCallbackCredentials extends OAuthPresentedProof {
  /** A flow started with a key and completed by its binding cookie must not outlive the key's revocation. */
  isKeyActive(keyId: string): Promise<boolean>;
}

/**
 * The OAuth `state` parameter: the pending connection's details and who started it, signed so the callback
 * (reached by a browser redirect, without an API key) can trust them, and short-lived. Signed with a key of
 * its own (AppConfig.oauthStateKey), so it rotates apart from the blind index and forging a state needs it.
 */
export class OAuthStateCodec {
  constructor(private readonly key: Buffer) {}

  /** A fresh random value for the binding cookie and the nonce. */
  static randomToken(): string {
    return randomBytes(24).toString('base64url');
  }

  encode(payload: OAuthStatePayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac('state', body)}`;
  }

  decode(state: string, now = Date.now()): OAuthStatePayload | null {
    const [body, signature, extra] = state.split('.');
    if (!body || !signature || extra !== undefined) return null;
    if (!CryptoService.safeEqual(signature, this.mac('state', body))) return null;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as OAuthStatePayload;
      return typeof payload.expiresAt === 'number' && payload.expiresAt > now ? payload : null;
    } catch {
      return null;
    }
  }

  /** A keyed hash of a secret the callback must present again (a session token, a binding cookie). */
  mac(label: 'state' | 'session' | 'binding', value: string): string {
    return createHmac('sha256', this.key).update(`${label}\0${value}`).digest('base64url');
  }

  /** Whether the callback's request comes from whoever started the flow (see OAuthStarter). */
  presentedBy(payload: OAuthStatePayload, presented: OAuthPresentedProof): boolean {
    const matches = (label: 'session' | 'binding', value: string | null, expected: string) =>
      value !== null && CryptoService.safeEqual(this.mac(label, value), expected);
    if (payload.startedBy.kind === 'session')
      return matches('session', presented.sessionToken, payload.startedBy.sessionMac);
    return (
      matches('binding', presented.bindingCookie, payload.bindingMac) ||
      presented.bearerKeyId === payload.startedBy.keyId
    );
  }
}
