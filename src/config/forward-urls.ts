import { OutboundAllowlist } from '../platform/http/outbound-allowlist';

/**
 * WHATSAPP_FORWARD_URLS: where every WhatsApp delivery is relayed (the business's own integration). Each must
 * be https, or http for a host:port OUTBOUND_ALLOWLIST names (a sandbox, an integration on the same network).
 * Throws an Error saying which entry is wrong and why (the caller names the variable).
 */
export function parseForwardUrls(raw: string | undefined, outboundAllowlist: readonly string[]): string[] {
  const allowlist = new OutboundAllowlist(outboundAllowlist);
  const urls = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  for (const entry of urls) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${redactUrl(entry)}" is not a URL`);
    }
    if (url.username || url.password) throw new Error(`"${redactUrl(entry)}" must not carry credentials`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`"${redactUrl(entry)}" must be an https URL`);
    if (url.protocol === 'http:' && !allowlist.allows(url.hostname, url.port, url.protocol)) {
      throw new Error(
        `"${redactUrl(entry)}" must use https (http only for a host listed in OUTBOUND_ALLOWLIST)`,
      );
    }
    if (seen.has(url.href)) throw new Error(`"${redactUrl(entry)}" is listed twice`);
    seen.add(url.href);
  }
  return urls.map((entry) => new URL(entry).href);
}

/** A URL as it may be shown (logs, console, errors): no credentials, no query string, no fragment. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return '(unparseable URL)';
  }
}
