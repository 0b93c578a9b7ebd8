/**
 * OUTBOUND_ALLOWLIST: the hosts outbound calls may reach even when they are private (sandboxes, test doubles,
 * an on-premises processor). An entry names a host and, optionally, a port:
 *
 * - `host` allows that host on the scheme's default port only (443 for https, 80 for http), so that listing a
 *   host does not open every service it runs;
 * - `host:port` allows that port (for either scheme);
 * - `host:*` allows every port of the host, an explicit choice for a machine of simulators.
 *
 * Hosts are compared in the WHATWG URL parser's canonical form (lower case; `2130706433` and `127.1` are
 * `127.0.0.1`; IPv6 in brackets, compressed), the form `new URL()` gives the addresses being checked.
 */

export interface AllowlistEntry {
  /** Canonical hostname, as URL.hostname spells it (IPv6 in brackets). */
  host: string;
  /** A port, '*' for any, or null for the scheme's default port. */
  port: number | '*' | null;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** The canonical form of a hostname or IP address (brackets optional for IPv6); null when it is not one. */
export function canonicalHost(raw: string): string | null {
  const host = raw.includes(':') && !raw.startsWith('[') ? `[${raw}]` : raw;
  try {
    const url = new URL(`http://${host}/`);
    return url.hostname && url.port === '' && url.pathname === '/' ? url.hostname : null;
  } catch {
    return null;
  }
}

/** One entry of OUTBOUND_ALLOWLIST; throws an Error saying what is wrong with it. */
export function parseAllowlistEntry(raw: string): AllowlistEntry {
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}|\*))?$/.exec(raw.trim());
  const host = match ? canonicalHost(match[1]) : null;
  if (!match || !host) {
    throw new Error(`"${raw}" is not a host, host:port or host:* (IPv6 in brackets: [::1]:8080)`);
  }
  if (match[2] === undefined) return { host, port: null };
  if (match[2] === '*') return { host, port: '*' };
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new Error(`"${raw}" names port ${port}, outside 1-65535`);
  return { host, port };
}

/** Answers whether the allowlist names a host on a port. */
export class OutboundAllowlist {
  private readonly entries: AllowlistEntry[];

  constructor(raw: readonly string[]) {
    this.entries = raw.map(parseAllowlistEntry);
  }

  /**
   * Whether `host` (a URL hostname or an address as a socket sees it) may be reached on `port` (empty: the
   * scheme's default) with `protocol` ('http:' or 'https:').
   */
  allows(host: string, port: string | number, protocol: string): boolean {
    if (this.entries.length === 0) return false;
    const canonical = canonicalHost(host);
    if (!canonical) return false;
    const defaultPort = DEFAULT_PORTS[protocol];
    const effective = port === '' || port === undefined ? defaultPort : Number(port);
    return this.entries.some(
      (entry) =>
        entry.host === canonical &&
        (entry.port === '*' || (entry.port ?? defaultPort) === effective) &&
        effective !== undefined,
    );
  }
}
