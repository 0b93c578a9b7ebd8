import { randomBytes } from 'node:crypto';
import { OAuthStateCodec, type OAuthStatePayload } from './oauth-state';

const codec = new OAuthStateCodec(randomBytes(32));

function payload(overrides: Partial<OAuthStatePayload> = {}): OAuthStatePayload {
  return {
    type: 'hubspot',
    name: 'HubSpot',
    baseUrl: null,
    loginUrl: null,
    vendorId: null,
    expiresAt: Date.now() + 60_000,
    nonce: 'nonce-1',
    startedBy: { kind: 'api_key', keyId: 'key-1' },
    bindingMac: codec.mac('binding', 'binding-cookie'),
    ...overrides,
  };
}

const nothing = { sessionToken: null, bindingCookie: null, bearerKeyId: null };

describe(OAuthStateCodec.name, () => {
  it('reads back what it signed, until it expires', () => {
    const state = codec.encode(payload());
    expect(codec.decode(state)).toEqual(payload({ expiresAt: expect.any(Number) as number }));
    expect(codec.decode(state, Date.now() + 120_000)).toBeNull();
  });

  it('refuses a state signed with another key, or altered', () => {
    const state = codec.encode(payload());
    expect(new OAuthStateCodec(randomBytes(32)).decode(state)).toBeNull();
    const [body, signature] = state.split('.');
    const altered = Buffer.from(JSON.stringify({ ...payload(), vendorId: 'someone-elses-vendor' })).toString(
      'base64url',
    );
    expect(codec.decode(`${altered}.${signature}`)).toBeNull();
    expect(codec.decode(`${body}.${signature}.extra`)).toBeNull();
  });

  it('carries only keyed hashes of the secrets that bind it, never the secrets', () => {
    const state = codec.encode(
      payload({ startedBy: { kind: 'session', sessionMac: codec.mac('session', 'session-token') } }),
    );
    const body = Buffer.from(state.split('.')[0], 'base64url').toString('utf8');
    expect(body).not.toContain('session-token');
    expect(body).not.toContain('binding-cookie');
  });

  describe('presentedBy', () => {
    it('binds a console flow to its session: the same session token, and nothing else', () => {
      const started = payload({
        startedBy: { kind: 'session', sessionMac: codec.mac('session', 'session-token') },
      });
      expect(codec.presentedBy(started, { ...nothing, sessionToken: 'session-token' })).toBe(true);
      expect(codec.presentedBy(started, { ...nothing, sessionToken: 'another-session' })).toBe(false);
      expect(codec.presentedBy(started, { ...nothing, bindingCookie: 'binding-cookie' })).toBe(false);
    });

    it("binds an API client's flow to its binding cookie or its key", () => {
      const started = payload();
      expect(codec.presentedBy(started, { ...nothing, bindingCookie: 'binding-cookie' })).toBe(true);
      expect(codec.presentedBy(started, { ...nothing, bearerKeyId: 'key-1' })).toBe(true);
      expect(codec.presentedBy(started, { ...nothing, bindingCookie: 'guessed' })).toBe(false);
      expect(codec.presentedBy(started, { ...nothing, bearerKeyId: 'key-2' })).toBe(false);
      expect(codec.presentedBy(started, nothing)).toBe(false);
    });
  });
});
