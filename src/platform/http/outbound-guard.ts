import { Inject, Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

/** True for loopback, private, link-local, metadata, multicast and reserved addresses. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) {
    const value = ipv4ToInt(ip);
    return PRIVATE_V4.some(([base, bits]) => {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return (value & mask) === (ipv4ToInt(base) & mask);
    });
  }
  if (family === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isPrivateAddress(mapped[1]);
    if (lower === '::' || lower === '::1') return true;
    const first = parseInt(lower.split(':')[0] || '0', 16);
    if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local (incl. fd00:ec2::254 metadata)
    if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
    if ((first & 0xff00) === 0xff00) return true; // multicast
    if (lower.startsWith('64:ff9b:')) return true; // NAT64 of (possibly private) v4
    return false;
  }
  return true;
}

export class OutboundUrlError extends Error {}

/**
 * Guards outbound requests against SSRF: a URL must be http(s), and its host must resolve only to public
 * addresses unless OUTBOUND_ALLOWLIST names it. The same check runs again at connect time (see `lookup`),
 * so a DNS answer that changes between the check and the request cannot reach a private address.
 */
@Injectable()
export class OutboundGuard {
  private readonly allow: Set<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allow = new Set(config.outboundAllowlist);
  }

  isAllowlisted(url: URL): boolean {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return this.allow.has(host) || this.allow.has(url.host.toLowerCase());
  }

  /** Parses and checks a URL; throws OutboundUrlError with the reason. */
  async check(raw: string, options: { requireHttps?: boolean } = {}): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundUrlError('is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new OutboundUrlError('must be http or https');
    if (url.username || url.password) throw new OutboundUrlError('must not carry credentials');
    if (this.isAllowlisted(url)) return url;
    if ((options.requireHttps ?? true) && url.protocol !== 'https:')
      throw new OutboundUrlError('must use https');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await this.resolve(host);
    if (addresses.length === 0) throw new OutboundUrlError('does not resolve');
    if (addresses.some(isPrivateAddress)) {
      throw new OutboundUrlError('resolves to a private, loopback, link-local or metadata address');
    }
    return url;
  }

  private resolve(host: string): Promise<string[]> {
    return new Promise((resolve) =>
      dnsLookup(host, { all: true }, (error, addresses: LookupAddress[]) =>
        resolve(error ? [] : addresses.map((a) => a.address)),
      ),
    );
  }

  /** A `lookup` for http(s).request that refuses private addresses of hosts not allow-listed. */
  lookupFor(url: URL) {
    const allowlisted = this.isAllowlisted(url);
    return (
      hostname: string,
      options: object,
      callback: (
        error: NodeJS.ErrnoException | null,
        address: string | LookupAddress[],
        family?: number,
      ) => void,
    ) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, []);
        const allowed = allowlisted ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
        if (allowed.length === 0) {
          return callback(
            Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }),
            [],
          );
        }
        if ((options as { all?: boolean }).all) return callback(null, allowed);
        return callback(null, allowed[0].address, allowed[0].family);
      });
    };
  }
}
