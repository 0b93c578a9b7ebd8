import { OutboundGuard, OutboundRefusedError, OutboundUrlError } from './outbound-guard';

const guard = (allowlist: string[] = []) => new OutboundGuard({ outboundAllowlist: allowlist });

/** The reason `check` refuses a URL, or null when it accepts it. */
async function refusal(g: OutboundGuard, raw: string): Promise<string | null> {
  try {
    await g.check(raw);
    return null;
  } catch (error) {
    if (error instanceof OutboundUrlError) return error.message;
    throw error;
  }
}

describe(OutboundGuard.name, () => {
  it.each([
    'https://[::ffff:7f00:1]:3000/',
    'https://[::ffff:127.0.0.1]:3000/',
    'https://[::ffff:a9fe:a9fe]/latest/meta-data/',
    'https://[::7f00:1]:3000/',
    'https://[::ffff:0:7f00:1]:3000/',
    'https://[2002:7f00:1::]:3000/',
    'https://[fec0::1]/',
    'https://[64:ff9b::7f00:1]/',
    'https://2130706433:3000/',
    'https://127.1:3000/',
    'https://0x7f000001/',
  ])('refuses %s, whatever the spelling of a private address', async (raw) => {
    expect(await refusal(guard(), raw)).toMatch(/resolves to public addresses only/);
  });

  it('gives one answer for a private address and a name that does not resolve (no map of the network)', async () => {
    const g = guard();
    expect(await refusal(g, 'https://[::1]/')).toBe(await refusal(g, 'https://does-not-exist.invalid/'));
  });

  it('accepts a public address', async () => {
    expect(await refusal(guard(), 'https://[2606:4700:4700::1111]/hooks')).toBeNull();
  });

  it('refuses other schemes, credentials and plain http', async () => {
    const g = guard();
    expect(await refusal(g, 'file:///etc/passwd')).toBe('must be http or https');
    expect(await refusal(g, 'gopher://8.8.8.8/')).toBe('must be http or https');
    expect(await refusal(g, 'https://user:pw@8.8.8.8/')).toBe('must not carry credentials');
    expect(await refusal(g, 'http://8.8.8.8/')).toBe('must use https');
    expect(await refusal(g, 'not a url')).toBe('is not a valid URL');
  });

  it("lets an allow-listed host through on its listed port only (an entry without port: the scheme's default)", async () => {
    const g = guard(['127.0.0.1:4010', 'localhost']);
    expect(await refusal(g, 'http://127.0.0.1:4010/')).toBeNull();
    expect(await refusal(g, 'http://127.0.0.1:4011/')).not.toBeNull();
    expect(await refusal(g, 'https://localhost/')).toBeNull();
    expect(await refusal(g, 'https://localhost:5432/')).not.toBeNull();
  });

  describe('connect-time verdict for clients that take no agent', () => {
    const g = guard(['127.0.0.1:4010']);
    it('refuses a private IP literal not allow-listed, in any spelling', () => {
      expect(g.refusal(new URL('https://[::ffff:7f00:1]:4010/'))).toBeInstanceOf(OutboundRefusedError);
      expect(g.refusal(new URL('http://127.0.0.1:4011/'))).toBeInstanceOf(OutboundRefusedError);
    });
    it('lets an allow-listed host and port, a public literal and a name (resolved later) through', () => {
      expect(g.refusal(new URL('http://127.0.0.1:4010/'))).toBeNull();
      expect(g.refusal(new URL('https://8.8.8.8/'))).toBeNull();
      expect(g.refusal(new URL('https://login.salesforce.com/'))).toBeNull();
    });
  });

  it('its connect-time refusal carries the EPRIVATE code clients classify as permanent', () => {
    expect(new OutboundRefusedError('127.0.0.1').code).toBe('EPRIVATE');
  });
});
