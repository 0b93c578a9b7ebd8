import { Inject, Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { blockedRange, isIpLiteral } from './outbound-address';
import { OutboundAllowlist } from './outbound-allowlist';

/** A URL refused when it is registered or checked (the message completes "<field> ..."). */
export class OutboundUrlError extends Error {}

/**
 * A connection refused at connect time. `code` is EPRIVATE so that clients which classify socket errors by
 * code can tell it from a network failure: it is permanent, retrying cannot help.
 */
export class OutboundRefusedError extends Error {
  readonly code = 'EPRIVATE';
  constructor(readonly host: string) {
    super(`outbound connection to ${host} refused: not a public address and not in OUTBOUND_ALLOWLIST`);
    this.name = 'OutboundRefusedError';
  }
}

/** One message for a host that is private, reserved or does not resolve: a field error must not map a network. */
const NOT_PUBLIC =
  'must name a host that resolves to public addresses only (or one listed in OUTBOUND_ALLOWLIST)';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

type ConnectOptions = { host?: string | null; port?: number | string | null; lookup?: unknown };
type CreateConnection = (
  options: ConnectOptions,
  callback: (error: Error | null, socket?: Socket) => void,
) => unknown;

/**
 * Guards outbound requests against SSRF. A URL must be http(s), and its host must resolve only to public
 * addresses (any IPv6 spelling of a private IPv4 address included, outbound-address.ts) unless
 * OUTBOUND_ALLOWLIST names that host and port. The same rule is applied again at connect time, to every
 * connection of every client, by the agents of `agentFor`: a DNS answer that changes after the check, or a
 * redirect to another host, reaches no private address.
 */
@Injectable()
export class OutboundGuard {
  private readonly allowlist: OutboundAllowlist;
  private readonly agents: { 'http:': HttpAgent; 'https:': HttpsAgent };

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'outboundAllowlist'>) {
    this.allowlist = new OutboundAllowlist(config.outboundAllowlist);
    this.agents = {
      'http:': this.guardAgent(new HttpAgent(), 'http:'),
      'https:': this.guardAgent(new HttpsAgent(), 'https:'),
    };
  }

  /** Whether OUTBOUND_ALLOWLIST names this URL's host on this URL's port (an entry without a port: the default). */
  isAllowlisted(url: URL): boolean {
    return this.allowlist.allows(url.hostname, url.port, url.protocol);
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
    // The WHATWG parser already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1, and IPv6 into one form.
    const addresses = isIpLiteral(url.hostname) ? [url.hostname] : await this.resolve(url.hostname);
    if (addresses.length === 0 || addresses.some((a) => blockedRange(a) !== null)) {
      throw new OutboundUrlError(NOT_PUBLIC);
    }
    return url;
  }

  /**
   * The connect-time verdict for one connection, without DNS: null when it may go ahead as it is (allow-listed,
   * or a public IP literal), 'resolve' when the name must be resolved through `guardedLookup`, otherwise the error.
   */
  private verdict(host: string, port: string, protocol: string): null | 'resolve' | OutboundRefusedError {
    if (this.allowlist.allows(host, port, protocol)) return null;
    if (isIpLiteral(host)) return blockedRange(host) === null ? null : new OutboundRefusedError(host);
    return 'resolve';
  }

  /** Whether a URL may be requested as it is, for clients that cannot take an agent (their hosts are pinned). */
  refusal(url: URL): OutboundRefusedError | null {
    const verdict = this.verdict(url.hostname, url.port, url.protocol);
    return verdict === 'resolve' ? null : verdict;
  }

  /**
   * The agent every outbound http(s) request goes through. It checks each connection it opens (a redirect
   * followed by the client opens a new one, and is checked the same way) against the allowlist and the address
   * rules, resolving names with a lookup that drops private answers.
   */
  agentFor(protocol: 'http:' | 'https:' | URL): HttpAgent {
    const key = typeof protocol === 'string' ? protocol : protocol.protocol === 'http:' ? 'http:' : 'https:';
    return this.agents[key];
  }

  private guardAgent<T extends HttpAgent>(agent: T, protocol: 'http:' | 'https:'): T {
    const create = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
    const guarded: CreateConnection = (options, callback) => {
      const host = String(options.host ?? 'localhost');
      const verdict = this.verdict(host, String(options.port ?? ''), protocol);
      if (verdict instanceof OutboundRefusedError) {
        callback(verdict);
        return undefined;
      }
      return create(verdict === 'resolve' ? { ...options, lookup: this.guardedLookup } : options, callback);
    };
    (agent as unknown as { createConnection: CreateConnection }).createConnection = guarded;
    return agent;
  }

  /** A dns.lookup that fails with OutboundRefusedError when any address of the name is not public. */
  private readonly guardedLookup = (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const allowed = addresses.filter((a) => blockedRange(a.address) === null);
      if (allowed.length === 0 || allowed.length !== addresses.length) {
        // A name that resolves to any private address is refused whole: it is pointed at the inside.
        return callback(new OutboundRefusedError(hostname), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, allowed);
      return callback(null, allowed[0].address, allowed[0].family);
    });
  };

  private resolve(host: string): Promise<string[]> {
    return new Promise((resolve) =>
      dnsLookup(host, { all: true }, (error, addresses: LookupAddress[]) =>
        resolve(error ? [] : addresses.map((a) => a.address)),
      ),
    );
  }
}
