import { blockedRange, isIpLiteral, isPrivateAddress, parseIPv6 } from './outbound-address';

/** The hostname the WHATWG URL parser gives for a URL's host: what the guard actually judges. */
const hostOf = (host: string) => new URL(`https://${host}/`).hostname;

describe('outbound address rules', () => {
  describe('every spelling of a private IPv4 address inside IPv6 is refused (issue 10)', () => {
    it.each([
      ['[::ffff:7f00:1]', 'loopback (IPv4-mapped)'],
      ['[::ffff:127.0.0.1]', 'loopback (IPv4-mapped)'],
      ['[0:0:0:0:0:ffff:7f00:1]', 'loopback (IPv4-mapped)'],
      ['[::ffff:a9fe:a9fe]', 'link-local (cloud metadata) (IPv4-mapped)'],
      ['[::ffff:169.254.169.254]', 'link-local (cloud metadata) (IPv4-mapped)'],
      ['[::7f00:1]', 'loopback (IPv4-compatible)'],
      ['[::127.0.0.1]', 'loopback (IPv4-compatible)'],
      ['[::a00:1]', 'private (IPv4-compatible)'],
      ['[::ffff:0:7f00:1]', 'loopback (IPv4-translated)'],
      ['[::ffff:0:127.0.0.1]', 'loopback (IPv4-translated)'],
      ['[64:ff9b::7f00:1]', 'loopback (NAT64)'],
      ['[64:ff9b::a9fe:a9fe]', 'link-local (cloud metadata) (NAT64)'],
      ['[2002:7f00:1::]', 'loopback (6to4)'],
      ['[2002:a9fe:a9fe::1]', 'link-local (cloud metadata) (6to4)'],
      ['[2002:c0a8:101::]', 'private (6to4)'],
    ])('%s is %s', (host, range) => {
      expect(blockedRange(hostOf(host))).toBe(range);
    });
  });

  describe('IPv6 special-purpose blocks are refused', () => {
    it.each([
      ['[::]', 'unspecified'],
      ['[::1]', 'loopback'],
      ['[0:0:0:0:0:0:0:1]', 'loopback'],
      ['[fec0::1]', 'site-local'],
      ['[feff::1]', 'site-local'],
      ['[fc00::1]', 'unique-local'],
      ['[fd00:ec2::254]', 'unique-local'],
      ['[fe80::1]', 'link-local'],
      ['[febf::1]', 'link-local'],
      ['[ff02::1]', 'multicast'],
      ['[2001::1]', 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
      ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
      ['[2001:2::1]', 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
      ['[2001:db8::1]', 'documentation'],
      ['[3fff::1]', 'documentation'],
      ['[64:ff9b:1::a00:1]', 'NAT64 local-use'],
      ['[100::1]', 'discard-only'],
      ['[5f00::1]', 'SRv6 segment identifiers'],
      ['[4000::1]', 'reserved'],
      ['[1::1]', 'reserved'],
    ])('%s is %s', (host, range) => {
      expect(blockedRange(hostOf(host))).toBe(range);
    });
  });

  describe('IPv4 forms the URL parser normalises are judged after normalisation', () => {
    it.each([
      ['2130706433', '127.0.0.1'],
      ['0x7f.1', '127.0.0.1'],
      ['0177.0.0.1', '127.0.0.1'],
      ['017700000001', '127.0.0.1'],
      ['127.1', '127.0.0.1'],
      ['127.0.0.1.', '127.0.0.1'],
      ['0xa9fea9fe', '169.254.169.254'],
      ['0', '0.0.0.0'],
    ])('%s becomes %s and is refused', (host, canonical) => {
      expect(hostOf(host)).toBe(canonical);
      expect(isPrivateAddress(hostOf(host))).toBe(true);
    });
  });

  describe('IPv4 special-purpose blocks are refused', () => {
    it.each([
      ['0.0.0.0', 'this network'],
      ['10.1.2.3', 'private'],
      ['100.64.0.1', 'shared address space (carrier-grade NAT)'],
      ['127.255.255.254', 'loopback'],
      ['169.254.169.254', 'link-local (cloud metadata)'],
      ['172.31.255.255', 'private'],
      ['192.0.0.170', 'IETF protocol assignments'],
      ['192.0.2.1', 'documentation'],
      ['192.88.99.1', '6to4 relay anycast'],
      ['192.168.1.1', 'private'],
      ['198.19.0.1', 'benchmarking'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
    ])('%s is %s', (ip, range) => {
      expect(blockedRange(ip)).toBe(range);
    });
  });

  describe('public addresses may be reached', () => {
    it.each([
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '[2606:4700:4700::1111]',
      '[2a00:1450:4001:80b::200e]',
      '[::ffff:8.8.8.8]', // IPv4-mapped public: the socket reaches 8.8.8.8
      '[64:ff9b::808:808]', // NAT64 of a public address
      '[2002:808:808::1]', // 6to4 of a public address
      '[2001:200::1]', // just past the IETF block
    ])('%s', (host) => {
      expect(blockedRange(hostOf(host))).toBeNull();
    });
  });

  it('parses every IPv6 text form to the same 16 bytes', () => {
    const forms = [
      '::ffff:7f00:1',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:ffff:7f00:1',
      '0000:0000:0000:0000:0000:FFFF:7F00:0001',
      '[::ffff:7f00:1]',
      '::ffff:7f00:1%eth0',
    ];
    const expected = Array.from(parseIPv6(forms[0])!);
    for (const form of forms) expect(Array.from(parseIPv6(form)!)).toEqual(expected);
  });

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '::12345', '1:2:3:4:5:6:7', '::1.2.3', 'example.com'])(
    'refuses %s, which is not an IP address',
    (text) => {
      expect(parseIPv6(text)).toBeNull();
      expect(isPrivateAddress(text)).toBe(true);
    },
  );

  it('tells IP literals from names', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('localhost')).toBe(false);
    expect(isIpLiteral('api.hubapi.com')).toBe(false);
  });
});
