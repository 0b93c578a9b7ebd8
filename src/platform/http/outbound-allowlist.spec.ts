import { OutboundAllowlist, parseAllowlistEntry } from './outbound-allowlist';

const url = (raw: string) => new URL(raw);
const allows = (list: OutboundAllowlist, raw: string) => {
  const u = url(raw);
  return list.allows(u.hostname, u.port, u.protocol);
};

describe('OUTBOUND_ALLOWLIST', () => {
  it("an entry without a port allows only the scheme's default port (issue 10)", () => {
    const list = new OutboundAllowlist(['crm.internal']);
    expect(allows(list, 'https://crm.internal/')).toBe(true);
    expect(allows(list, 'https://crm.internal:443/')).toBe(true);
    expect(allows(list, 'http://crm.internal/')).toBe(true);
    expect(allows(list, 'https://crm.internal:8443/')).toBe(false);
    expect(allows(list, 'http://crm.internal:5432/')).toBe(false);
    expect(allows(list, 'https://crm.internal:80/')).toBe(false);
  });

  it('host:port allows that port only', () => {
    const list = new OutboundAllowlist(['127.0.0.1:4010']);
    expect(allows(list, 'http://127.0.0.1:4010/')).toBe(true);
    expect(allows(list, 'https://127.0.0.1:4010/')).toBe(true);
    expect(allows(list, 'http://127.0.0.1:4011/')).toBe(false);
    expect(allows(list, 'http://127.0.0.1/')).toBe(false);
  });

  it('host:* allows every port of that host, and no other host', () => {
    const list = new OutboundAllowlist(['127.0.0.1:*']);
    expect(allows(list, 'http://127.0.0.1:1/')).toBe(true);
    expect(allows(list, 'http://127.0.0.1:65535/')).toBe(true);
    expect(allows(list, 'http://127.0.0.2:4010/')).toBe(false);
    expect(allows(list, 'http://[::1]:4010/')).toBe(false);
  });

  it('compares hosts in canonical form: another spelling of a listed address is that address', () => {
    const list = new OutboundAllowlist(['127.0.0.1:4010', '[::1]:4020', 'Sandbox.Example']);
    expect(allows(list, 'http://2130706433:4010/')).toBe(true);
    expect(allows(list, 'http://[0:0:0:0:0:0:0:1]:4020/')).toBe(true);
    expect(allows(list, 'https://sandbox.example/')).toBe(true);
    // A socket sees IPv6 without brackets.
    expect(list.allows('::1', 4020, 'http:')).toBe(true);
    expect(list.allows('127.0.0.1', 4010, 'http:')).toBe(true);
    // A mapped spelling is a different host to the allowlist: it is judged by the address rules instead.
    expect(allows(list, 'http://[::ffff:127.0.0.1]:4010/')).toBe(false);
  });

  it('allows nothing when empty', () => {
    expect(allows(new OutboundAllowlist([]), 'https://127.0.0.1/')).toBe(false);
  });

  it.each(['host:0', 'host:70000', 'host:', 'host:abc', '::1:80', 'a b', 'http://host', 'host/path', ':80'])(
    'refuses the malformed entry %s',
    (entry) => {
      expect(() => parseAllowlistEntry(entry)).toThrow(/outside 1-65535|is not a host/);
    },
  );
});
