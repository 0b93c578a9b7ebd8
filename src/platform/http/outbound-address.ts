/**
 * Which IP addresses an outbound request may reach. Pure: no DNS, no configuration.
 *
 * Every IPv6 form is parsed to its 16 bytes before it is judged, because the same host has many spellings
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:ffff:7f00:1`, `::7f00:1`, `64:ff9b::7f00:1`, `2002:7f00:1::`)
 * and a check on the text misses most of them. Forms that embed an IPv4 address are judged by the IPv4 rules;
 * outside them only global unicast (2000::/3) can be public, minus its special-purpose blocks.
 */

/** IPv4 blocks no outbound request may reach (IANA special-purpose registry, plus multicast and reserved). */
const BLOCKED_V4: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** A strict dotted quad (the only IPv4 form DNS answers and the WHATWG URL parser produce) as a number. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Any IPv6 text form (brackets and a zone id allowed) as 16 bytes; null when it is not IPv6. */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  s = s.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not part of the address
  if (!s.includes(':')) return null;
  const words: number[] = [];
  // A trailing dotted quad stands for the last two 16-bit words.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const word of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(word)) return null;
      out.push(parseInt(word, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return null;
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    words.push(...head, ...new Array<number>(missing).fill(0), ...rest);
  } else {
    if (head.length !== 8) return null;
    words.push(...head);
  }
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

function v4Blocked(value: number): string | null {
  for (const [base, bits, name] of BLOCKED_V4) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === (parseIPv4(base)! & mask) >>> 0) return name;
  }
  return null;
}

const v4At = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** True when the first `bits` bits of the address equal those of `prefix` (given as leading bytes). */
function inPrefix(b: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((b[byte] & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/** IPv6 blocks outside the embedded-IPv4 forms, judged after those (first match names the block). */
const BLOCKED_V6: ReadonlyArray<readonly [readonly number[], number, string]> = [
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'NAT64 local-use'],
  [[0x01, 0x00], 64, 'discard-only'],
  [[0x20, 0x01, 0x00, 0x00], 23, 'IETF protocol assignments (Teredo, benchmarking, ORCHID)'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x3f, 0xff], 20, 'documentation'],
  [[0x5f, 0x00], 16, 'SRv6 segment identifiers'],
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'site-local'],
  [[0xff], 8, 'multicast'],
];

function v6Blocked(b: Uint8Array): string | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // Forms that carry an IPv4 address, which is what a dual-stack or translated connection actually reaches.
  const embedded = (v4: number, form: string) => {
    const name = v4Blocked(v4);
    return name ? `${name} (${form})` : null;
  };
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return embedded(v4At(b, 12), 'IPv4-mapped');
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12))
    return embedded(v4At(b, 12), 'IPv4-translated');
  if (zeros(0, 12)) return embedded(v4At(b, 12), 'IPv4-compatible');
  if (inPrefix(b, [0x00, 0x64, 0xff, 0x9b], 96)) return embedded(v4At(b, 12), 'NAT64');
  if (b[0] === 0x20 && b[1] === 0x02) return embedded(v4At(b, 2), '6to4');
  for (const [prefix, bits, name] of BLOCKED_V6) if (inPrefix(b, prefix, bits)) return name;
  // Everything else outside global unicast 2000::/3 is reserved or unassigned.
  if ((b[0] & 0xe0) !== 0x20) return 'reserved';
  return null;
}

/**
 * Why an IP address may not be reached (the name of its special-purpose block), or null when it is public.
 * Anything that is not an IP address is refused too: callers pass resolved or literal addresses only.
 */
export function blockedRange(ip: string): string | null {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return v4Blocked(v4);
  const v6 = parseIPv6(ip);
  if (v6 !== null) return v6Blocked(v6);
  return 'not an IP address';
}

/** True for loopback, private, link-local, metadata, multicast and reserved addresses, in any spelling. */
export function isPrivateAddress(ip: string): boolean {
  return blockedRange(ip) !== null;
}

/** True when `host` (a URL hostname, brackets allowed) is an IP literal rather than a name to resolve. */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}
